import { test } from 'node:test'
import assert from 'node:assert/strict'
import { waitFor } from '@vitrine/infra/testing/saga'
import { Saga, WITH_ORCHESTRATOR, metricValue, orchestrated, orderBody, recordsOf, settle } from '../../src/index.ts'

// A participant stopped past its step's deadline: the orchestrator compensates and the order fails
// without it; the commands wait in Kafka, and when it returns each is applied once.

const sagaOf = async (saga: Saga, id: string): Promise<any> => (await saga.request('orchestrator', 'GET', `/sagas/${id}`)).body

test('payment stopped past the payment step deadline: REFUND sent, the order fails; when payment returns the charge is made and refunded exactly once and the saga ends failed', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { orchestrator: { PAYMENT_STEP_TIMEOUT_MS: 1500, COMPENSATION_TIMEOUT_MS: 1000 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  await saga.stopService('payment')
  const [id] = await saga.placeOrders([orchestrated('pagamento-fora', [{ productId: p, quantity: 1 }])])
  const statuses = await saga.waitTerminal([id!], 15_000)
  assert.deepEqual(statuses.get(id!), { status: 'failed', reason: 'payment_timeout' }, 'the customer gets an answer without payment')
  const waiting = await sagaOf(saga, id!)
  assert.equal(waiting.state, 'compensating_payment', 'the refund is not confirmed yet, so the saga is not over')
  assert.deepEqual(waiting.awaiting.map((a: { command: string }) => a.command), ['REFUND'])
  assert.deepEqual((await recordsOf(saga, 'payments.commands', [id!])).map(r => r.value.command), ['CHARGE', 'REFUND'], 'both commands wait in Kafka')

  await saga.startService('payment')
  assert.deepEqual(await settle(saga, [id!]), [], 'saga failed, nothing kept')
  assert.equal((await sagaOf(saga, id!)).state, 'failed')
  // Payment read CHARGE then REFUND, in partition order: charged (no delay in tests), then refunded once.
  const pay = (await saga.request('payment', 'GET', `/payments/${id!}`)).body
  assert.equal(pay.status, 'refunded')
  const replies = (await recordsOf(saga, 'payments.replies', [id!])).map(r => `${r.value.command as string}/${r.value.outcome as string}`)
  assert.deepEqual(replies, ['CHARGE/APPROVED', 'REFUND/REFUNDED'])
  // The APPROVED came after the deadline: late, ignored (no RESERVE was ever sent).
  assert.equal((await recordsOf(saga, 'inventory.commands', [id!])).length, 0)
  const metrics = (await saga.request('orchestrator', 'GET', '/metrics')).body as string
  assert.equal(metricValue(metrics, 'vitrine_saga_replies_ignored_total', { topic: 'payments.replies', reason: 'late' }), 1)
  assert.equal(metricValue(metrics, 'vitrine_saga_step_timeouts_total', { step: 'payment' }), 1)
  const failed = await recordsOf(saga, 'orders.failed', [id!])
  assert.equal(failed.length, 1, 'the order failed once')
})

test('inventory stopped past the inventory step deadline: RELEASE and REFUND sent, the order fails and is refunded; when inventory returns it reserves and releases once', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { orchestrator: { INVENTORY_STEP_TIMEOUT_MS: 1500, COMPENSATION_TIMEOUT_MS: 1000 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  await saga.stopService('inventory')
  const [id] = await saga.placeOrders([orchestrated('estoque-fora', [{ productId: p, quantity: 3 }])])
  const statuses = await saga.waitTerminal([id!], 15_000)
  assert.deepEqual(statuses.get(id!), { status: 'failed', reason: 'inventory_timeout' })
  // Payment is up: its refund is confirmed; the release waits for inventory.
  await waitFor('the refund', async () => (await saga.request('payment', 'GET', `/payments/${id!}`)).body.status === 'refunded', 10_000)
  const waiting = await sagaOf(saga, id!)
  assert.equal(waiting.state, 'compensating_inventory')
  assert.deepEqual(waiting.awaiting.map((a: { command: string }) => a.command), ['RELEASE'])
  assert.deepEqual(waiting.compensate, ['inventory'])

  await saga.startService('inventory')
  assert.deepEqual(await settle(saga, [id!]), [])
  assert.equal((await sagaOf(saga, id!)).state, 'failed')
  const moves = await saga.sql.unsafe(`select movement_type, count(*)::int as n, sum(quantity)::int as q from ${saga.schema('inventory')}.stock_movements where order_id = $1 group by 1 order by 1`, [id!])
  assert.deepEqual(moves.map(m => [m.movement_type, m.n, m.q]), [['release', 1, 3], ['reserve', 1, 3]], 'reserved once (the late RESERVE), released once')
  const product = (await saga.request('inventory', 'GET', `/products/${p}`)).body
  assert.deepEqual({ stock: product.stock, reserved: product.reserved }, { stock: 10, reserved: 0 })
  const replies = (await recordsOf(saga, 'inventory.replies', [id!])).map(r => `${r.value.command as string}/${r.value.outcome as string}`)
  assert.deepEqual(replies, ['RESERVE/RESERVED', 'RELEASE/RELEASED'])
  const metrics = (await saga.request('orchestrator', 'GET', '/metrics')).body as string
  assert.equal(metricValue(metrics, 'vitrine_saga_replies_ignored_total', { topic: 'inventory.replies', reason: 'late' }), 1, 'the late RESERVED changed nothing')
  assert.equal((await recordsOf(saga, 'inventory.commands', [id!])).filter(r => r.value.command === 'COMMIT').length, 0, 'never committed')
})

test('the orchestrator itself down past an order\'s deadline: on return it fails the order without charging anything', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { 'checkout-api': { ORDER_DEADLINE_MS: 1000 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  await saga.stopService('orchestrator')
  const [id] = await saga.placeOrders([orchestrated('sem-orquestrador', [{ productId: p, quantity: 1 }])])
  // A witness: a choreographed order placed after it, whose slow payment keeps it pending past its
  // (later) deadline. Once checkout-api's sweeper has failed the witness, it has swept past the
  // orchestrated order's deadline too, and must have left that one alone.
  const [witness] = await saga.placeOrders([orderBody('testemunha-slow-payment', [{ productId: p, quantity: 1 }], { mode: 'choreography' })])
  assert.deepEqual((await saga.waitTerminal([witness!], 20_000)).get(witness!), { status: 'failed', reason: 'deadline_exceeded' })
  assert.equal((await saga.orderStatuses([id!])).get(id!)?.status, 'pending', 'checkout-api leaves orchestrated orders to the orchestrator')
  await saga.startService('orchestrator')
  const statuses = await saga.waitTerminal([id!], 20_000)
  assert.deepEqual(statuses.get(id!), { status: 'failed', reason: 'deadline_exceeded' })
  assert.deepEqual(await settle(saga, [id!]), [])
  assert.equal((await recordsOf(saga, 'payments.commands', [id!])).length, 0, 'never charged, so nothing to refund')
  assert.equal((await saga.request('payment', 'GET', `/payments/${id!}`)).status, 404)
})
