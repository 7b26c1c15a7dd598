import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { HEADERS, TopicSerde, wireSchemaId } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, dropTestSchemas, readTopic, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, PermanentError, enqueue, eventHeaders } from '../../../src/index.ts'
import type { EventContext } from '../../../src/index.ts'
import pino from 'pino'
import { metricSum } from '../../helpers/metrics.ts'
import { kitServiceApp } from '../../helpers/engine.ts'

const env = testEnv()
const seen: Array<EventContext<'orders.confirmed'>> = []
const failures = new Map<string, number>()
const calls = new Map<string, number>()

function confirmed (orderId: string): OrderConfirmed {
  return { eventId: randomUUID(), orderId, customerId: 'c1', totalCents: 1000, occurredAt: Date.now() }
}

let app: Awaited<ReturnType<typeof kitServiceApp>>
let raw: EventProducer
let serde: TopicSerde

before(async () => {
  await createCatalogTopics(env)
  app = await kitServiceApp(env, { name: 'kit-test', service: 'notification', schema: 'kit_test', vars: { RETRY_ATTEMPTS: 1, RETRY_BACKOFF_MS: 10, RETRY_TIER_DELAYS_MS: '5000,1500,1500' } }, consumers => {
    consumers.add({
      reader: 'notification',
      group: 'kit-test',
      on: {
        'orders.confirmed': async ({ orderId }, record) => {
          calls.set(orderId, (calls.get(orderId) ?? 0) + 1)
          if (orderId.startsWith('doomed')) throw new Error('still failing')
          if (orderId.startsWith('permanent')) throw new PermanentError('this order can never be handled')
          if (orderId.startsWith('flaky')) {
            // Fails both in-process tries (RETRY_ATTEMPTS=1), then succeeds when it comes back from orders.retry.5s.
            const n = (failures.get(orderId) ?? 0) + 1
            failures.set(orderId, n)
            if (record.attempt === 0) throw new Error(`temporary failure #${n}`)
          }
          seen.push(record)
        }
      }
    })
  })
  raw = new EventProducer(env.brokers, 'kit-test-raw', pino({ level: 'silent' }))
  await raw.connect()
  serde = new TopicSerde(env.registryUrl, env.prefix)
})

after(async () => {
  await app?.close()
  await raw?.close()
  await dropTestSchemas(env, ['kit_test'])
  await deleteTestTopics(env)
})

test('a poison record goes to the DLQ with its origin, and the records after it on the partition are still handled', async () => {
  const key = `poison-${randomUUID()}`
  const poison = await raw.send({ topic: env.prefix + 'orders.confirmed', key, value: Buffer.from('definitely not avro'), headers: {} })
  const good = confirmed(key)
  await raw.send({ topic: env.prefix + 'orders.confirmed', key, value: await serde.encode('orders.confirmed', good), headers: {} })

  await waitFor('the good record after the poison one', async () => seen.some(r => r.value.eventId === good.eventId))
  const dlq = await readTopic(env.brokers, env.prefix + 'orders.dlq', rs => rs.some(r => r.key === key), 15_000)
  const dead = dlq.find(r => r.key === key)
  assert.ok(dead, 'poison record is in orders.dlq')
  assert.equal(dead.value?.toString(), 'definitely not avro', 'the original bytes are kept')
  assert.equal(dead.headers[HEADERS.originalTopic], env.prefix + 'orders.confirmed')
  assert.equal(Number(dead.headers[HEADERS.originalPartition]), poison.partition)
  assert.equal(Number(dead.headers[HEADERS.originalOffset]), poison.offset)
  assert.match(dead.headers[HEADERS.error] ?? '', /wire format/)
  assert.equal(dead.headers[HEADERS.failedBy], `notification/kit-test${env.groupSuffix}`)
})

test('a permanent failure is dead-lettered without retries', async () => {
  const key = `permanent-${randomUUID()}`
  await raw.send({ topic: env.prefix + 'orders.confirmed', key, value: await serde.encode('orders.confirmed', confirmed(key)), headers: {} })
  const dlq = await readTopic(env.brokers, env.prefix + 'orders.dlq', rs => rs.some(r => r.key === key), 15_000)
  const dead = dlq.find(r => r.key === key)
  assert.ok(dead)
  assert.equal(dead.headers[HEADERS.attempts], '1')
  assert.match(dead.headers[HEADERS.error] ?? '', /can never be handled/)
  assert.equal(wireSchemaId(dead.value) !== null, true, 'the DLQ keeps the Avro record as it was')
})

test('a transient failure goes through orders.retry.5s and then succeeds', async () => {
  const key = `flaky-${randomUUID()}`
  const event = confirmed(key)
  const sentAt = Date.now()
  await raw.send({ topic: env.prefix + 'orders.confirmed', key, value: await serde.encode('orders.confirmed', event), headers: {} })
  const handled = await waitFor('the retried record', async () => seen.find(r => r.value.eventId === event.eventId), 30_000)
  assert.equal(handled.attempt, 1, 'handled on its first retry tier')
  assert.equal(failures.get(key), 3, 'two in-process tries failed; the third call, from the retry topic, succeeded')
  assert.ok(Date.now() - sentAt >= 4500, 'the retry waited for the tier delay')
  const retried = await readTopic(env.brokers, env.prefix + 'orders.retry.5s', rs => rs.some(r => r.key === key), 10_000)
  const hop = retried.find(r => r.key === key)
  assert.equal(hop?.headers[HEADERS.retryGroup], `kit-test${env.groupSuffix}`)
  assert.equal(hop?.headers[HEADERS.attempts], '2')
})

