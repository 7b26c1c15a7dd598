import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HEADERS } from '@vitrine/contracts'
import { Saga, WITH_ORCHESTRATOR, orchestrated, orderBody, recordsOf, settle } from '../../src/index.ts'

// The choreography's scenarios and invariants, with the orchestrator running each saga through
// commands and replies. Each test on its own topics, groups and schemas.

test('orchestration: 200 orders, no payment failures, ample stock: all confirmed through commands, stock down by exactly what was ordered, one notification each', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR })
  t.after(() => saga.close())
  const a = await saga.product(10_000)
  const b = await saga.product(10_000)
  const bodies = Array.from({ length: 200 }, (_, i) => orchestrated(`cliente-${i}`, [{ productId: a, quantity: 1 + (i % 3) }, ...(i % 2 === 0 ? [{ productId: b, quantity: 2 }] : [])]))
  const ids = await saga.placeOrders(bodies)
  const statuses = await saga.waitTerminal(ids, 120_000)
  assert.deepEqual([...statuses.values()].filter(s => s.status !== 'confirmed'), [], 'every order confirmed')
  assert.deepEqual(await settle(saga, ids), [])

  const orderedA = bodies.reduce((s, _b, i) => s + 1 + (i % 3), 0)
  const pa = (await saga.request('inventory', 'GET', `/products/${a}`)).body
  const pb = (await saga.request('inventory', 'GET', `/products/${b}`)).body
  assert.equal(pa.stock, 10_000 - orderedA)
  assert.equal(pb.stock, 10_000 - 200)
  assert.equal(pa.reserved + pb.reserved, 0, 'every reservation became a sale')

  const sent = await recordsOf(saga, 'notifications.sent', ids)
  assert.equal(new Set(sent.map(r => r.rec.key)).size, 200, 'one notifications.sent per order')
  // The saga ran through the orchestrator's commands, not the choreography's events.
  const charges = (await recordsOf(saga, 'payments.commands', ids)).filter(r => r.value.command === 'CHARGE')
  assert.equal(new Set(charges.map(r => r.rec.key)).size, 200, 'one CHARGE per order')
  assert.equal((await recordsOf(saga, 'payments.approved', ids)).length, 0, 'no choreography event for orchestrated orders')
  assert.equal((await recordsOf(saga, 'inventory.reserved', ids)).length, 0)
  const confirms = await recordsOf(saga, 'orders.commands', ids)
  assert.ok(confirms.every(r => r.value.command === 'CONFIRM' && r.rec.headers[HEADERS.producer] === 'orchestrator'))
})

test('orchestration: every payment fails: all orders failed, no stock moved, no REFUND commanded because nothing was charged', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { payment: { PAYMENT_FAILURE_RATE: 1 } } })
  t.after(() => saga.close())
  const p = await saga.product(100)
  const ids = await saga.placeOrders(Array.from({ length: 30 }, (_, i) => orchestrated(`cliente-${i}`, [{ productId: p, quantity: 1 }])))
  const statuses = await saga.waitTerminal(ids)
  assert.ok([...statuses.values()].every(s => s.status === 'failed' && s.reason === 'payment_failed'), 'all failed for payment')
  assert.deepEqual(await settle(saga, ids), [])
  const [moves] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('inventory')}.stock_movements where order_id = any($1)`, [ids])
  assert.equal(moves!.n, 0, 'no stock movement')
  assert.equal((await recordsOf(saga, 'inventory.commands', ids)).length, 0, 'inventory never asked')
  assert.equal((await recordsOf(saga, 'payments.commands', ids)).filter(r => r.value.command === 'REFUND').length, 0, 'no refund')
  assert.equal((await saga.request('inventory', 'GET', `/products/${p}`)).body.available, 100)
})

test('orchestration: K units and N > K concurrent orders: exactly K confirmed, the rest failed and refunded once each, stock never negative', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR })
  t.after(() => saga.close())
  const K = 7
  const N = 25
  const p = await saga.product(K)
  const ids = await saga.placeOrders(Array.from({ length: N }, (_, i) => orchestrated(`disputa-${i}`, [{ productId: p, quantity: 1 }])), N)
  const statuses = [...(await saga.waitTerminal(ids)).values()]
  assert.equal(statuses.filter(s => s.status === 'confirmed').length, K, 'exactly K confirmed')
  assert.ok(statuses.filter(s => s.status === 'failed').every(s => s.reason === 'inventory_failed'))
  assert.deepEqual(await settle(saga, ids), [])
  const product = (await saga.request('inventory', 'GET', `/products/${p}`)).body
  assert.deepEqual({ stock: product.stock, reserved: product.reserved, available: product.available }, { stock: 0, reserved: 0, available: 0 })
  const [refunded] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('payment')}.payments where order_id = any($1) and status = 'refunded'`, [ids])
  assert.equal(refunded!.n, N - K, 'every charged order that could not get stock was refunded')
  const refunds = (await recordsOf(saga, 'payments.replies', ids)).filter(r => r.value.outcome === 'REFUNDED')
  assert.equal(new Set(refunds.map(r => r.value.eventId)).size, N - K, 'one REFUNDED reply each')
  assert.equal(new Set(refunds.map(r => r.rec.key)).size, N - K)
})

