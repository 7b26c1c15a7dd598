import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { HEADERS } from '@vitrine/contracts'
import { EventProducer, replayDeadLetters } from '@vitrine/service-kit'
import { consumeAndCommit } from '@vitrine/infra/testing'
import { waitFor } from '@vitrine/infra/testing/saga'
import { Saga, WITH_ORCHESTRATOR, metricValue, orchestrated, orderBody, recordsOf, settle } from '../../src/index.ts'
import type { ServiceId } from '../../src/index.ts'

// A step's record dead-lettered by the service that should have acted on it (REFUND, FAIL,
// orders.failed): the saga must still end, or the order be flagged for an operator, never left
// silently pending with money or stock held. The dead-lettering is reproduced as the consumer
// engine does it: the group moves past the record (its offset committed) and a copy with the
// failure headers goes to orders.dlq.

async function deadLetter (saga: Saga, service: ServiceId, group: string, topic: string, orderId: string): Promise<void> {
  const [rec] = (await recordsOf(saga, topic, [orderId])).slice(-1)
  assert.ok(rec, `a ${topic} record for ${orderId}`)
  // The service is stopped, so its group is empty: one member reads the one record it had not read, and commits.
  await consumeAndCommit(saga.env.brokers, group + saga.env.groupSuffix, saga.env.prefix + topic, 1, 30_000)
  const producer = new EventProducer(saga.env.brokers, 'dead-letter-test', pino({ level: 'silent' }))
  await producer.connect()
  try {
    await producer.send({
      topic: saga.env.prefix + 'orders.dlq',
      key: orderId,
      value: rec.rec.value!,
      headers: { ...rec.rec.headers, [HEADERS.originalTopic]: saga.env.prefix + topic, [HEADERS.originalPartition]: String(rec.rec.partition), [HEADERS.originalOffset]: String(rec.rec.offset), [HEADERS.error]: 'Error: simulated: the handler failed for good', [HEADERS.attempts]: '4', [HEADERS.failedBy]: `${service}/${group}${saga.env.groupSuffix}` }
    })
  } finally {
    await producer.close()
  }
}

const orderView = async (saga: Saga, id: string): Promise<any> => (await saga.request('checkout-api', 'GET', `/orders/${id}`)).body

