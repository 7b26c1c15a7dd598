import { test } from 'node:test'
import assert from 'node:assert/strict'
import { causalOrder, topicRank } from '../../src/trace.ts'
import { summarize } from '../../src/compare.ts'

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

test('summaries name the command and outcome from the record itself', () => {
  assert.equal(summarize('payments.commands', { command: 'CHARGE' }, {}), 'comando CHARGE (cobrar)')
  assert.equal(summarize('inventory.replies', { command: 'RESERVE', outcome: 'FAILED', reason: 'insufficient_stock' }, {}), 'resposta a RESERVE: FAILED (insufficient_stock)')
  assert.equal(summarize('orders.dlq', null, { 'dlq-original-topic': 'payments.replies', 'dlq-error': 'boom' }), 'dead-letter de payments.replies: boom')
})
