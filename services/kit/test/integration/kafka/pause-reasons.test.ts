import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, createRegistry, kitMetrics } from '../../../src/index.ts'
import type { ConsumerEngine } from '../../../src/index.ts'
import { metricSum } from '../../helpers/metrics.ts'
import { bytesSerde, createTopics, deleteTopics, testEngine, testLog } from '../../helpers/engine.ts'

// A fault drill pauses with a reason of its own: neither backpressure draining nor another caller's
// resume lifts it; the engine consumes again only once no reason holds.

const env = testEnv()
const topic = 'pause-reasons'
const RECORDS = 300
const registry = createRegistry('kit-pause-reasons')
let handled = 0
let producer: EventProducer
let engine: ConsumerEngine

before(async () => {
  await createTopics(env, [{ name: topic }])
  producer = new EventProducer(env.brokers, 'kit-pause-reasons', testLog)
  await producer.connect()
  engine = testEngine(env, {
    service: 'kit-pause-reasons',
    topics: [topic],
    handler: async () => {
      await new Promise(resolve => setTimeout(resolve, 2))
      handled++
    },
    serde: bytesSerde(env.prefix),
    producer,
    metrics: kitMetrics(registry),
    highWater: 50,
    lowWater: 10
  })
})

after(async () => {
  await engine?.stop()
  await producer?.close()
  await deleteTopics(env, [topic])
})

test('a pause with its own reason outlives backpressure and other reasons', { timeout: 90_000 }, async () => {
  await producer.sendAll(Array.from({ length: RECORDS }, (_, i) => ({ topic: env.prefix + topic, key: randomUUID(), value: Buffer.from(`r${i}`), headers: {} })))
  await engine.start()
  await waitFor('the partition paused for backpressure', async () => metricSum(await registry.metrics(), 'vitrine_consumer_paused_partitions', { reason: 'backpressure' }) === 1, 30_000, 20)

  engine.pause('fault:consume')
  engine.pause('operator')
  assert.deepEqual(engine.pausedReasons().sort(), ['fault:consume', 'operator'])
  assert.throws(() => engine.pause('backpressure' as never), /engine's own/)
  engine.resume('operator')
  // The record in flight may finish; after that nothing moves: the backlog drained below the low
  // mark would lift backpressure, and 'operator' was lifted, but 'fault:consume' still holds.
  await new Promise(resolve => setTimeout(resolve, 300))
  const at = handled
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.equal(handled, at, 'nothing handled while the fault pause holds')
  assert.ok(handled < RECORDS)
  assert.deepEqual(engine.pausedReasons(), ['fault:consume'])
  assert.equal(metricSum(await registry.metrics(), 'vitrine_consumer_paused_partitions', { reason: 'fault:consume' }), 1, 'the pause is shown with its reason')

  engine.resume('fault:consume')
  assert.deepEqual(engine.pausedReasons(), [])
  await waitFor('every record handled once no reason holds', async () => handled === RECORDS, 60_000)
  await waitFor('no pause left', async () => metricSum(await registry.metrics(), 'vitrine_consumer_paused_partitions') === 0, 10_000)
})
