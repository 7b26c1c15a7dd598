import { test } from 'node:test'
import assert from 'node:assert/strict'
import { originalOrder } from '../../../src/lib/order-replay.ts'
import { topicRank } from '../../../src/lib/trace.ts'

const r = (topic: string, partition: number, offset: number, timestamp: number): { topic: string, partition: number, offset: number, timestamp: number } => ({ topic, partition, offset, timestamp })
const ids = (rs: ReadonlyArray<{ topic: string, partition: number, offset: number }>): string[] => rs.map(x => `${x.topic}/${x.partition}/${x.offset}`)

test('originalOrder: by timestamp across topics, ties by the catalog\'s order, whatever order the reads came in', () => {
  const read = [r('notifications.sent', 2, 7, 400), r('orders.confirmed', 1, 3, 300), r('orders.new', 0, 10, 100), r('payments.approved', 2, 5, 200), r('payments.requested', 0, 4, 200)]
  assert.deepEqual(ids(originalOrder(read, topicRank)), ['orders.new/0/10', 'payments.requested/0/4', 'payments.approved/2/5', 'orders.confirmed/1/3', 'notifications.sent/2/7'])
})

test('originalOrder: within a partition the offsets rule, even when a later offset carries an earlier timestamp', () => {
  // A retried record keeps the original's CreateTime: on its partition it still comes after what was written before it.
  const read = [r('orders.retry.5s', 1, 9, 100), r('orders.retry.5s', 1, 8, 500), r('orders.new', 0, 2, 300)]
  assert.deepEqual(ids(originalOrder(read, topicRank)), ['orders.new/0/2', 'orders.retry.5s/1/8', 'orders.retry.5s/1/9'])
  assert.deepEqual(originalOrder([]), [])
})
