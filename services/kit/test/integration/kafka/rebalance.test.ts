import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { groupCaughtUp, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { openProducer, produceAll } from '@vitrine/infra/testing'
import { EventProducer, createRegistry, kitMetrics } from '../../../src/index.ts'
import type { ConsumerEngine } from '../../../src/index.ts'
import type { Registry } from 'prom-client'
import { metricSum, samples } from '../../helpers/metrics.ts'
import { bytesSerde, createTopics, deleteTopics, testEngine, testLog } from '../../helpers/engine.ts'

// Two members of one group with a backlog over the pause mark; one leaves and comes back.
// Before the fix a partition paused for backpressure stayed paused after a rebalance gave it back:
// it never consumed again, lag grew and nothing said so.

const env = testEnv()
const topic = 'backlog'
const group = `kit-rebalance${env.groupSuffix}`
const RECORDS = 4500
// Values pass through as bytes: this test is about partitions, not Avro.
const handled = new Map<string, string>()
let producer: EventProducer
const engines: ConsumerEngine[] = []

function member (name: string): { engine: ConsumerEngine, registry: Registry } {
  const registry = createRegistry('kit-rebalance')
  const engine = testEngine(env, {
    service: 'kit-rebalance',
    groupId: group,
    topics: [topic],
    handler: async (record) => {
      // Slow enough that the fetched backlog piles up over the pause mark.
      await new Promise(resolve => setTimeout(resolve, 4))
      handled.set(`${record.partition}:${record.offset}`, name)
    },
    serde: bytesSerde(env.prefix),
    producer,
    metrics: kitMetrics(registry),
    concurrency: 4,
    // The marks are configurable so the backlog stays small; 1,200+ records a partition is over
    // the old fixed mark (1,000) as well, so the test shows the old engine failing too.
    highWater: 200,
    lowWater: 50
  })
  engines.push(engine)
  return { engine, registry }
}

before(async () => {
  await createTopics(env, [{ name: topic, partitions: 3 }])
  producer = new EventProducer(env.brokers, 'kit-rebalance-unused', testLog)
  await producer.connect()
})

after(async () => {
  await Promise.allSettled(engines.map(async e => await e.stop()))
  await producer?.close()
  await deleteTopics(env, [topic])
})

test('a member leaves and comes back while partitions are paused for backpressure: every partition drains, lag 0', { timeout: 150_000 }, async (t) => {
  const raw = await openProducer(t, env.brokers)
  await produceAll(raw, env.prefix + topic, Array.from({ length: RECORDS }, (_, i) => ({ key: randomUUID(), value: `r${i}` })))

  const a = member('a')
  await a.engine.start()
  await waitFor('member a handling the backlog', async () => handled.size >= 100, 30_000)
  // Observed now and asserted at the end, so the old engine fails on the drain, the defect itself.
  let pausedWithLag = false
  await waitFor('a partition paused for backpressure with its lag shown', async () => {
    const body = await a.registry.metrics()
    pausedWithLag = metricSum(body, 'vitrine_consumer_paused_partitions', { reason: 'backpressure' }) > 0 &&
      metricSum(body, 'vitrine_consumer_lag_records') > 0
    return pausedWithLag
  }, 10_000).catch(() => {})

  const b = member('b')
  await b.engine.start()
  await waitFor('member b handling records after it joined', async () => [...handled.values()].filter(n => n === 'b').length >= 50, 60_000)
  await b.engine.stop()

  const b2 = member('b2')
  await b2.engine.start()

  await waitFor(`all ${RECORDS} records handled`, async () => handled.size === RECORDS, 90_000)
  await waitFor('the group committed every partition to its end', async () => await groupCaughtUp(env.brokers, group, env.prefix + topic), 20_000)

  assert.ok(pausedWithLag, 'while member a was paused for backpressure, its metrics showed the paused partition and its lag')
  // Once drained, the lag both live members report is 0 on every partition they own.
  for (const m of [a, b2]) {
    await waitFor('lag 0 in the metrics', async () => {
      const body = await m.registry.metrics()
      return samples(body, 'vitrine_consumer_lag_records').every(s => s.value === 0) && metricSum(body, 'vitrine_consumer_paused_partitions') === 0
    }, 15_000)
  }
  const owned = (await a.registry.metrics()).split('\n').filter(l => l.startsWith('vitrine_consumer_lag_records{')).length +
    (await b2.registry.metrics()).split('\n').filter(l => l.startsWith('vitrine_consumer_lag_records{')).length
  assert.equal(owned, 3, 'the two members own the three partitions between them, each with a lag sample')
})
