import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readAllNow } from '@vitrine/infra/testing/saga'
import { Saga, orderBody, settle } from '../../src/index.ts'

// The choreographed saga, each scenario on its own topics, groups and schemas.

test('200 orders, no payment failures, ample stock: all confirmed, stock down by exactly what was ordered, one notification each', async (t) => {
  const saga = await Saga.start()
  t.after(() => saga.close())
  const a = await saga.product(10_000)
  const b = await saga.product(10_000)
  const bodies = Array.from({ length: 200 }, (_, i) => orderBody(`cliente-${i}`, [{ productId: a, quantity: 1 + (i % 3) }, ...(i % 2 === 0 ? [{ productId: b, quantity: 2 }] : [])]))
  const ids = await saga.placeOrders(bodies)
  const statuses = await saga.waitTerminal(ids, 120_000)
  assert.deepEqual([...statuses.values()].filter(s => s.status !== 'confirmed'), [], 'every order confirmed')

  assert.deepEqual(await settle(saga, ids), [])
  const orderedA = bodies.reduce((s, _b, i) => s + 1 + (i % 3), 0)
  const orderedB = 100 * 2
  const pa = (await saga.request('inventory', 'GET', `/products/${a}`)).body
  const pb = (await saga.request('inventory', 'GET', `/products/${b}`)).body
  assert.equal(pa.stock, 10_000 - orderedA)
  assert.equal(pb.stock, 10_000 - orderedB)
  assert.equal(pa.reserved + pb.reserved, 0, 'every reservation became a sale')

  const sent = (await readAllNow(saga.env.brokers, saga.env.prefix + 'notifications.sent')).filter(r => r.key && ids.includes(r.key))
  assert.equal(sent.length, 200, 'one notifications.sent per order')
  assert.equal(new Set(sent.map(r => r.key)).size, 200)
})

test('every payment fails: all orders failed, no stock moved, nothing refunded because nothing was charged', async (t) => {
  const saga = await Saga.start({ env: { payment: { PAYMENT_FAILURE_RATE: 1 } } })
  t.after(() => saga.close())
  const p = await saga.product(100)
  const ids = await saga.placeOrders(Array.from({ length: 30 }, (_, i) => orderBody(`cliente-${i}`, [{ productId: p, quantity: 1 }])))
  const statuses = await saga.waitTerminal(ids)
  assert.ok([...statuses.values()].every(s => s.status === 'failed' && s.reason === 'payment_failed'), 'all failed for payment')
  assert.deepEqual(await settle(saga, ids), [])
  const [moves] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('inventory')}.stock_movements where order_id = any($1)`, [ids])
  assert.equal(moves!.n, 0, 'no stock movement')
  const refunds = (await readAllNow(saga.env.brokers, saga.env.prefix + 'payments.refunded')).filter(r => r.key && ids.includes(r.key))
  assert.equal(refunds.length, 0, 'no refund')
  const product = (await saga.request('inventory', 'GET', `/products/${p}`)).body
  assert.equal(product.available, 100)
})

test('K units and N > K concurrent orders for them: exactly K confirmed, the rest failed and refunded, stock never negative', async (t) => {
  const saga = await Saga.start()
  t.after(() => saga.close())
  const K = 7
  const N = 25
  const p = await saga.product(K)
  const ids = await saga.placeOrders(Array.from({ length: N }, (_, i) => orderBody(`disputa-${i}`, [{ productId: p, quantity: 1 }])), N)
  const statuses = [...(await saga.waitTerminal(ids)).values()]
  assert.equal(statuses.filter(s => s.status === 'confirmed').length, K, 'exactly K confirmed')
  assert.ok(statuses.filter(s => s.status === 'failed').every(s => s.reason === 'inventory_failed'))
  assert.deepEqual(await settle(saga, ids), [])
  const product = (await saga.request('inventory', 'GET', `/products/${p}`)).body
  assert.deepEqual({ stock: product.stock, reserved: product.reserved, available: product.available }, { stock: 0, reserved: 0, available: 0 })
  const refunded = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('payment')}.payments where order_id = any($1) and status = 'refunded'`, [ids])
  assert.equal(refunded[0]!.n, N - K, 'every charged order that could not get stock was refunded')
  const refundEvents = (await readAllNow(saga.env.brokers, saga.env.prefix + 'payments.refunded')).filter(r => r.key && ids.includes(r.key))
  assert.equal(refundEvents.length, N - K, 'one payments.refunded each')
})

test('an order past its deadline is cancelled and its charge never happens (the teacher trigger slow-payment)', async (t) => {
  const saga = await Saga.start({ env: { 'checkout-api': { ORDER_DEADLINE_MS: 1500 }, payment: { PAYMENT_SLOW_MS: 4000 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  const [id] = await saga.placeOrders([orderBody('aluno-slow-payment', [{ productId: p, quantity: 1 }])])
  const statuses = await saga.waitTerminal([id!], 15_000)
  assert.deepEqual(statuses.get(id!), { status: 'failed', reason: 'deadline_exceeded' })
  // Past the slow payment's due time: it must have been cancelled, not charged.
  assert.deepEqual(await saga.paymentPastDue(id!, 4000), { status: 'cancelled' })
  assert.deepEqual(await settle(saga, [id!]), [])
  const pay = (await saga.request('payment', 'GET', `/payments/${id!}`)).body
  assert.equal(pay.status, 'cancelled')
})
