import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createTestTopic, openProducer, produceAll, sharedSettings, testAdmin } from '@vitrine/infra/testing'
import { bootstrapServers } from '@vitrine/infra'
import { FROM_BEGINNING, KafkaReader, endOffsets, firstRecords, readFrom, readTopic, readTopicNow, sleep } from '../../../src/index.ts'

// The one assign-and-read reader: ranges end at their bound, reads by key from known offsets end as
// soon as the wanted record arrives, and nothing written after a "now" read is returned by it.

const brokers = process.env.KAFKA_BROKERS ?? bootstrapServers(sharedSettings())

test('reads a topic as it is now, a slice of one partition, and the first record of each partition', async (t) => {
  const topic = await createTestTopic(t, testAdmin(t), { partitions: 3 })
  const producer = await openProducer(t, brokers)
  const sent = await produceAll(producer, topic, Array.from({ length: 30 }, (_, i) => ({ key: `k-${i % 5}`, value: `v-${i}` })))

  const now = await readTopicNow(brokers, topic)
  assert.equal(now.length, 30)
  assert.deepEqual(now.map(r => r.value?.toString()).sort(), sent.map((_, i) => `v-${i}`).sort())
  assert.ok(now.every((r, i) => i === 0 || now[i - 1]!.partition < r.partition || now[i - 1]!.offset < r.offset), 'ordered by partition and offset')

  const first = await firstRecords(brokers, topic)
  const used = new Set(sent.map(d => d.partition))
  assert.equal(first.length, used.size, 'one first record per partition that holds any')
  assert.ok(first.every(r => r.offset === 0))

  const reader = new KafkaReader(brokers, 'reader-test')
  t.after(() => reader.close())
  const p = sent[0]!.partition
  const inP = sent.filter(d => d.partition === p).length
  const slice = await reader.readPartition(topic, p, 1, 2)
  assert.deepEqual(slice.watermarks, { low: 0, high: inP })
  assert.deepEqual(slice.records.map(r => r.offset), [1, 2].filter(o => o < inP), 'from offset 1, at most 2')
  // Past the end: nothing, at once.
  const started = Date.now()
  assert.deepEqual((await reader.readPartition(topic, p, inP + 5, 10)).records, [])
  assert.ok(Date.now() - started < 2000)

  // Written after the "now" read started: not part of it.
  await produceAll(producer, topic, [{ key: 'late', value: 'late' }])
  assert.equal((await readTopicNow(brokers, topic)).length, 31)
})

test('reads by key from known offsets and returns as soon as the wanted records are written', async (t) => {
  const topic = await createTestTopic(t, testAdmin(t), { partitions: 3 })
  const producer = await openProducer(t, brokers)
  await produceAll(producer, topic, [{ key: 'order-1', value: 'before' }])
  const from = await endOffsets(brokers, [topic, `${topic}-missing`])
  assert.deepEqual(from.map(p => p.topic), [topic, topic, topic], 'a missing topic is left out')

  const reading = readFrom(brokers, from, kept => kept.length >= 2, { timeoutMs: 20_000, keep: r => r.key === 'order-1' })
  await sleep(300)
  const started = Date.now()
  await produceAll(producer, topic, [{ key: 'other', value: 'x' }, { key: 'order-1', value: 'a' }, { key: 'other', value: 'y' }, { key: 'order-1', value: 'b' }])
  const out = await reading
  assert.equal(out.done, true)
  assert.deepEqual(out.records.map(r => r.value?.toString()), ['a', 'b'], 'only the key asked for, only after the known offsets')
  assert.ok(Date.now() - started < 5000, `returned ${Date.now() - started} ms after the records were written`)

  // A follower from the beginning, ended by the caller's predicate.
  const all = await readTopic(brokers, topic, rs => rs.length >= 5, 20_000)
  assert.equal(all.length, 5)
  // Not enough records: ends at the timeout with what it has.
  const short = await readFrom(brokers, from, kept => kept.length >= 3, { timeoutMs: 1500, keep: r => r.key === 'order-1' })
  assert.deepEqual({ done: short.done, n: short.records.length }, { done: false, n: 2 })
})

test('a follower hands each record over as it arrives and stops when its owner aborts', async (t) => {
  const topic = await createTestTopic(t, testAdmin(t), { partitions: 2 })
  const producer = await openProducer(t, brokers)
  const reader = new KafkaReader(brokers, 'reader-follow-test')
  t.after(() => reader.close())
  const seen: string[] = []
  const stop = new AbortController()
  const ranges = (await reader.partitions(topic)).map(partition => ({ topic, partition, offset: FROM_BEGINNING }))
  const following = reader.read(ranges, { timeoutMs: 60_000, signal: stop.signal, onRecord: r => { seen.push(r.value!.toString()) } })
  await produceAll(producer, topic, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }])
  const deadline = Date.now() + 10_000
  while (seen.length < 2 && Date.now() < deadline) await sleep(20)
  assert.deepEqual(seen.sort(), ['1', '2'])
  const stopped = Date.now()
  stop.abort()
  const out = await following
  assert.equal(out.records.length, 2)
  assert.ok(Date.now() - stopped < 2000, 'returns at once when aborted, not at its timeout')
})
