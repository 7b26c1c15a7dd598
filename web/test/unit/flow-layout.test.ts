import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TOPICS, writersOf } from '@vitrine/contracts'
import { SERVICE_HALF, TOPIC_HALF, W, along, layout } from '../../src/lib/flow-layout.ts'
import type { CatalogTopic } from '../../src/lib/types.ts'

const catalog: CatalogTopic[] = TOPICS.map(t => ({ name: t.name, description: t.description, partitions: t.partitions, replicationFactor: t.replicationFactor, key: t.key, schema: t.schema, writers: [...writersOf(t)], readers: [...t.readers], kind: t.kind, config: { ...t.config } }))

test('the flow graph has every catalog topic, and every service but the gateway on both sides', () => {
  const g = layout(catalog)
  assert.equal(g.topics.size, TOPICS.length)
  assert.ok(!g.writers.has('gateway') && !g.readers.has('gateway'), 'the gateway draws the graph; it is not in it')
  assert.deepEqual([...g.writers.keys()].sort(), ['checkout-api', 'connect', 'inventory', 'notification', 'orchestrator', 'payment', 'sales-counter', 'streams'])
  assert.ok([...g.topics.values()].every(t => t.x === W / 2))
})

test('edges follow the catalog: one per writer and one per reader (not the gateway); retry and DLQ topics have none drawn in advance', () => {
  const g = layout(catalog)
  const expected = catalog
    .filter(t => t.kind !== 'retry' && t.kind !== 'dead-letter')
    .reduce((n, t) => n + t.writers.length + t.readers.filter(r => r !== 'gateway').length, 0)
  assert.equal(g.edges.length, expected)
  const approved = g.topics.get('payments.approved')!
  const into = g.edges.filter(e => e.to.y === approved.y && e.to.x === approved.x - TOPIC_HALF)
  assert.equal(into.length, 1, 'payments.approved has one writer')
  assert.equal(into[0]!.from.x, g.writers.get('payment')!.x + SERVICE_HALF)
  assert.ok(g.edges.filter(e => e.orchestration).length > 0, 'commands and replies are told apart')
  const dlq = g.topics.get('orders.dlq')!
  assert.equal(g.edges.filter(e => e.to.y === dlq.y || e.from.y === dlq.y).length, 0)
})

test('a moving event starts at its source and ends at its target', () => {
  const a = { x: 10, y: 20 }
  const b = { x: 300, y: 120 }
  assert.deepEqual(along(a, b, 0), a)
  assert.deepEqual(along(a, b, 1), b)
  const mid = along(a, b, 0.5)
  assert.equal(mid.x, 155)
  assert.equal(mid.y, 70)
})
