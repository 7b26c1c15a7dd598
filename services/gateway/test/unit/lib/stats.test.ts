import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OrderStats } from '../../../src/lib/stats.ts'
import { outcomeOf } from '../../../src/lib/live-event.ts'
import type { LiveEvent } from '../../../src/lib/live-event.ts'

let offset = 0
function ev (orderId: string, topic: string, timestamp: number, mode: LiveEvent['mode'] = 'choreography'): LiveEvent {
  return { id: `${topic}/0/${offset}`, topic, kind: 'event', partition: 0, offset: offset++, key: orderId, timestamp, headers: {}, eventType: topic, correlationId: null, causationId: null, mode, producer: null, schemaId: 1, value: { orderId }, decodeError: null, orderId, eventId: null, outcome: outcomeOf(topic, {}), origin: null, size: 10 }
}

test('success rate, mean processing time, pending and orders per minute come from the events read', () => {
  const now = 1_700_000_100_000
  const s = new OrderStats({ now: () => now, bucketMs: 10_000 })
  s.add(ev('a', 'orders.new', now - 5000))
  s.add(ev('a', 'payments.approved', now - 4000))
  s.add(ev('a', 'orders.confirmed', now - 3000)) // 2000 ms
  s.add(ev('b', 'orders.new', now - 5000, 'orchestration'))
  s.add(ev('b', 'orders.failed', now - 1000, 'orchestration')) // 4000 ms
  s.add(ev('b', 'payments.refunded', now - 900, 'orchestration'))
  s.add(ev('c', 'orders.new', now - 2000))
  s.add(ev('old', 'orders.new', now - 120_000))
  const snap = s.snapshot()
  assert.deepEqual(snap.orders, { created: 4, confirmed: 1, failed: 1, pending: 2 })
  assert.equal(snap.successRate, 0.5)
  assert.equal(snap.meanProcessingMs, 3000)
  assert.equal(snap.processingSamples, 2)
  assert.equal(snap.ordersPerMinute, 3, 'the order created two minutes ago is not in the last minute')
  assert.equal(snap.compensations, 1)
  assert.deepEqual(snap.byMode.orchestration, { created: 1, confirmed: 0, failed: 1 })
  assert.deepEqual(snap.byMode.choreography, { created: 3, confirmed: 1, failed: 0 })
  const total = snap.volume.reduce((n, b) => n + b.created, 0)
  assert.equal(total, 4)
  assert.ok(snap.volume.every((b, i) => i === 0 || b.t - snap.volume[i - 1]!.t === 10_000), 'one bucket every 10 s, empty ones included')
  assert.ok(snap.volume.some(b => b.created === 0), 'a quiet 10 s shows as zero, not as a gap')
})

test('an order counts once, an end read before its start still gets its duration, and an end without a start has none', () => {
  const now = 1_700_000_000_000
  const s = new OrderStats({ now: () => now })
  s.add(ev('x', 'orders.confirmed', now - 100))
  s.add(ev('x', 'orders.new', now - 600))
  s.add(ev('x', 'orders.new', now - 600))
  s.add(ev('x', 'orders.confirmed', now - 100))
  s.add(ev('y', 'orders.failed', now - 50))
  const snap = s.snapshot()
  assert.deepEqual(snap.orders, { created: 1, confirmed: 1, failed: 1, pending: 0 })
  assert.equal(snap.processingSamples, 1)
  assert.equal(snap.meanProcessingMs, 500)
  assert.equal(s.snapshot().successRate, 0.5)
})

test('memory is bounded: forgotten pending orders leave the pending count', () => {
  const now = Date.now()
  const s = new OrderStats({ now: () => now, maxOrders: 100 })
  for (let i = 0; i < 1000; i++) s.add(ev(`o${i}`, 'orders.new', now))
  const snap = s.snapshot()
  assert.equal(snap.orders.created, 1000)
  assert.equal(snap.orders.pending, 100)
  assert.equal(new OrderStats({ now: () => now }).snapshot().successRate, null)
})
