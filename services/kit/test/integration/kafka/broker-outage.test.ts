import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { bootstrapServers, readPid, stopGroup, up } from '@vitrine/infra'
import { cleanup, freeBrokerBase, isolatedSettings } from '@vitrine/infra/testing'
import { readAllNow, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, createRegistry, kitMetrics } from '../../../src/index.ts'
import type { ConsumedRecord } from '../../../src/index.ts'
import { metricSum } from '../../helpers/metrics.ts'
import { bytesSerde, createTopics, testEngine, testLog } from '../../helpers/engine.ts'

// A PRIVATE one-node Kafka (never the shared one) stopped for longer than the producer's
// message.timeout.ms while a record is on its way to a retry topic. Before the fix the rejected send
// killed the partition's worker: the record stayed at the head of its partition, unhandled, until
// another record happened to arrive.

const MESSAGE_TIMEOUT_MS = 2000

test('broker down longer than message.timeout.ms while a record goes to a retry topic: blocked and visible, then handled, nothing lost', { timeout: 240_000 }, async (t) => {
  const s = isolatedSettings(t, await freeBrokerBase())
  await up(s, { only: ['kafka-1'] })
  const brokers = bootstrapServers(s)
  // The private cluster holds only this test's topics: no prefix, no group suffix.
  const at = { brokers, prefix: '', groupSuffix: '' }
  await createTopics(at, ['orders.confirmed', 'orders.retry.5s', 'orders.dlq'].map(name => ({ name })))

  const producer = new EventProducer(brokers, 'kit-outage', testLog, 5, { messageTimeoutMs: MESSAGE_TIMEOUT_MS })
  await producer.connect()
  cleanup(t, async () => { await producer.close() })
  const registry = createRegistry('kit-outage')
  const handled: ConsumedRecord[] = []
  let inFlight = false
  let release: () => void = () => {}
  const released = new Promise<void>(resolve => { release = resolve })
  const engine = testEngine(at, {
    service: 'kit-outage',
    topics: ['orders.confirmed'],
    handler: async (record) => {
      if (record.attempt === 0) {
        // The first delivery waits until the broker is gone, then fails: its retry copy must be sent during the outage.
        inFlight = true
        await released
        throw new Error('temporary failure')
      }
      handled.push(record)
    },
    serde: bytesSerde(''),
    producer,
    metrics: kitMetrics(registry),
    retryTiers: [{ topic: 'orders.retry.5s', delayMs: 200 }],
    blockedBackoffMs: { min: 200, max: 1000 },
    slowSendMs: 1000
  })
  await engine.start()
  cleanup(t, async () => { await engine.stop() })

  const key = `outage-${randomUUID()}`
  await producer.send({ topic: 'orders.confirmed', key, value: Buffer.from('payload'), headers: {} })
  await waitFor('the record in its handler', async () => inFlight, 30_000)

  const pid = readPid(s.stateDir, 'kafka-1')
  assert.ok(pid, 'the private broker runs')
  await stopGroup(pid, 30_000)
  release()

  // Longer than message.timeout.ms: the retry send has failed at least once by now.
  await new Promise(resolve => setTimeout(resolve, MESSAGE_TIMEOUT_MS * 2.5))
  const during = await engine.health()
  assert.equal(during.ok, false, 'the member is not healthy while its partition cannot move')
  assert.match(during.detail, /retry send failed/)
  const body = await registry.metrics()
  assert.ok(metricSum(body, 'vitrine_consumer_blocked_partitions', { reason: 'retry_send_failed' }) >= 1, 'the metrics show the partition blocked on its retry send')
  assert.equal(handled.length, 0)

  await up(s, { only: ['kafka-1'] })
  await waitFor('the record handled from the retry topic after the broker came back', async () => handled.some(r => r.key === key), 90_000)
  // At least once: a retry copy sent before a revoke may land beside the one sent after it.
  assert.ok(handled.filter(r => r.key === key).length >= 1)
  await waitFor('healthy again', async () => (await engine.health()).ok, 30_000)
  const dlq = await readAllNow(brokers, 'orders.dlq', 10_000)
  assert.equal(dlq.filter(r => r.key === key).length, 0, 'nothing dead-lettered')
})
