import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RingBuffer } from '../../../src/lib/ring.ts'
import { OrderIndex } from '../../../src/lib/order-index.ts'
import type { LiveEvent } from '../../../src/lib/live-event.ts'

function ev (orderId: string, topic: string, offset: number, timestamp: number): LiveEvent {
  return { id: `${topic}/0/${offset}`, topic, kind: 'event', partition: 0, offset, key: orderId, timestamp, headers: {}, eventType: topic, correlationId: null, causationId: null, mode: 'choreography', producer: null, schemaId: 1, value: { orderId }, decodeError: null, orderId, eventId: null, outcome: 'progress', origin: null, size: 10 }
}

test('the ring buffer keeps the newest items, oldest first', () => {
  const r = new RingBuffer<number>(3)
  assert.deepEqual(r.toArray(), [])
  r.push(1)
  r.push(2)
  assert.deepEqual(r.toArray(), [1, 2])
  for (let i = 3; i <= 10; i++) r.push(i)
  assert.equal(r.size, 3)
  assert.deepEqual(r.toArray(), [8, 9, 10])
  assert.deepEqual(r.last(2), [9, 10])
  assert.deepEqual(r.last(50), [8, 9, 10])
  assert.throws(() => new RingBuffer(0), RangeError)
})

test('the order index returns an order\'s events by time, forgets the least recently touched order, ignores duplicates', () => {
  const idx = new OrderIndex(2, 3)
  idx.add(ev('a', 'orders.confirmed', 5, 300))
  idx.add(ev('a', 'orders.new', 1, 100))
  idx.add(ev('a', 'orders.new', 1, 100))
  idx.add(ev('b', 'orders.new', 2, 150))
  assert.deepEqual(idx.get('a')!.map(e => e.topic), ['orders.new', 'orders.confirmed'])
  idx.add(ev('a', 'payments.requested', 3, 200)) // touches a: b is now the oldest
  idx.add(ev('c', 'orders.new', 4, 160))
  assert.equal(idx.size, 2)
  assert.equal(idx.get('b'), undefined)
  assert.deepEqual(idx.get('a')!.map(e => e.timestamp), [100, 200, 300])
  idx.add(ev('a', 'notifications.sent', 9, 400))
  assert.equal(idx.get('a')!.length, 3, 'at most maxEventsPerOrder are kept')
})
