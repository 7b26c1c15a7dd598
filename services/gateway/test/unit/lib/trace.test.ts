import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TOPICS } from '@vitrine/contracts'
import { ORDER_TOPICS, causalOrder, expectedTopics, minimalTopics, missingFrom, partitionOf, topicRank } from '../../../src/lib/trace.ts'

const rec = (eventId: string, causationId: string | null, timestamp: number, topic = 'orders.new', offset = 0): { eventId: string, causationId: string | null, timestamp: number, rank: number, partition: number, offset: number, topic: string } =>
  ({ eventId, causationId, timestamp, rank: topicRank(topic), partition: 0, offset, topic })

test('causal order: a record never comes before the record that caused it, even with an earlier timestamp', () => {
  const items = [rec('c', 'b', 100), rec('a', null, 105), rec('b', 'a', 101)]
  assert.deepEqual(causalOrder(items).map(i => i.eventId), ['a', 'b', 'c'])
})

test('causal order: siblings tie on timestamp and follow the catalog order', () => {
  const root = rec('new', null, 10, 'orders.new')
  const approved = rec('ap', 'new', 20, 'payments.approved')
  const requested = rec('rq', 'new', 20, 'payments.requested')
  assert.deepEqual(causalOrder([approved, requested, root]).map(i => i.topic), ['orders.new', 'payments.requested', 'payments.approved'])
})

test('causal order: a cause outside the trace, or copies of one event (retry topics), keep timestamp order', () => {
  const items = [rec('x', 'elsewhere', 30), rec('x', 'elsewhere', 20, 'orders.retry.5s'), rec('y', 'x', 40)]
  assert.deepEqual(causalOrder(items).map(i => i.timestamp), [20, 30, 40])
})

test('the partition of a key is the producers\' murmur2_random one (Kafka\'s Java partitioner): murmur2 of the key, positive, modulo the partition count', () => {
  // Kafka's Utils.murmur2("foobar") is -790332482 (kafka-clients' own test value); & 0x7fffffff = 1357151166.
  assert.equal(partitionOf('foobar', 1000), 1357151166 % 1000)
  assert.equal(partitionOf('foobar', 3), 1357151166 % 3)
  const spread = new Set(Array.from({ length: 60 }, (_v, i) => partitionOf(`order-${i}`, 3)))
  assert.deepEqual([...spread].sort(), [0, 1, 2])
})

test('the order topics are every catalog topic keyed by the order: saga topics, retry tiers and the DLQ, not the product catalog, totals, KPIs or CDC', () => {
  const notByOrder = ['products.catalog', 'sales.totals', 'streams.order-kpis', 'streams.top-products', 'streams.live-kpis', 'streams.revenue-by-tier', 'customers.cdc', 'products.cdc']
  for (const t of notByOrder) assert.ok(!ORDER_TOPICS.includes(t), t)
  assert.equal(ORDER_TOPICS.length, TOPICS.length - notByOrder.length)
  for (const t of ['orders.new', 'notifications.sent', 'orders.dlq', 'orders.retry.5s']) assert.ok(ORDER_TOPICS.includes(t), t)
})

test('each known outcome has its set of records per mode, and only catalog topics in it', () => {
  const total = (m: Record<string, number> | null): number => Object.values(m ?? {}).reduce((a, b) => a + b, 0)
  assert.equal(total(expectedTopics('choreography', { status: 'confirmed' })), 6)
  assert.equal(total(expectedTopics('orchestration', { status: 'confirmed' })), 10)
  assert.equal(total(expectedTopics('choreography', { status: 'failed', reason: 'payment_failed' })), 5)
  assert.equal(total(expectedTopics('orchestration', { status: 'failed', reason: 'payment_failed' })), 6)
  assert.equal(total(expectedTopics('choreography', { status: 'failed', reason: 'inventory_failed' })), 8)
  assert.equal(total(expectedTopics('orchestration', { status: 'failed', reason: 'inventory_failed' })), 10)
  assert.equal(expectedTopics('orchestration', { status: 'failed', reason: 'deadline_exceeded' }), null)
  for (const mode of ['choreography', 'orchestration'] as const) {
    for (const o of [{ status: 'confirmed' as const }, { status: 'failed' as const, reason: 'payment_failed' }, { status: 'failed' as const, reason: 'inventory_failed' }]) {
      for (const topic of Object.keys(expectedTopics(mode, o)!)) assert.ok(ORDER_TOPICS.includes(topic), `${mode} ${JSON.stringify(o)}: ${topic}`)
    }
  }
})

test('missing records are named, with how many of how many when more than one is expected', () => {
  const expected = expectedTopics('choreography', { status: 'failed', reason: 'inventory_failed' })!
  const read = ['orders.new', 'payments.requested', 'payments.approved', 'inventory.failed', 'orders.failed', 'notifications.sent'].map(topic => ({ topic }))
  assert.deepEqual(missingFrom(expected, read), ['payments.refunded', 'notifications.sent (1 de 2)'])
  assert.deepEqual(missingFrom(minimalTopics({ status: 'failed', reason: 'x' }), read), [])
  assert.deepEqual(missingFrom(minimalTopics({ status: 'confirmed' }), read), ['orders.confirmed'])
})