test('an event written to the outbox in a transaction is published with its headers', async () => {
  const key = `outbox-${randomUUID()}`
  const event = confirmed(key)
  await app.tx(async tx => {
    await enqueue(tx, [{ topic: 'orders.confirmed', value: event, headers: eventHeaders('checkout-api', 'orders.confirmed', 'choreography') }])
  })
  const records = await readTopic(env.brokers, env.prefix + 'orders.confirmed', rs => rs.some(r => r.key === key), 15_000)
  const rec = records.find(r => r.key === key)
  assert.ok(rec)
  assert.equal(rec.headers[HEADERS.producer], 'checkout-api')
  assert.equal(rec.headers[HEADERS.sagaMode], 'choreography')
  assert.deepEqual({ ...(await serde.decode(rec.value!) as object) }, event)
  const [row] = await app.sql`select published_at from outbox where key = ${key}`
  assert.ok(row?.published_at, 'the outbox row is marked published')
})

test('an invalid event is refused by the outbox with the field named, and nothing is written', async () => {
  const key = `invalid-${randomUUID()}`
  await assert.rejects(app.tx(async tx => {
    await enqueue(tx, [{ topic: 'orders.confirmed', value: { ...confirmed(key), totalCents: 'ten' as unknown as number }, headers: {} }])
  }), /totalCents/)
  const rows = await app.sql`select 1 from outbox where key = ${key}`
  assert.equal(rows.length, 0)
})

test('the full retry ladder: in-process tries, each tier after its delay, then the DLQ with retries_exhausted', { timeout: 60_000 }, async () => {
  const key = `doomed-${randomUUID()}`
  const sentAt = Date.now()
  await raw.send({ topic: env.prefix + 'orders.confirmed', key, value: await serde.encode('orders.confirmed', confirmed(key)), headers: {} })
  const dlq = await readTopic(env.brokers, env.prefix + 'orders.dlq', rs => rs.some(r => r.key === key), 30_000)
  const dead = dlq.find(r => r.key === key)
  assert.ok(dead, 'dead-lettered after the last tier')
  // The tier delays are configurable (RETRY_TIER_DELAYS_MS): 5 s + 1.5 s + 1.5 s here.
  assert.ok(Date.now() - sentAt >= 7500, 'every tier waited for its delay')
  assert.equal(calls.get(key), 5, 'two in-process tries, then one call per retry tier')
  assert.equal(dead.headers[HEADERS.attempts], '5')
  assert.equal(dead.headers[HEADERS.reason], 'retries_exhausted')
  for (const tier of ['orders.retry.5s', 'orders.retry.30s', 'orders.retry.5m']) {
    const hops = await readTopic(env.brokers, env.prefix + tier, rs => rs.some(r => r.key === key), 10_000)
    assert.equal(hops.filter(r => r.key === key).length, 1, `one hop through ${tier}`)
  }
  const metrics = (await app.inject({ url: '/metrics' })).body
  assert.equal(metricSum(metrics, 'vitrine_dead_letters_total', { reason: 'retries_exhausted' }), 1)
})

// Last: it makes the app's producer start over.
test('a fatal producer error turns readiness red, is counted, and the producer is recreated and sends again', { timeout: 60_000 }, async () => {
  assert.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)
  // No real broker condition makes an idempotent producer fatal on demand, and the mock cluster is
  // not allowed here: the test raises the event librdkafka emits (code ERR__FATAL) on the real client.
  const client = (app.producer as unknown as { producer: { emit: (event: string, err: Error) => void } }).producer
  client.emit('event.error', Object.assign(new Error('test: fatal idempotent producer error'), { code: -150, isFatal: true }))
  const red = await app.inject({ url: '/health/ready' })
  assert.equal(red.statusCode, 503, 'not ready while the producer is being recreated')
  assert.match((red.json() as { checks: { kafka: { detail: string } } }).checks.kafka.detail, /fatal/)
  const metrics = (await app.inject({ url: '/metrics' })).body
  assert.equal(metricSum(metrics, 'vitrine_producer_fatal_errors_total'), 1)
  await waitFor('ready again with a new producer', async () => (await app.inject({ url: '/health/ready' })).statusCode === 200, 30_000)
  const key = `after-fatal-${randomUUID()}`
  const sent = await app.producer.send({ topic: env.prefix + 'orders.confirmed', key, value: await serde.encode('orders.confirmed', confirmed(key)), headers: {} })
  assert.ok(sent.offset >= 0, 'the recreated producer delivers')
  await waitFor('the record sent by the recreated producer is consumed', async () => seen.some(r => r.key === key), 15_000)
})