test('a dead-lettered REFUND: the orchestrator sends it again and the saga still ends with the money returned', { timeout: 180_000 }, async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { orchestrator: { INVENTORY_STEP_TIMEOUT_MS: 2000, COMPENSATION_TIMEOUT_MS: 1000, STEP_RESEND_MS: 1500, MAX_STEP_RESENDS: 5 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  await saga.stopService('inventory')
  const [id] = await saga.placeOrders([orchestrated('reembolso-perdido', [{ productId: p, quantity: 1 }])])
  await waitFor('the charge', async () => (await saga.request('payment', 'GET', `/payments/${id!}`)).body.status === 'approved', 20_000)
  await saga.stopService('payment')
  await waitFor('the REFUND after the inventory step deadline', async () => (await recordsOf(saga, 'payments.commands', [id!])).some(r => r.value.command === 'REFUND'), 20_000, 500)
  await deadLetter(saga, 'payment', 'payment', 'payments.commands', id!)
  await saga.startService('payment')
  await saga.startService('inventory')
  assert.deepEqual(await settle(saga, [id!], 60_000), [], 'failed, refunded and released, nothing kept')
  assert.equal((await saga.request('payment', 'GET', `/payments/${id!}`)).body.status, 'refunded')
  const refunds = (await recordsOf(saga, 'payments.commands', [id!])).filter(r => r.value.command === 'REFUND')
  assert.ok(refunds.some(r => r.rec.headers[HEADERS.resend] !== undefined), 'the REFUND was sent again')
})

test('a dead-lettered FAIL: checkout-api flags the still-pending order for an operator; replaying the DLQ ends it', { timeout: 180_000 }, async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { 'checkout-api': { ORDER_DEADLINE_MS: 1500, OUTCOME_GRACE_MS: 1000, DLQ_WATCH_MS: 500 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  await saga.stopService('orchestrator')
  const [id] = await saga.placeOrders([orchestrated('fail-perdido', [{ productId: p, quantity: 1 }])])
  await saga.stopService('checkout-api')
  // Past the order's deadline, the orchestrator answers FAIL (deadline_exceeded) at once.
  await new Promise(resolve => setTimeout(resolve, 2000))
  await saga.startService('orchestrator')
  await waitFor('the FAIL', async () => (await recordsOf(saga, 'orders.commands', [id!])).length > 0, 20_000, 500)
  await deadLetter(saga, 'checkout-api', 'checkout-api', 'orders.commands', id!)
  await saga.startService('checkout-api')
  const flagged = await waitFor('the order flagged for an operator', async () => {
    const o = await orderView(saga, id!)
    return o.attention ? o : undefined
  }, 20_000, 250)
  assert.equal(flagged.status, 'pending')
  assert.ok(flagged.attention.reason, 'a reason an operator can act on')
  const metrics = (await saga.request('checkout-api', 'GET', '/metrics')).body as string
  assert.ok(metricValue(metrics, 'vitrine_orders_needing_operator', {}) >= 1, 'counted in the metrics')

  // The operator replays the DLQ: the FAIL is applied and the order ends.
  const producer = new EventProducer(saga.env.brokers, 'dead-letter-test', pino({ level: 'silent' }))
  await producer.connect()
  try {
    await replayDeadLetters(saga.env.brokers, producer, saga.sql as never, { prefix: saga.env.prefix })
  } finally {
    await producer.close()
  }
  const statuses = await saga.waitTerminal([id!], 30_000)
  assert.equal(statuses.get(id!)?.status, 'failed')
  assert.equal((await orderView(saga, id!)).attention, null, 'the flag goes once the order ended')
  assert.deepEqual(await settle(saga, [id!]), [])
})

test('a dead-lettered orders.failed (choreography): the failed order whose charge was never cancelled is flagged for an operator', { timeout: 180_000 }, async (t) => {
  const saga = await Saga.start({ env: { 'checkout-api': { ORDER_DEADLINE_MS: 1500, DLQ_WATCH_MS: 500 }, payment: { PAYMENT_SLOW_MS: 6000 } } })
  t.after(() => saga.close())
  const p = await saga.product(10)
  const [id] = await saga.placeOrders([orderBody('slow-payment-perdido', [{ productId: p, quantity: 1 }])])
  await waitFor('the charge request', async () => (await saga.request('payment', 'GET', `/payments/${id!}`)).status === 200, 20_000)
  await saga.stopService('payment')
  await waitFor('orders.failed after the deadline', async () => (await recordsOf(saga, 'orders.failed', [id!])).length > 0, 20_000, 500)
  await deadLetter(saga, 'payment', 'payment', 'orders.failed', id!)
  await saga.startService('payment')
  const flagged = await waitFor('the order flagged for an operator', async () => {
    const o = await orderView(saga, id!)
    return o.attention ? o : undefined
  }, 20_000, 250)
  assert.equal(flagged.status, 'failed')
  assert.match(`${flagged.attention.reason as string} ${flagged.attention.detail as string}`, /payment/)
})

test('retry-payment (choreography): the transient failure parks orders.new on orders.retry.5s; read from there, the order is charged once and confirmed', { timeout: 120_000 }, async (t) => {
  const saga = await Saga.start({ services: ['checkout-api', 'inventory', 'payment', 'notification'] })
  t.after(() => saga.close())
  const p = await saga.product(10)
  const [id] = await saga.placeOrders([orderBody('aula-retry-payment', [{ productId: p, quantity: 1 }])])
  const statuses = await saga.waitTerminal([id!], 60_000)
  assert.equal(statuses.get(id!)?.status, 'confirmed')
  // The record payment could not handle went through the first retry tier, once, marked as payment's.
  const parked = await recordsOf(saga, 'orders.retry.5s', [id!])
  assert.equal(parked.length, 1, 'one orders.new record on the retry topic')
  assert.equal(parked[0]!.rec.headers[HEADERS.retryGroup], `payment${saga.env.groupSuffix}`)
  assert.match(parked[0]!.rec.headers[HEADERS.error] ?? '', /retry-payment/)
  assert.equal((await recordsOf(saga, 'payments.approved', [id!])).length, 1, 'charged once')
  assert.deepEqual(await settle(saga, [id!]), [])
})
