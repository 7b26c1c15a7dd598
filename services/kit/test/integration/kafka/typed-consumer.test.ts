import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { SchemaType } from '@kafkajs/confluent-schema-registry'
import { HEADERS, TopicSerde, schemaVersions, subjectOf } from '@vitrine/contracts'
import type { OrderConfirmed, OrderCreated, OrderFailed } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, dropTestSchemas, readTopic, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, PermanentError, eventHeaders } from '../../../src/index.ts'
import type { EventContext } from '../../../src/index.ts'
import { kitServiceApp } from '../../helpers/engine.ts'

// The typed form of fastify.consumers.add: a topic → handler map from the catalog, each handler given
// its event and the record's context; the retry/DLQ path and pauses by reason work through it.
const env = testEnv()
const confirmed: Array<{ event: OrderConfirmed, ctx: EventContext<'orders.confirmed'> }> = []
const failed: OrderFailed[] = []
let app: Awaited<ReturnType<typeof kitServiceApp>>
let raw: EventProducer
let serde: TopicSerde

before(async () => {
  await createCatalogTopics(env)
  app = await kitServiceApp(env, { name: 'kit-typed', service: 'notification', schema: 'kit_typed', vars: { RETRY_ATTEMPTS: 0, RETRY_BACKOFF_MS: 10 } }, consumers => {
    assert.throws(() => consumers.add({ reader: 'inventory', group: 'kit-typed', on: { 'orders.confirmed': async () => {} } }), /not this service/)
    // A spec that dodged the types (JavaScript, a cast) is still refused at boot.
    assert.throws(() => consumers.add({ reader: 'notification', group: 'kit-typed', on: { 'payments.approved': async () => {} } as never }), /not list notification as a reader of "payments.approved"/)
    consumers.add({
      reader: 'notification',
      group: 'kit-typed',
      on: {
        'orders.confirmed': async (event, ctx) => { confirmed.push({ event, ctx }) },
        'orders.failed': async (event) => {
          if (event.reason === 'poison') throw new PermanentError(`cannot handle ${event.orderId}`)
          failed.push(event)
        }
      }
    })
  })
  raw = new EventProducer(env.brokers, 'kit-typed-raw', pino({ level: 'silent' }))
  await raw.connect()
  serde = new TopicSerde(env.registryUrl, env.prefix)
})

after(async () => {
  await app?.close()
  await raw?.close()
  await dropTestSchemas(env, ['kit_typed'])
  await deleteTestTopics(env)
})

function orderConfirmed (orderId: string): OrderConfirmed {
  return { eventId: randomUUID(), orderId, customerId: 'c1', totalCents: 1234, occurredAt: Date.now() }
}

test('each topic reaches its own handler with the decoded event and the record context', { timeout: 30_000 }, async () => {
  const orderId = randomUUID()
  const event = orderConfirmed(orderId)
  const headers = eventHeaders('checkout-api', 'orders.confirmed', 'orchestration')
  const sent = await raw.send({ topic: env.prefix + 'orders.confirmed', key: orderId, value: await serde.encode('orders.confirmed', event), headers })
  const failure: OrderFailed = { eventId: randomUUID(), orderId, customerId: 'c1', reason: 'payment_failed', detail: null, occurredAt: Date.now() }
  await raw.send({ topic: env.prefix + 'orders.failed', key: orderId, value: await serde.encode('orders.failed', failure), headers: {} })
  const got = await waitFor('the confirmed event', async () => confirmed.find(c => c.event.eventId === event.eventId), 20_000)
  assert.deepEqual({ ...got.event }, event)
  assert.equal(got.ctx.topic, 'orders.confirmed', 'the logical topic, without the test prefix')
  assert.equal(got.ctx.partition, sent.partition)
  assert.equal(got.ctx.offset, sent.offset)
  assert.equal(got.ctx.key, orderId)
  assert.equal(got.ctx.eventId, event.eventId)
  assert.equal(got.ctx.mode, 'orchestration')
  assert.equal(got.ctx.headers[HEADERS.correlationId], headers[HEADERS.correlationId])
  assert.equal(got.ctx.attempt, 0)
  assert.equal(got.ctx.value, got.event)
  assert.equal(typeof got.ctx.log.info, 'function')
  assert.equal(got.ctx.signal.aborted, false)
  await waitFor('the failed event, in its own handler', async () => failed.some(f => f.eventId === failure.eventId), 20_000)
  assert.ok(!confirmed.some(c => c.event.eventId === failure.eventId), 'not given to the orders.confirmed handler')
})

