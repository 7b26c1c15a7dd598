import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer } from '../../../src/index.ts'
import type { ConsumerEngine } from '../../../src/index.ts'
import { bytesSerde, createTopics, deleteTopics, testEngine, testLog } from '../../helpers/engine.ts'

// A rebalance while handlers run. Before the fix a revoke dropped the partition at once: the record in
// flight finished without its offset stored, and the partition's next owner handled it again, even
// while the first handler was still running.

const env = testEnv()
const topic = 'fencing'
const group = `kit-fencing${env.groupSuffix}`
const calls = new Map<string, number>()
const running = new Map<number, number>()
let overlap = 0
let producer: EventProducer
const engines: ConsumerEngine[] = []

function member (): ConsumerEngine {
  const engine = testEngine(env, {
    service: 'kit-fencing',
    groupId: group,
    topics: [topic],
    handler: async (record) => {
      const key = `${record.partition}:${record.offset}`
      calls.set(key, (calls.get(key) ?? 0) + 1)
      const now = (running.get(record.partition) ?? 0) + 1
      running.set(record.partition, now)
      if (now > 1) overlap++
      try {
        await new Promise(resolve => setTimeout(resolve, 700))
      } finally {
        running.set(record.partition, (running.get(record.partition) ?? 1) - 1)
      }
    },
    serde: bytesSerde(env.prefix),
    producer,
    concurrency: 4
  })
  engines.push(engine)
  return engine
}

before(async () => {
  await createTopics(env, [{ name: topic, partitions: 2 }])
  producer = new EventProducer(env.brokers, 'kit-fencing', testLog)
  await producer.connect()
})

after(async () => {
  await Promise.allSettled(engines.map(async e => await e.stop()))
  await producer?.close()
  await deleteTopics(env, [topic])
})

test('a member joins while handlers run: each record is handled once, never by two members at a time', { timeout: 90_000 }, async () => {
  const sent = await producer.sendAll(Array.from({ length: 16 }, (_, i) => ({ topic: env.prefix + topic, key: randomUUID(), value: Buffer.from(`r${i}`), headers: {} })))
  assert.ok(new Set(sent.map(s => s.partition)).size === 2, 'records on both partitions')

  const a = member()
  await a.start()
  await waitFor('member a handling both partitions', async () => running.get(0) === 1 && running.get(1) === 1, 30_000, 20)
  const b = member()
  await b.start()

  await waitFor('all 16 records handled', async () => calls.size === 16, 60_000)
  // Time for a duplicate to show up, had the revoked partition's in-flight record been given away.
  await new Promise(resolve => setTimeout(resolve, 3000))
  const twice = [...calls.entries()].filter(([, n]) => n > 1).map(([k]) => k)
  assert.deepEqual(twice, [], 'no record handled twice')
  assert.equal(overlap, 0, 'never two handlers on one partition at once')
})
