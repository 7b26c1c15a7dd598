import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, createRegistry, kitMetrics } from '../../../src/index.ts'
import type { ConsumerEngine } from '../../../src/index.ts'
import { metricSum } from '../../helpers/metrics.ts'
import { bytesSerde, createTopics, deleteTopics, testEngine, testLog } from '../../helpers/engine.ts'

// The step mode holds a record past max.poll.interval.ms (shortened to 10 s, librdkafka's least with
// our 10 s session) without the member leaving its group: the held partition is paused in librdkafka
// and the poll loop goes on. Each release lets exactly one record through, in order, and its offset is
// committed only after its handler; off lets the rest flow. (make test-full: the hold takes 13 s.)

const env = testEnv()
const topic = 'step-hold'
const registry = createRegistry('kit-step')
const handled: number[] = []
let producer: EventProducer
let engine: ConsumerEngine

before(async () => {
  await createTopics(env, [{ name: topic }])
  producer = new EventProducer(env.brokers, 'kit-step', testLog)
  await producer.connect()
  engine = testEngine(env, {
    service: 'kit-step',
    topics: [topic],
    handler: async r => { handled.push(r.offset) },
    serde: bytesSerde(env.prefix),
    producer,
    metrics: kitMetrics(registry),
    maxPollIntervalMs: 10_000,
    // A partition with lag and no progress this long is reported stalled, unless the step mode holds it.
    stallMs: 5_000
  })
})

after(async () => {
  await engine?.stop()
  await producer?.close()
  await deleteTopics(env, [topic])
})

test('step mode: a record held past max.poll.interval.ms keeps the member in its group; one release, one record; off, the rest', { timeout: 90_000 }, async () => {
  engine.step(true)
  await engine.start()
  await producer.sendAll([0, 1, 2].map(i => ({ topic: env.prefix + topic, key: `k${i}`, value: Buffer.from(`r${i}`), headers: {} })))
  const heldAt = async (): Promise<number[]> => (await engine.held()).map(h => h.offset)
  await waitFor('offset 0 held', async () => (await heldAt()).join() === '0', 20_000, 50)
  const revokesBefore = metricSum(await registry.metrics(), 'vitrine_consumer_rebalances_total', { kind: 'revoke' })

  // Longer than max.poll.interval.ms: librdkafka would leave the group if the poll loop were blocked.
  await sleep(13_000)
  assert.deepEqual(handled, [], 'nothing handled while held')
  assert.deepEqual(await heldAt(), [0], 'the same record still held')
  assert.equal(metricSum(await registry.metrics(), 'vitrine_consumer_rebalances_total', { kind: 'revoke' }), revokesBefore, 'no revoke: the member stayed in its group')
  assert.equal((await engine.health()).ok, true, 'a held partition is not reported stalled')

  assert.equal(engine.releaseHeld(topic, 0, 1), false, 'only the head record can be released')
  assert.equal(engine.releaseHeld(topic, 0, 0), true)
  await waitFor('offset 1 held after offset 0 ran', async () => (await heldAt()).join() === '1', 10_000, 50)
  assert.deepEqual(handled, [0])

  engine.step(false)
  await waitFor('the rest handled once off', async () => handled.length === 3, 10_000, 50)
  assert.deepEqual(handled, [0, 1, 2])
  assert.deepEqual(await engine.held(), [])
})