test('a handler that fails for good sends its record to the DLQ with its origin, as before', { timeout: 30_000 }, async () => {
  const orderId = `poison-${randomUUID()}`
  const sent = await raw.send({ topic: env.prefix + 'orders.failed', key: orderId, value: await serde.encode('orders.failed', { eventId: randomUUID(), orderId, customerId: 'c1', reason: 'poison', detail: null, occurredAt: Date.now() }), headers: {} })
  const dlq = await readTopic(env.brokers, env.prefix + 'orders.dlq', rs => rs.some(r => r.key === orderId), 20_000)
  const dead = dlq.find(r => r.key === orderId)
  assert.ok(dead)
  assert.equal(dead.headers[HEADERS.originalTopic], env.prefix + 'orders.failed')
  assert.equal(Number(dead.headers[HEADERS.originalOffset]), sent.offset)
  assert.equal(dead.headers[HEADERS.reason], 'permanent')
  assert.match(dead.headers[HEADERS.error] ?? '', /cannot handle/)
})

test('pause(reason) holds every consumer of the service until resume(reason); another reason is kept', { timeout: 30_000 }, async () => {
  app.consumers.pause('operator')
  app.consumers.pause('step')
  assert.deepEqual(app.consumers.paused().sort(), ['operator', 'step'])
  const orderId = randomUUID()
  const event = orderConfirmed(orderId)
  await raw.send({ topic: env.prefix + 'orders.confirmed', key: orderId, value: await serde.encode('orders.confirmed', event), headers: {} })
  await new Promise(resolve => setTimeout(resolve, 2500))
  assert.ok(!confirmed.some(c => c.event.eventId === event.eventId), 'not handled while paused')
  const health = (await app.inject({ url: '/health/ready' })).json() as { checks: { consumers: { detail: string } } }
  assert.match(health.checks.consumers.detail, /paused/)
  app.consumers.resume('operator')
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.ok(!confirmed.some(c => c.event.eventId === event.eventId), 'still held for the step mode')
  app.consumers.resume('step')
  assert.deepEqual(app.consumers.paused(), [])
  await waitFor('the record handled once resumed', async () => confirmed.some(c => c.event.eventId === event.eventId), 20_000)
})

test('a record an older producer wrote is read into the catalog\'s latest schema, so it has what its type promises', { timeout: 30_000 }, async () => {
  // orders.new v1 has no `channel` (v2 added it with a default).
  const v1 = schemaVersions('order-created').find(v => v.version === 1)
  assert.ok(v1)
  const { id } = await serde.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1.schema) }, { subject: subjectOf(env.prefix + 'orders.new') })
  const old = { eventId: randomUUID(), orderId: randomUUID(), customerId: 'c1', items: [{ productId: 'p1', quantity: 1, unitPriceCents: 100 }], totalCents: 100, currency: 'BRL', deadlineAt: Date.now(), occurredAt: Date.now() }
  const bytes = await serde.registry.encode(id, old)
  assert.equal((await serde.decode(bytes) as { channel?: string }).channel, undefined, 'the writer\'s shape has no channel')
  const read = await serde.decode(bytes, 'orders.new') as OrderCreated
  assert.equal(read.channel, 'web', 'the default of the field v2 added')
  assert.equal(read.orderId, old.orderId)
})
