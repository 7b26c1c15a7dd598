import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import type Kafka from 'node-rdkafka'
import { DLQ_RETENTION_MS } from '@vitrine/contracts'
import { openProducer } from '@vitrine/infra/testing'
import { testEnv } from '@vitrine/infra/testing/saga'
import { DlqWatch, dlqExpiry } from '../../../src/index.ts'
import { createTopics, deleteTopics } from '../../helpers/engine.ts'

// The DLQ deletes records after its retention whether anyone replayed them or not: the kit warns
// before that happens, from the age of the oldest record the DLQ still holds.

const env = testEnv()
const topic = env.prefix + 'orders.dlq'
const DAY_MS = 24 * 60 * 60 * 1000

before(async () => {
  await createTopics(env, [{ name: 'orders.dlq', configs: [{ name: 'retention.ms', value: String(DLQ_RETENTION_MS) }] }])
})

after(async () => {
  await deleteTopics(env, ['orders.dlq'])
})

test('the expiry rule: quiet while young, a warning naming the days left past 80% of the retention', () => {
  const now = Date.now()
  assert.equal(dlqExpiry(null, DLQ_RETENTION_MS, now).status, 'ok')
  assert.equal(dlqExpiry(now - 20 * DAY_MS, DLQ_RETENTION_MS, now).status, 'ok')
  const old = dlqExpiry(now - 27 * DAY_MS, DLQ_RETENTION_MS, now)
  assert.equal(old.status, 'warn')
  assert.match(old.detail, /27\.0 of 30\.0 days old: it is deleted in 3\.0 days/)
})

test('a DLQ whose oldest record is 27 of 30 days old warns; its age is read from the broker', { timeout: 60_000 }, async (t) => {
  const producer = await openProducer(t, env.brokers)
  const empty = await new DlqWatch(env.brokers, topic, DLQ_RETENTION_MS, 0).check()
  assert.equal(empty.ageSeconds, null, 'an empty DLQ has no age')
  // CreateTime set by the producer: as if it had been dead-lettered 27 days ago.
  await new Promise<void>((resolve, reject) => {
    const onReport = (err: Kafka.LibrdKafkaError, report: Kafka.DeliveryReport): void => {
      if (report?.opaque !== 'old') return
      producer.off('delivery-report', onReport)
      if (err) reject(err)
      else resolve()
    }
    producer.on('delivery-report', onReport)
    producer.produce(topic, null, Buffer.from('old'), 'k-old', Date.now() - 27 * DAY_MS, 'old')
  })
  const watch = new DlqWatch(env.brokers, topic, DLQ_RETENTION_MS, 0)
  const result = await watch.check()
  assert.equal(result.status, 'warn')
  assert.ok(result.ageSeconds !== null && Math.abs(result.ageSeconds - 27 * 24 * 3600) < 600, `age ${result.ageSeconds}s`)
})
