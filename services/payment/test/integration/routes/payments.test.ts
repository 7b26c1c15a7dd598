import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { routesOnTestSchema, testEnv } from '@vitrine/infra/testing/saga'
import type { RoutesOnSchema } from '@vitrine/infra/testing/saga'
import routes from '../../../src/routes/index.ts'

// GET /payments/:orderId on a real PostgreSQL schema and no broker.

let api: RoutesOnSchema

before(async () => { api = await routesOnTestSchema(testEnv(), 'payment', routes, new URL('../../../migrations/', import.meta.url)) })

after(async () => { await api?.close() })

test('an order with no charge is a 404 SHOP_ERR_NOT_FOUND naming it', async () => {
  const res = await api.app.inject({ method: 'GET', url: '/payments/order-nope' })
  assert.equal(res.statusCode, 404)
  assert.equal(res.json().code, 'SHOP_ERR_NOT_FOUND')
  assert.match(res.json().message, /order-nope/)
})

test('a charge is shown as the saga sees it: status, amount, reason and mode', async () => {
  await api.sql`insert into payments (order_id, payment_id, customer_id, amount_cents, mode, status, reason)
    values ('order-1', 'pay-1', 'ana', 4200, 'orchestration', 'refunded', 'inventory_failed')`
  const res = await api.app.inject({ method: 'GET', url: '/payments/order-1' })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { orderId: 'order-1', paymentId: 'pay-1', status: 'refunded', amountCents: 4200, reason: 'inventory_failed', mode: 'orchestration' })
})
