import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readAllNow, testEnv } from '@vitrine/infra/testing/saga'
import { EventProducer, partitionOf } from '../../../src/index.ts'
import type { OutgoingRecord } from '../../../src/index.ts'
import { createTopics, deleteTopics, testLog } from '../../helpers/engine.ts'

// sendBatch: one promise for many records, settled by the last delivery report, with each
// record's delivery in the records' order; the first failure rejects it.

const env = testEnv()
let producer: EventProducer

before(async () => {
  await createTopics(env, [{ name: 'orders.new', partitions: 3 }, { name: 'orders.dlq', configs: [{ name: 'max.message.bytes', value: '2048' }] }])
  producer = new EventProducer(env.brokers, 'kit-producer', testLog)
  await producer.connect()
})

after(async () => {
  await producer?.close()
  await deleteTopics(env, ['orders.new', 'orders.dlq'])
})

test('sendBatch: every record stored, its delivery at its index, each key\'s records in order, headers kept', { timeout: 60_000 }, async () => {
  const topic = env.prefix + 'orders.new'
  const records: OutgoingRecord[] = Array.from({ length: 300 }, (_, i) => ({
    topic, key: `pedido-${i % 7}`, value: Buffer.from(String(i)), headers: { 'event-type': 'orders.new', seq: String(i) }
  }))
  const delivered = await producer.sendBatch(records)
  assert.equal(delivered.length, records.length)
  assert.ok(delivered.every(d => d !== undefined && d.topic === topic), 'a delivery for every record')

  const stored = await readAllNow(env.brokers, topic)
  assert.equal(stored.length, records.length)
  const at = new Map(stored.map(r => [`${r.partition}:${r.offset}`, r]))
  delivered.forEach((d, i) => {
    const r = at.get(`${d.partition}:${d.offset}`)
    assert.ok(r, `record ${i} is where its delivery says`)
    assert.equal(r.value?.toString(), String(i), `delivery ${i} is record ${i}'s`)
    assert.equal(r.key, records[i]!.key)
    assert.deepEqual({ type: r.headers['event-type'], seq: r.headers.seq }, { type: 'orders.new', seq: String(i) })
  })
  // One key, one partition (the one Kafka's Java clients pick: murmur2_random), the batch's order.
  for (let k = 0; k < 7; k++) {
    const mine = delivered.filter((_, i) => i % 7 === k)
    assert.deepEqual([...new Set(mine.map(d => d.partition))], [partitionOf(`pedido-${k}`, 3)], `pedido-${k} on its murmur2 partition`)
    assert.ok(mine.every((d, j) => j === 0 || d.offset > mine[j - 1]!.offset), `key ${k} kept its order`)
  }
  assert.deepEqual(await producer.sendBatch([]), [])
})

test('sendBatch: one record the broker refuses rejects the batch; the others are stored', { timeout: 60_000 }, async () => {
  const ok = { topic: env.prefix + 'orders.new', key: 'pedido-ok', value: Buffer.from('ok'), headers: {} }
  // Random bytes, so lz4 cannot shrink them under the topic's 2048-byte limit.
  const big = { topic: env.prefix + 'orders.dlq', key: 'pedido-grande', value: randomBytes(8000), headers: {} }
  await assert.rejects(producer.sendBatch([ok, big, ok]), /too large|size/i)
  const stored = (await readAllNow(env.brokers, env.prefix + 'orders.new')).filter(r => r.key === 'pedido-ok')
  assert.equal(stored.length, 2, 'both good records stored')
  // The producer goes on after a failed batch.
  const [d] = await producer.sendBatch([ok])
  assert.equal(d!.topic, ok.topic)
})

test('messageTimeoutMs reaches librdkafka: a record for a topic that never appears rejects after it, not after the 300 s default', { timeout: 60_000 }, async (t) => {
  // A topic setting: given in the global config, node-rdkafka's topic config silently replaced it.
  const quick = new EventProducer(env.brokers, 'kit-producer-timeout', testLog, 5, { messageTimeoutMs: 1500 })
  await quick.connect()
  t.after(async () => { await quick.close() })
  const started = Date.now()
  await assert.rejects(quick.send({ topic: `${env.prefix}no-such-topic`, key: 'k', value: Buffer.from('x'), headers: {} }), /timed out/i)
  assert.ok(Date.now() - started < 15_000, `rejected after ${Date.now() - started} ms`)
})

test('switching between busy and idle polling on every batch adds no listener to the client (no leak)', { timeout: 60_000 }, async () => {
  const client = (producer as unknown as { producer: { listenerCount: (event: string) => number } }).producer
  const before = client.listenerCount('disconnected')
  for (let i = 0; i < 30; i++) await producer.send({ topic: env.prefix + 'orders.new', key: `poll-${i}`, value: Buffer.from('x'), headers: {} })
  assert.equal(client.listenerCount('disconnected'), before)
})
