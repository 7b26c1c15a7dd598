import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HEADERS } from '@vitrine/contracts'
import { Saga, WITH_ORCHESTRATOR, orchestrated, orderBody, recordsOf, settle } from '../../src/index.ts'

// Cases only the orchestrated saga has: a step's own timeout and the mode chosen per order. The
// scenarios both modes share are in sagas.test.ts. Each test on its own topics, groups and schemas.

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
