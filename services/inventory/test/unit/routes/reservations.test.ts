import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import routes from '../../../src/routes/reservations.ts'

test('GET /reservations/:orderId: a NUL byte, control character or a too-long id is a 400 naming params.orderId', async t => {
  const app = await buildRoutes(routes, {}, ['sql'])
  t.after(async () => { await app.close() })
  for (const id of ['%00', 'a%00', '%0D', 'x'.repeat(65)]) {
    const res = await app.inject({ method: 'GET', url: `/reservations/${id}` })
    assert.equal(res.statusCode, 400, `${id} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.ok(res.json().errors.some((e: { field: string }) => e.field === 'params.orderId'), res.body)
  }
})
