import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance } from 'fastify'
import routes from '../../../src/routes/orders.ts'
import type { CheckoutConfigType } from '../../../src/config.ts'
import { fieldRules, routesOnEmptyDb } from '@vitrine/infra/testing/openapi'

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

test('POST /orders: each broken rule is named, all at once, in the one error body', async t => {
  const app = await routesOnEmptyDb(t, routes, { config: {} as CheckoutConfigType })
  const cases: Array<{ payload: unknown, headers?: Record<string, string>, errors: string[][] }> = [
    { payload: { items: [{ productId: 'prod_1', quantity: 1 }] }, errors: [['body.customerId', 'required']] },
    // The client never sends a price: checkout-api charges its catalog's.
    { payload: { customerId: 'ana', items: [{ productId: 'prod_1', quantity: 1, price: 1 }] }, errors: [['body.items.0.price', 'additionalProperties']] },
    { payload: { customerId: 'ana', items: [] }, errors: [['body.items', 'minItems']] },
    { payload: { customerId: 'ana', items: [{ productId: 'prod 1', quantity: 0 }], mode: 'both' }, errors: [['body.items.0.productId', 'pattern'], ['body.items.0.quantity', 'minimum'], ['body.mode', 'enum']] },
    { payload: { customerId: 'ana', items: [{ productId: 'prod_1', quantity: 1 }] }, headers: { 'x-saga-mode': 'both' }, errors: [['headers.x-saga-mode', 'enum']] }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/orders', payload: c.payload as object, headers: c.headers ?? {} })
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.equal(typeof res.json().message, 'string')
    assert.deepEqual(fieldRules(res.json()).sort(), c.errors, res.body)
  }
})

test('GET /orders/:id of an order that does not exist is a 404 naming it; GET /orders with a bad status names the field', async t => {
  const app = await routesOnEmptyDb(t, routes, { config: {} as CheckoutConfigType })
  const missing = await app.inject({ method: 'GET', url: '/orders/no-such-order' })
  assert.equal(missing.statusCode, 404)
  assert.deepEqual(missing.json(), { code: 'SHOP_ERR_NOT_FOUND', message: 'order no-such-order not found', details: { id: 'no-such-order' } })
  const status = await app.inject({ method: 'GET', url: '/orders?status=open' })
  assert.equal(status.statusCode, 400)
  assert.deepEqual(fieldRules(status.json()), [['querystring.status', 'enum']])
  const extra = await app.inject({ method: 'GET', url: '/orders?sort=asc' })
  assert.equal(extra.statusCode, 400)
  assert.deepEqual(fieldRules(extra.json()), [['querystring.sort', 'additionalProperties']])
  const empty = await app.inject({ method: 'GET', url: '/orders' })
  assert.equal(empty.statusCode, 200, empty.body)
  assert.deepEqual(empty.json(), { orders: [], counts: {} })
  const route = await app.inject({ method: 'DELETE', url: '/orders/x' })
  assert.equal(route.statusCode, 404)
  assert.equal(route.json().code, 'SHOP_ERR_ROUTE_NOT_FOUND')
})