test('orchestration: the payment step times out (teacher trigger slow-payment): REFUND cancels the pending charge, the order fails, it is never charged', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { orchestrator: { PAYMENT_STEP_TIMEOUT_MS: 1500 }, payment: { PAYMENT_SLOW_MS: 4000 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  const [id] = await saga.placeOrders([orchestrated('aluno-slow-payment', [{ productId: p, quantity: 1 }])])
  const statuses = await saga.waitTerminal([id!], 15_000)
  assert.deepEqual(statuses.get(id!), { status: 'failed', reason: 'payment_timeout' })
  // Past the slow payment's due time: it must have been cancelled, not charged.
  assert.deepEqual(await saga.paymentPastDue(id!, 4000), { status: 'cancelled' })
  assert.deepEqual(await settle(saga, [id!]), [])
  assert.equal((await saga.request('payment', 'GET', `/payments/${id!}`)).body.status, 'cancelled')
  const s = (await saga.request('orchestrator', 'GET', `/sagas/${id!}`)).body
  assert.equal(s.state, 'failed')
  assert.deepEqual(s.transitions.map((x: { to: string }) => x.to), ['payment_pending', 'compensating_payment', 'failed'])
  assert.equal((await recordsOf(saga, 'inventory.commands', [id!])).length, 0, 'inventory never asked')
})

test('orchestration: the order deadline bounds every step; the orchestrator, not checkout-api\'s sweeper, ends the order (deadline_exceeded) and the charge never happens', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { 'checkout-api': { ORDER_DEADLINE_MS: 1500 }, payment: { PAYMENT_SLOW_MS: 4000 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  const [id] = await saga.placeOrders([orchestrated('aluno-slow-payment', [{ productId: p, quantity: 1 }])])
  const statuses = await saga.waitTerminal([id!], 15_000)
  assert.deepEqual(statuses.get(id!), { status: 'failed', reason: 'deadline_exceeded' })
  assert.deepEqual(await saga.paymentPastDue(id!, 4000), { status: 'cancelled' })
  assert.deepEqual(await settle(saga, [id!]), [])
  assert.equal((await saga.request('payment', 'GET', `/payments/${id!}`)).body.status, 'cancelled')
  // orders.failed was caused by the orchestrator's FAIL, so checkout-api's own sweeper left this order alone.
  const [fail] = (await recordsOf(saga, 'orders.commands', [id!])).filter(r => r.value.command === 'FAIL')
  const [failed] = await recordsOf(saga, 'orders.failed', [id!])
  assert.equal(failed!.rec.headers[HEADERS.causationId], fail!.value.eventId)
  assert.equal(failed!.rec.headers[HEADERS.sagaMode], 'orchestration')
})

test('mode per order: the default comes from SAGA_MODE_DEFAULT, x-saga-mode and the body field override it, and the mode travels in every header', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { 'checkout-api': { SAGA_MODE_DEFAULT: 'orchestration' } } })
  t.after(() => saga.close())
  const p = await saga.product(100)
  const byDefault = await saga.placeOrder(orderBody('padrao', [{ productId: p, quantity: 1 }]))
  const byHeader = await saga.placeOrder(orderBody('cabecalho', [{ productId: p, quantity: 1 }]), { 'x-saga-mode': 'choreography' })
  const byBody = await saga.placeOrder(orderBody('corpo', [{ productId: p, quantity: 1 }], { mode: 'choreography' }), { 'x-saga-mode': 'orchestration' })
  assert.deepEqual([byDefault.body.mode, byHeader.body.mode, byBody.body.mode], ['orchestration', 'choreography', 'choreography'])
  const ids = [byDefault.body.orderId, byHeader.body.orderId, byBody.body.orderId] as string[]
  await saga.waitTerminal(ids)
  assert.deepEqual(await settle(saga, ids), [])
  const views = await Promise.all(ids.map(async id => (await saga.request('checkout-api', 'GET', `/orders/${id}`)).body))
  assert.deepEqual(views.map(v => [v.mode, v.status]), [['orchestration', 'confirmed'], ['choreography', 'confirmed'], ['choreography', 'confirmed']])
  // Only the orchestrated order has a saga in the orchestrator.
  assert.equal((await saga.request('orchestrator', 'GET', `/sagas/${ids[0]!}`)).status, 200)
  assert.equal((await saga.request('orchestrator', 'GET', `/sagas/${ids[1]!}`)).status, 404)
  assert.equal((await saga.request('checkout-api', 'GET', '/traffic')).body.mode, 'orchestration', 'generated traffic follows the default too')
  // Every record of each order carries its mode.
  for (const topic of ['orders.new', 'orders.confirmed', 'notifications.sent', 'payments.commands', 'payments.approved']) {
    for (const r of await recordsOf(saga, topic, ids)) {
      assert.equal(r.rec.headers[HEADERS.sagaMode], r.rec.key === ids[0] ? 'orchestration' : 'choreography', `${topic} of ${r.rec.key!}`)
    }
  }
})
