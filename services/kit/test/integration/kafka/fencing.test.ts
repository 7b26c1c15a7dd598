import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import type { TopicSerde } from '@vitrine/contracts'
import { createAdmin } from '@vitrine/infra'
import { testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { ConsumerEngine, EventProducer, createRegistry, kitMetrics } from '../../../src/index.ts'

// A rebalance while handlers run. Before the fix a revoke dropped the partition at once: the record in
// flight finished without its offset stored, and the partition's next owner handled it again, even
// while the first handler was still running.

const env = testEnv()
const topic = 'fencing'
const group = `kit-fencing${env.groupSuffix}`
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
const serde = { prefix: env.prefix, decode: async (value: Buffer) => value } as unknown as TopicSerde
const calls = new Map<string, number>()
const running = new Map<number, number>()
let overlap = 0
let producer: EventProducer
const engines: ConsumerEngine[] = []

function member (): ConsumerEngine {
  const engine = new ConsumerEngine({
    service: 'kit-fencing',
    groupId: group,
    brokers: env.brokers,
    topics: [topic],
    prefix: env.prefix,
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
    serde,
    producer,
    log,
    metrics: kitMetrics(createRegistry('kit-fencing')),
    concurrency: 4,
    retryAttempts: 0,
    retryBackoffMs: 0,
    retryTiers: []
  })
  engines.push(engine)
  return engine
}

before(async () => {
  const admin = createAdmin(env.brokers, 'kit-fencing-test')
  try {
    await admin.createTopics({ topics: [env.prefix + topic], partitions: 2, replicas: 1 })
  } finally {
    await admin.close()
  }
  producer = new EventProducer(env.brokers, 'kit-fencing', log)
  await producer.connect()
})

after(async () => {
  await Promise.allSettled(engines.map(async e => await e.stop()))
  await producer?.close()
  const admin = createAdmin(env.brokers, 'kit-fencing-test')
  try {
    await admin.deleteTopics({ topics: [env.prefix + topic] }).catch(() => {})
  } finally {
    await admin.close()
  }
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
