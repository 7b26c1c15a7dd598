import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import type { InventoryReply, PaymentReply } from '@vitrine/contracts'
import { EventProducer } from '@vitrine/service-kit'
import { groupCaughtUp, readTopic, waitFor } from '@vitrine/infra/testing/saga'
import { Saga, WITH_ORCHESTRATOR, metricValue, orchestrated, recordsOf, settle, violations } from '../../src/index.ts'

// Replies that arrive twice, late or out of order must change nothing; a reply the orchestrator
// cannot place goes to the DLQ and the partition moves on.

async function producerFor (saga: Saga, t: { after: (fn: () => Promise<void>) => void }): Promise<{ raw: EventProducer, serde: TopicSerde }> {
  const raw = new EventProducer(saga.env.brokers, 'reply-test', pino({ level: 'silent' }))
  await raw.connect()
  t.after(async () => { await raw.close() })
  return { raw, serde: new TopicSerde(saga.env.registryUrl, saga.env.prefix) }
}

/** A reply as a participant would write it, answering the command `causationId`. */
async function sendReply (saga: Saga, p: { raw: EventProducer, serde: TopicSerde }, topic: 'payments.replies' | 'inventory.replies', value: PaymentReply | InventoryReply, causationId: string): Promise<{ partition: number, offset: number }> {
  const bytes = topic === 'payments.replies' ? await p.serde.encode(topic, value as PaymentReply) : await p.serde.encode(topic, value as InventoryReply)
  const headers = { [HEADERS.eventType]: topic, [HEADERS.producer]: topic === 'payments.replies' ? 'payment' : 'inventory', [HEADERS.sagaMode]: 'orchestration', [HEADERS.correlationId]: value.orderId, [HEADERS.causationId]: causationId }
  return await p.raw.send({ topic: saga.env.prefix + topic, key: value.orderId, value: bytes, headers })
}

const caughtUp = async (saga: Saga): Promise<void> => {
  await waitFor('the orchestrator to consume the replies', async () =>
    await groupCaughtUp(saga.env.brokers, `orchestrator${saga.env.groupSuffix}`, saga.env.prefix + 'payments.replies') &&
    await groupCaughtUp(saga.env.brokers, `orchestrator${saga.env.groupSuffix}`, saga.env.prefix + 'inventory.replies'), 20_000)
}

const commandCount = async (saga: Saga, id: string): Promise<number> =>
  (await Promise.all(['payments.commands', 'inventory.commands', 'orders.commands'].map(async topic => (await recordsOf(saga, topic, [id])).length))).reduce((a, b) => a + b, 0)

test('a duplicate reply and contradicting late replies after the saga completed change nothing', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR })
  t.after(() => saga.close())
  const p = await producerFor(saga, t)
  const prod = await saga.product(10)
  const [id] = await saga.placeOrders([orchestrated('repetido', [{ productId: prod, quantity: 2 }])])
  await saga.waitTerminal([id!])
  assert.deepEqual(await settle(saga, [id!]), [])
  const before = (await saga.request('orchestrator', 'GET', `/sagas/${id!}`)).body
  assert.equal(before.state, 'completed')
  const commandsBefore = await commandCount(saga, id!)

  // The very same APPROVED record again, twice (a redelivery).
  const [approved] = (await recordsOf(saga, 'payments.replies', [id!])).filter(r => r.value.outcome === 'APPROVED')
  for (let i = 0; i < 2; i++) await p.raw.send({ topic: saga.env.prefix + 'payments.replies', key: id!, value: approved!.rec.value!, headers: approved!.rec.headers })
  // Contradicting answers to the real commands, arriving after the saga moved on.
  const charge = (await recordsOf(saga, 'payments.commands', [id!])).find(r => r.value.command === 'CHARGE')!
  const reserve = (await recordsOf(saga, 'inventory.commands', [id!])).find(r => r.value.command === 'RESERVE')!
  await sendReply(saga, p, 'payments.replies', { eventId: randomUUID(), orderId: id!, command: 'CHARGE', outcome: 'DECLINED', paymentId: null, reason: 'late_decline', occurredAt: Date.now() }, charge.value.eventId as string)
  await sendReply(saga, p, 'inventory.replies', { eventId: randomUUID(), orderId: id!, command: 'RESERVE', outcome: 'FAILED', reason: 'insufficient_stock', productId: prod, occurredAt: Date.now() }, reserve.value.eventId as string)
  await caughtUp(saga)

  const after = (await saga.request('orchestrator', 'GET', `/sagas/${id!}`)).body
  assert.equal(after.state, 'completed')
  assert.deepEqual(after.transitions, before.transitions, 'no transition recorded')
  assert.equal(await commandCount(saga, id!), commandsBefore, 'no command sent')
  assert.deepEqual(await violations(saga, [id!]), [])
  assert.equal((await saga.request('checkout-api', 'GET', `/orders/${id!}`)).body.status, 'confirmed')
  assert.equal((await saga.request('inventory', 'GET', `/products/${prod}`)).body.stock, 8, 'sold once, never released')
  const metrics = (await saga.request('orchestrator', 'GET', '/metrics')).body as string
  assert.equal(metricValue(metrics, 'vitrine_saga_replies_ignored_total', { topic: 'payments.replies', reason: 'duplicate' }), 2)
  assert.equal(metricValue(metrics, 'vitrine_saga_replies_ignored_total', { topic: 'payments.replies', reason: 'late' }), 1)
  assert.equal(metricValue(metrics, 'vitrine_saga_replies_ignored_total', { topic: 'inventory.replies', reason: 'late' }), 1)
})

