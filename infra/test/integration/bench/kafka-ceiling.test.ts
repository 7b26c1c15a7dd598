import assert from 'node:assert/strict'
import { test } from 'node:test'
import { measureKafkaCeiling } from '../../../src/bench/kafka-ceiling.ts'
import { sharedSettings, testAdmin } from '../../../src/testing/stack-env.ts'

test('the ceiling runs Kafka\'s three tools against the broker, returns their figures and deletes its topics', { timeout: 180_000 }, async t => {
  const s = sharedSettings()
  const admin = testAdmin(t, s)
  const c = await measureKafkaCeiling({ settings: s, records: 5_000, latencyMessages: 50 })
  assert.equal(c.producer.records, 5_000)
  assert.equal(c.consumer.records, 5_000)
  assert.equal(c.endToEnd.messages, 50)
  assert.ok(c.producer.recordsPerSec > 0 && c.consumer.recordsPerSec > 0)
  assert.ok(c.endToEnd.p50Ms <= c.endToEnd.p99Ms)
  assert.equal(c.recordSize, 300)
  assert.equal(c.topics.length, 2)
  const existing = new Set(await admin.listTopics())
  assert.deepEqual(c.topics.filter(name => existing.has(name)), [], 'bench topics left behind')
})
