import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TOPICS, topic } from '@vitrine/contracts'
import { effectiveSpec, formatReport } from '../../src/topics.ts'

test('on one broker, replication drops to 1 and min.insync.replicas to 1', () => {
  const spec = topic('orders.new')
  assert.deepEqual(effectiveSpec(spec, 1), { partitions: 3, replicationFactor: 1, config: { ...spec.config, 'min.insync.replicas': '1' } })
})

test('on three brokers, the catalog applies as written', () => {
  for (const spec of TOPICS) {
    const want = effectiveSpec(spec, 3)
    assert.equal(want.replicationFactor, spec.replicationFactor, spec.name)
    assert.deepEqual(want.config, spec.config, spec.name)
  }
})

test('effectiveSpec leaves the catalog entry untouched and configs without min.insync.replicas as they are', () => {
  const spec = { ...topic('orders.dlq'), config: { 'cleanup.policy': 'compact' } }
  assert.deepEqual(effectiveSpec(spec, 1).config, { 'cleanup.policy': 'compact' })
  const before = JSON.stringify(topic('orders.new'))
  effectiveSpec(topic('orders.new'), 1)
  assert.equal(JSON.stringify(topic('orders.new')), before)
})

test('the report names created topics, counts conforming ones and spells out each drift', () => {
  const lines = formatReport({
    created: ['a', 'b'],
    unchanged: ['c'],
    drift: [{ topic: 'd', key: 'partitions', expected: '3', actual: '2' }],
    widened: [{ topic: 'e', key: 'config.retention.ms', expected: '2592000000', actual: '86400000' }]
  })
  assert.deepEqual(lines, [
    'criados: a, b',
    'já conforme o catálogo: 1 tópicos',
    'ajustado em e: config.retention.ms era 86400000, agora 2592000000 (o catálogo guarda por mais tempo)',
    'DIVERGÊNCIA em d: partitions deveria ser 3, no broker é 2'
  ])
})
