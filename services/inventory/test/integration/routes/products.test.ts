import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { routesOnTestSchema, testEnv } from '@vitrine/infra/testing/saga'
import type { RoutesOnSchema } from '@vitrine/infra/testing/saga'
import routes from '../../../src/routes/index.ts'

// The inventory routes on a real PostgreSQL schema and no broker (nothing is consumed or
// published here): 404s, the 409 of a taken id, the restock cap and the ledger check.

let api: RoutesOnSchema

before(async () => { api = await routesOnTestSchema(testEnv(), 'inventory', routes, new URL('../../../migrations/', import.meta.url)) })

after(async () => { await api?.close() })

test('an unknown product or reservation is a 404 SHOP_ERR_NOT_FOUND naming the id', async () => {
  for (const [method, url, payload] of [
    ['GET', '/products/nope', undefined], ['PUT', '/products/nope/price', { priceCents: 100 }],
    ['PUT', '/products/nope/active', { active: false }], ['POST', '/products/nope/restock', { quantity: 1 }],
    ['GET', '/reservations/order-nope', undefined]
  ] as const) {
    const res = await api.app.inject({ method, url, ...(payload ? { payload } : {}) })
    assert.equal(res.statusCode, 404, `${method} ${url} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_NOT_FOUND')
    assert.match(res.json().message, /nope/)
  }
})

test('a product is created once (409 SHOP_ERR_PRODUCT_EXISTS after), its price changes as a new version, and the ledger stays consistent', async () => {
  const created = await api.app.inject({ method: 'POST', url: '/products', payload: { id: 'prod_t1', name: 'Caneca', priceCents: 2500, stock: 3 } })
  assert.equal(created.statusCode, 201, created.body)
  assert.deepEqual(created.json(), { id: 'prod_t1', name: 'Caneca', priceCents: 2500, active: true, version: 1, stock: 3, reserved: 0, available: 3 })
  const again = await api.app.inject({ method: 'POST', url: '/products', payload: { id: 'prod_t1', name: 'Outra', priceCents: 1, stock: 0 } })
  assert.equal(again.statusCode, 409)
  assert.equal(again.json().code, 'SHOP_ERR_PRODUCT_EXISTS')
  const priced = await api.app.inject({ method: 'PUT', url: '/products/prod_t1/price', payload: { priceCents: 2600 } })
  assert.equal(priced.json().version, 2)
  assert.equal(priced.json().priceCents, 2600)
  // The same price again changes nothing and publishes nothing.
  assert.equal((await api.app.inject({ method: 'PUT', url: '/products/prod_t1/price', payload: { priceCents: 2600 } })).json().version, 2)
  assert.equal((await api.app.inject({ method: 'PUT', url: '/products/prod_t1/active', payload: { active: false } })).json().active, false)
  const catalog = await api.sql`select value from outbox where key = 'prod_t1' order by id`
  assert.deepEqual(catalog.map(r => (r.value as { version: number }).version), [1, 2, 3])
  const restocked = await api.app.inject({ method: 'POST', url: '/products/prod_t1/restock', payload: { quantity: 7 } })
  assert.equal(restocked.json().stock, 10)
  const listed = await api.app.inject({ method: 'GET', url: '/products' })
  assert.ok(listed.json().products.some((p: { id: string, stock: number }) => p.id === 'prod_t1' && p.stock === 10))
  assert.deepEqual((await api.app.inject({ method: 'GET', url: '/stock/check' })).json(), { consistent: true, mismatches: [] })
})

test('a restock past the stock cap is a 400 naming body.quantity and the room left, and changes nothing', async () => {
  await api.app.inject({ method: 'POST', url: '/products', payload: { id: 'prod_t2', name: 'Lata', priceCents: 100, stock: 0 } })
  await api.sql`update products set stock_quantity = 999999999 where id = 'prod_t2'`
  await api.sql`insert into stock_movements (product_id, movement_type, quantity) values ('prod_t2', 'restock', 999999999)`
  const res = await api.app.inject({ method: 'POST', url: '/products/prod_t2/restock', payload: { quantity: 2 } })
  assert.equal(res.statusCode, 400)
  assert.deepEqual(res.json().errors.map((e: { field: string, rule: string }) => [e.field, e.rule]), [['body.quantity', 'maximum']])
  assert.match(res.json().errors[0].message, /<= 1:/)
  assert.equal((await api.app.inject({ method: 'GET', url: '/products/prod_t2' })).json().stock, 999999999)
})

test('GET /stock/check names a product whose counters disagree with its movements', async () => {
  await api.sql`update products set reserved_quantity = 1 where id = 'prod_t1'`
  const res = await api.app.inject({ method: 'GET', url: '/stock/check' })
  assert.equal(res.json().consistent, false)
  assert.deepEqual(res.json().mismatches, [{ productId: 'prod_t1', stock: 10, expectedStock: 10, reserved: 1, expectedReserved: 0 }])
  await api.sql`update products set reserved_quantity = 0 where id = 'prod_t1'`
})
