import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import { deleteTestSubjects, readAllNow, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, createRegistry, kitMetrics } from '../../../src/index.ts'
import type { ConsumedRecord, ConsumerEngine } from '../../../src/index.ts'
import { metricSum } from '../../helpers/metrics.ts'
import { createTopics, deleteTopics, testEngine, testLog } from '../../helpers/engine.ts'

// A record whose dead-letter send can never succeed (larger than the DLQ's max.message.bytes).
// Before the fix the partition worker died on the rejected send, and every later record of the
// partition stayed behind it.

const env = testEnv()
const registry = createRegistry('kit-send')
const seen: ConsumedRecord[] = []
let producer: EventProducer
let engine: ConsumerEngine
let serde: TopicSerde

before(async () => {
  // One partition, so the good record is behind the poison one.
  await createTopics(env, [{ name: 'orders.confirmed' }, { name: 'orders.dlq', configs: [{ name: 'max.message.bytes', value: '2048' }] }])
  producer = new EventProducer(env.brokers, 'kit-send', testLog)
  await producer.connect()
  serde = new TopicSerde(env.registryUrl, env.prefix)
  engine = testEngine(env, {
    service: 'kit-send',
    topics: ['orders.confirmed'],
    handler: async (record) => { seen.push(record) },
    serde,
    producer,
    metrics: kitMetrics(registry)
  })
  await engine.start()
})

after(async () => {
  await engine?.stop()
  await producer?.close()
  await deleteTopics(env, ['orders.confirmed', 'orders.dlq'])
  await deleteTestSubjects(env)
})

test('a record too large for the DLQ: the partition goes on, the failure is counted, the DLQ keeps a pointer to it', { timeout: 90_000 }, async () => {
  const key = `big-${randomUUID()}`
  // Not in the wire format (first byte 1): poison. Random bytes, so compression cannot shrink them under the limit.
  const big = Buffer.concat([Buffer.from([1]), randomBytes(8000)])
  const poison = await producer.send({ topic: env.prefix + 'orders.confirmed', key, value: big, headers: {} })
  const good: OrderConfirmed = { eventId: randomUUID(), orderId: key, customerId: 'c1', totalCents: 1000, occurredAt: Date.now() }
  await producer.send({ topic: env.prefix + 'orders.confirmed', key, value: await serde.encode('orders.confirmed', good), headers: {} })

  await waitFor('the record behind the poison one', async () => seen.some(r => (r.value as OrderConfirmed).eventId === good.eventId), 45_000)

  const body = await registry.metrics()
  assert.ok(metricSum(body, 'vitrine_consumer_send_failures_total', { target: 'dlq' }) >= 1, 'the failed dead-letter send is counted')
  const dlq = await readAllNow(env.brokers, env.prefix + 'orders.dlq')
  const stub = dlq.find(r => r.key === key)
  assert.ok(stub, 'the DLQ holds a record for it')
  assert.equal(stub.value?.length ?? 0, 0, 'without the value that did not fit')
  assert.match(stub.headers[HEADERS.valueDropped] ?? '', /too large/i)
  assert.equal(Number(stub.headers[HEADERS.originalOffset]), poison.offset, 'pointing at the original, still in its topic')
})
