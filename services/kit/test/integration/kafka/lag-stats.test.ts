import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, createRegistry, kitMetrics } from '../../../src/index.ts'
import type { ConsumerEngine } from '../../../src/index.ts'
import { metricSum } from '../../helpers/metrics.ts'
import { bytesSerde, createTopics, deleteTopics, testEngine, testLog } from '../../helpers/engine.ts'

// vitrine_consumer_lag_records of a flowing partition comes from librdkafka's statistics
// (statistics.interval.ms, consumer_lag_stored), not from a broker query at each scrape; it moves
// as records wait and as they are handled.

const env = testEnv()
const topic = 'lagstats'
const RECORDS = 40
const registry = createRegistry('kit-lag')
let producer: EventProducer
let handled = 0
let engine: ConsumerEngine
let release: () => void = () => {}
const gate = new Promise<void>(resolve => { release = resolve })

before(async () => {
  await createTopics(env, [{ name: topic }])
  producer = new EventProducer(env.brokers, 'kit-lag', testLog)
  await producer.connect()
  engine = testEngine(env, {
    service: 'kit-lag',
    topics: [topic],
    // The first record is handled (librdkafka knows a stored offset from then on); the others are
    // held until the test lets go: they wait, fetched but not handled.
    handler: async () => { if (handled++ > 0) await gate },
    serde: bytesSerde(env.prefix),
    producer,
    metrics: kitMetrics(registry),
    concurrency: 1
  })
})

after(async () => {
  release()
  await engine?.stop()
  await producer?.close()
  await deleteTopics(env, [topic])
})

test('consumer lag from librdkafka statistics: up while records wait, down to 0 once handled', { timeout: 90_000 }, async () => {
  await producer.sendAll(Array.from({ length: RECORDS }, (_, i) => ({ topic: env.prefix + topic, key: randomUUID(), value: Buffer.from(`r${i}`), headers: {} })))
  await engine.start()
  const statsLag = (engine as unknown as { statsLag: Map<string, { value: number }> }).statsLag
  const lag = async (): Promise<number> => metricSum(await registry.metrics(), 'vitrine_consumer_lag_records', { topic })
  await waitFor('librdkafka statistics with the waiting records', async () => statsLag.get(`${env.prefix + topic}:0`)?.value === RECORDS - 1, 30_000, 200)
  assert.equal(await lag(), RECORDS - 1, 'the gauge reads the statistics: every record but the first still waits')
  release()
  await waitFor('the statistics to show the partition caught up', async () => statsLag.get(`${env.prefix + topic}:0`)?.value === 0, 30_000, 200)
  assert.equal(await lag(), 0)
})