test('out-of-order replies while the saga waits for payment change nothing; the real answer still drives it to the end', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, env: { payment: { PAYMENT_DELAY_MIN_MS: 4000, PAYMENT_DELAY_MAX_MS: 4000 } } })
  t.after(() => saga.close())
  const p = await producerFor(saga, t)
  const prod = await saga.product(10)
  const [id] = await saga.placeOrders([orchestrated('fora-de-ordem', [{ productId: prod, quantity: 1 }])])
  await waitFor('the saga to wait for payment', async () => (await saga.request('orchestrator', 'GET', `/sagas/${id!}`)).body.state === 'payment_pending', 10_000)
  // An inventory answer before any RESERVE, a refund answer nobody asked for, and an APPROVED answering a command never sent.
  await sendReply(saga, p, 'inventory.replies', { eventId: randomUUID(), orderId: id!, command: 'RESERVE', outcome: 'RESERVED', reason: null, productId: null, occurredAt: Date.now() }, randomUUID())
  await sendReply(saga, p, 'payments.replies', { eventId: randomUUID(), orderId: id!, command: 'REFUND', outcome: 'REFUNDED', paymentId: null, reason: null, occurredAt: Date.now() }, randomUUID())
  await sendReply(saga, p, 'payments.replies', { eventId: randomUUID(), orderId: id!, command: 'CHARGE', outcome: 'APPROVED', paymentId: null, reason: null, occurredAt: Date.now() }, randomUUID())
  await caughtUp(saga)
  const waiting = (await saga.request('orchestrator', 'GET', `/sagas/${id!}`)).body
  assert.equal(waiting.state, 'payment_pending', 'still waiting for the real answer')
  assert.equal(waiting.transitions.length, 1)

  await saga.waitTerminal([id!], 20_000)
  assert.deepEqual(await settle(saga, [id!]), [])
  assert.equal((await saga.request('checkout-api', 'GET', `/orders/${id!}`)).body.status, 'confirmed')
  assert.equal((await recordsOf(saga, 'inventory.commands', [id!])).filter(r => r.value.command === 'RESERVE').length, 1, 'one RESERVE, after the real APPROVED')
  const metrics = (await saga.request('orchestrator', 'GET', '/metrics')).body as string
  assert.equal(metricValue(metrics, 'vitrine_saga_replies_ignored_total', { topic: 'payments.replies', reason: 'late' }) + metricValue(metrics, 'vitrine_saga_replies_ignored_total', { topic: 'inventory.replies', reason: 'late' }), 3)
})

test('a reply for a saga the orchestrator does not know goes to orders.dlq with its origin, and the sagas after it on that partition still finish', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR })
  t.after(() => saga.close())
  const p = await producerFor(saga, t)
  const prod = await saga.product(100)
  // One on each partition, so whichever partition the next orders use has one before them.
  const strays = await Promise.all([0, 1, 2].map(async n => {
    const orderId = `desconhecido-${n}-${randomUUID()}`
    return await sendReply(saga, p, 'payments.replies', { eventId: randomUUID(), orderId, command: 'CHARGE', outcome: 'APPROVED', paymentId: null, reason: null, occurredAt: Date.now() }, randomUUID())
  }))
  const ids = await saga.placeOrders(Array.from({ length: 6 }, (_, i) => orchestrated(`depois-${i}`, [{ productId: prod, quantity: 1 }])))
  const statuses = await saga.waitTerminal(ids)
  assert.ok([...statuses.values()].every(s => s.status === 'confirmed'))
  assert.deepEqual(await settle(saga, ids), [])
  const dlq = await readTopic(saga.env.brokers, saga.env.prefix + 'orders.dlq', rs => rs.filter(r => r.headers[HEADERS.failedBy]?.startsWith('orchestrator/')).length >= 3, 20_000)
  for (const stray of strays) {
    const dead = dlq.find(r => r.headers[HEADERS.failedBy]?.startsWith('orchestrator/') && Number(r.headers[HEADERS.originalPartition]) === stray.partition && Number(r.headers[HEADERS.originalOffset]) === stray.offset)
    assert.ok(dead, `stray reply at partition ${stray.partition} offset ${stray.offset} is in the DLQ`)
    assert.equal(dead.headers[HEADERS.originalTopic], saga.env.prefix + 'payments.replies')
    assert.match(dead.headers[HEADERS.error]!, /unknown saga/)
    assert.equal(dead.headers[HEADERS.attempts], '1', 'not retried: a permanent error')
  }
})
