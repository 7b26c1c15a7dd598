import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import compare from '../../../src/routes/api/compare.ts'

// What POST /api/compare refuses before it places an order (no broker or services here: a request
// that got through would be a 500).

type Err = { field: string, rule: string }

test('POST /compare: a quantity of "2", true or [2], a price or an unknown field is a 400 naming it, never coerced', async t => {
  const app = await buildRoutes(compare, {}, ['compare'])
  t.after(async () => { await app.close() })
  for (const quantity of ['"2"', 'true', '[2]']) {
    const res = await app.inject({ method: 'POST', url: '/compare', headers: { 'content-type': 'application/json' }, payload: `{"customerId":"ana","items":[{"productId":"prod_1","quantity":${quantity}}]}` })
    assert.equal(res.statusCode, 400, `${quantity} → ${res.statusCode} ${res.body}`)
    assert.ok(res.json().errors.some((e: Err) => e.field === 'body.items.0.quantity' && e.rule === 'type'), res.body)
  }
  const priced = await app.inject({ method: 'POST', url: '/compare', payload: { customerId: 'ana', items: [{ productId: 'prod_1', quantity: 1, price: 1 }] } })
  assert.equal(priced.statusCode, 400, priced.body)
  const empty = await app.inject({ method: 'POST', url: '/compare', payload: { customerId: 'ana', items: [] } })
  assert.equal(empty.statusCode, 400, empty.body)
  assert.ok(empty.json().errors.some((e: Err) => e.field === 'body.items'), empty.body)
})
