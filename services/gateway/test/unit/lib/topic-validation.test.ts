import { test } from 'node:test'
import assert from 'node:assert/strict'
import { protectedReason, validateNewTopic } from '../../../src/lib/topic-validation.ts'

const rules = { brokers: 1, maxPartitions: 48 }

test('a valid request breaks no rule', () => {
  assert.deepEqual(validateNewTopic({ name: 'aula.pedidos-v2_x', partitions: 6, replicationFactor: 1, configs: { 'retention.ms': '60000', 'cleanup.policy': 'compact,delete', 'min.insync.replicas': '1' } }, rules), [])
})

test('every broken rule is reported with its field', () => {
  const errors = validateNewTopic({ name: 'sem espaço!', partitions: 0, replicationFactor: 3, configs: { 'retention.ms': 'uma semana', 'cleanup.policy': 'forever', 'min.insync.replicas': '2', 'not.a.config': '1' } }, rules)
  const fields = errors.map(e => `${e.field}:${e.rule}`).sort()
  assert.deepEqual(fields, [
    'body.configs.cleanup.policy:enum',
    'body.configs.min.insync.replicas:range',
    'body.configs.not.a.config:unknown',
    'body.configs.retention.ms:type',
    'body.name:pattern',
    'body.partitions:range',
    'body.replicationFactor:range'
  ])
  assert.match(errors.find(e => e.field === 'body.replicationFactor')!.message, /number of brokers \(1\)/)
})

test('names: reserved, too long, "." and "..", and a clash with an existing topic differing only in "." vs "_"', () => {
  const only = (name: string, existing?: Set<string>): string[] => validateNewTopic({ name, partitions: 1, replicationFactor: 1 }, { ...rules, ...(existing ? { existing } : {}) }).map(e => e.rule)
  assert.deepEqual(only('__minha'), ['reserved'])
  assert.deepEqual(only('x'.repeat(250)), ['maxLength'])
  assert.deepEqual(only('..'), ['pattern'])
  assert.deepEqual(only('orders_new', new Set(['orders.new'])), ['collision'])
  assert.deepEqual(only('orders.new', new Set(['orders.new'])), [], 'an exact duplicate is a conflict (409), not a validation error')
  assert.deepEqual(only(''), ['required'])
})

test('partitions above the console\'s limit are refused', () => {
  assert.deepEqual(validateNewTopic({ name: 't', partitions: 49, replicationFactor: 1 }, rules).map(e => e.field), ['body.partitions'])
  assert.deepEqual(validateNewTopic({ name: 't', partitions: 2.5, replicationFactor: 1 }, rules).map(e => e.field), ['body.partitions'])
})

test('Kafka\'s internal topics, the registry\'s storage and the catalog topics are protected from deletion', () => {
  const catalog = new Set(['orders.new'])
  assert.equal(protectedReason('__consumer_offsets', catalog, ['kafkasql-journal']), 'internal')
  assert.equal(protectedReason('kafkasql-journal', catalog, ['kafkasql-journal']), 'registry')
  assert.equal(protectedReason('orders.new', catalog, []), 'catalog')
  assert.equal(protectedReason('aula-1', catalog, []), null)
})
