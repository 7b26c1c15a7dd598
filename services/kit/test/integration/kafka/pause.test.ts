import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, createRegistry, kitMetrics } from '../../../src/index.ts'
import type { ConsumerEngine } from '../../../src/index.ts'
import { metricSum } from '../../helpers/metrics.ts'
import { bytesSerde, createTopics, deleteTopics, testEngine, testLog } from '../../helpers/engine.ts'

// Pauses are kept per reason: the engine resuming a partition once its backlog drains below the low
// mark must not undo a pause an instructor asked for.

const env = testEnv()
const topic = 'pause'
const RECORDS = 600
const registry = createRegistry('kit-pause')
let handled = 0
let producer: EventProducer
let engine: ConsumerEngine

before(async () => {
  await createTopics(env, [{ name: topic }])
  producer = new EventProducer(env.brokers, 'kit-pause', testLog)
  await producer.connect()
  engine = testEngine(env, {
    service: 'kit-pause',
    topics: [topic],
    handler: async () => {
      await new Promise(resolve => setTimeout(resolve, 3))
      handled++
    },
    serde: bytesSerde(env.prefix),
    producer,
    metrics: kitMetrics(registry),
    highWater: 100,
    lowWater: 20
  })
})

after(async () => {
  await engine?.stop()
  await producer?.close()
  await deleteTopics(env, [topic])
})

test('an operator pause during backpressure holds until the operator resumes', { timeout: 90_000 }, async () => {
  await producer.sendAll(Array.from({ length: RECORDS }, (_, i) => ({ topic: env.prefix + topic, key: randomUUID(), value: Buffer.from(`r${i}`), headers: {} })))
  await engine.start()
  await waitFor('the partition paused for backpressure', async () => metricSum(await registry.metrics(), 'vitrine_consumer_paused_partitions', { reason: 'backpressure' }) === 1, 30_000, 20)

  engine.pause('operator')
  // The record in flight may finish; after that nothing moves, although the backlog is over.
  await new Promise(resolve => setTimeout(resolve, 300))
  const at = handled
  await new Promise(resolve => setTimeout(resolve, 2000))
  assert.equal(handled, at, 'nothing handled while an operator holds the partition')
  assert.ok(handled < RECORDS)
  const body = await registry.metrics()
  assert.equal(metricSum(body, 'vitrine_consumer_paused_partitions', { reason: 'operator' }), 1, 'the operator pause is shown with its reason')

  engine.resume('operator')
  await waitFor('every record handled after the operator resumed', async () => handled === RECORDS, 60_000)
  await waitFor('no pause left', async () => metricSum(await registry.metrics(), 'vitrine_consumer_paused_partitions') === 0, 10_000)
})
