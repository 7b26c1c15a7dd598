import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TopicSpec } from '../../src/topics.ts'
import { TOPICS, topic } from '../../src/topics.ts'
import { formatProblems, validateCatalog } from '../../src/validate.ts'

const good = (changes: Partial<TopicSpec> = {}): TopicSpec => ({ ...topic('orders.new'), name: 'test.topic', ...changes })
const problemKeys = (spec: TopicSpec): string[] => validateCatalog([spec]).map(p => `${p.topic} ${p.key}`)

test('the catalog as shipped is valid', () => {
  assert.deepEqual(validateCatalog(TOPICS), [])
})

test('layout: partitions and replication must be positive integers', () => {
  for (const partitions of [0, -1, 1.5, Number.NaN]) assert.deepEqual(problemKeys(good({ partitions })), ['test.topic partitions'], String(partitions))
  for (const replicationFactor of [0, -3]) assert.deepEqual(problemKeys(good({ replicationFactor })), ['test.topic replicationFactor'])
})

test('configs: unknown keys and empty values are refused, naming the key', () => {
  assert.deepEqual(problemKeys(good({ config: { 'retention.msec': '1' } })), ['test.topic config.retention.msec'])
  assert.deepEqual(problemKeys(good({ config: { 'cleanup.policy': '' } })), ['test.topic config.cleanup.policy'])
  assert.deepEqual(problemKeys(good({ config: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' } })), [])
})

test('names: Kafka\'s legal characters, not "." or "..", and no duplicates', () => {
  for (const name of ['orders new', 'pedidos/novos', '..', '.', '', 'x'.repeat(250)]) assert.deepEqual(validateCatalog([good({ name })]).map(p => p.key), ['name'], JSON.stringify(name))
  assert.deepEqual(validateCatalog([good(), good()]).map(p => `${p.topic} ${p.key}`), ['test.topic name'])
})

test('services and schemas must exist', () => {
  assert.deepEqual(problemKeys(good({ writer: 'shipping' as never })), ['test.topic writer'])
  assert.deepEqual(problemKeys(good({ writer: [] })), ['test.topic writer'])
  assert.deepEqual(problemKeys(good({ readers: ['payment', 'ledger' as never] })), ['test.topic readers'])
  assert.deepEqual(problemKeys(good({ schema: 'order-shipped' })), ['test.topic schema'])
  assert.deepEqual(problemKeys(good({ schema: null })), [])
})

test('each problem is reported on its own line naming the topic and the key', () => {
  const text = formatProblems(validateCatalog([good({ name: 'a.b', partitions: 0, config: { 'retention.msec': '1' } })]))
  assert.deepEqual(text.split('\n'), [
    'topic "a.b": partitions must be a positive integer, got 0',
    'topic "a.b": config.retention.msec is not a Kafka topic config'
  ])
})
