import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance } from 'fastify'
import routes from '../../../src/routes/orders.ts'

// What the order routes refuse before anything is read, written or produced: there is no database
// or broker here, so a request that got through would be a 500.

type Err = { field: string, rule: string }

async function build (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const app = await buildRoutes(routes, { config: {} as never }, ['sql', 'outbox', 'producer', 'catalog'])
  t.after(async () => { await app.close() })
  return app
}

test('POST /orders: a quantity sent as "2", true or [2] is a 400 naming body.items.0.quantity, never coerced', async t => {
  const app = await build(t)
  // As JSON text: 1e400 parses to Infinity.
  for (const quantity of ['"2"', 'true', '[2]', '1e400', '2.5']) {
    const res = await app.inject({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, payload: `{"customerId":"ana","items":[{"productId":"prod_1","quantity":${quantity}}]}` })
    assert.equal(res.statusCode, 400, `quantity ${quantity} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.ok(res.json().errors.some((e: Err) => e.field === 'body.items.0.quantity' && e.rule === 'type'), res.body)
  }
})

test('POST /orders: a NUL in a text field, invalid JSON, a huge body and a wrong media type each get the SHOP_ERR_* body', async t => {
  const app = await build(t)
  const nul = await app.inject({ method: 'POST', url: '/orders', payload: { customerId: 'ana', items: [{ productId: 'prod_1', quantity: 1 }], channel: 'web\u0000' } })
  assert.equal(nul.statusCode, 400)
  assert.ok(nul.json().errors.some((e: Err) => e.field === 'body.channel'), nul.body)
  const cases = [
    { payload: '{"customerId": "ana", ', type: 'application/json', status: 400, code: 'SHOP_ERR_BAD_REQUEST', rule: 'json' },
    { payload: JSON.stringify({ customerId: 'ana', items: [], pad: 'x'.repeat(70_000) }), type: 'application/json', status: 413, code: 'SHOP_ERR_BODY_TOO_LARGE', rule: 'maxBytes' },
    { payload: 'customerId=ana', type: 'application/x-www-form-urlencoded', status: 415, code: 'SHOP_ERR_MEDIA_TYPE', rule: 'mediaType' }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/orders', headers: { 'content-type': c.type }, payload: c.payload })
    assert.equal(res.statusCode, c.status, `${c.rule} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, c.code)
    assert.equal(res.json().errors[0].rule, c.rule)
  }
})

test('GET /orders/:id: a NUL byte (%00) or another control character is a 400 naming params.id', async t => {
  const app = await build(t)
  for (const bad of ['%00', 'a%00b', '%1B']) {
    const res = await app.inject({ method: 'GET', url: `/orders/${bad}` })
    assert.equal(res.statusCode, 400, `${bad} → ${res.statusCode} ${res.body}`)
    assert.deepEqual(res.json().errors.map((e: Err) => [e.field, e.rule]), [['params.id', 'noControlCharacters']])
  }
  const query = await app.inject({ method: 'GET', url: '/orders?limit=1e400' })
  assert.equal(query.statusCode, 400)
  assert.equal(query.json().errors[0].field, 'querystring.limit')
})
