import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, dropTestSchemas, readTopic, testEnv } from '@vitrine/infra/testing/saga'
import { EventProducer, PermanentError, enqueue, eventHeaders, firstDelivery } from '../../../src/index.ts'
import type { EventContext } from '../../../src/index.ts'
import { kitServiceApp } from '../../helpers/engine.ts'

// A partition's queued records are handled as one batch in one PostgreSQL transaction, each
// handler's app.tx a savepoint in it. A record that fails in the middle must not fail its
// neighbours: they are committed (dedup row, effect, outbox row) and it goes through the retry
// ladder on its own, as it would alone.

// The batch's first app.tx runs with no savepoint (nothing is before it): when it fails, the
// whole transaction is rolled back, which must come to the same as rolling back a savepoint.

const env = testEnv()
const RECORDS = 40
const tries = new Map<string, number>()
const txOf = new Map<string, number>()
let app: Awaited<ReturnType<typeof kitServiceApp>>
let raw: EventProducer
let serde: TopicSerde

async function handle (event: OrderConfirmed, ctx: EventContext<'orders.confirmed'>): Promise<void> {
  tries.set(event.orderId, (tries.get(event.orderId) ?? 0) + 1)
  // A handler that catches the failure of a transaction and goes on with another one.
  if (event.customerId === 'goes-on') await app.tx(async tx => { await tx`select 1 / 0` }).catch(() => {})
  await app.tx(async tx => {
    if (!(await firstDelivery(tx, ctx.eventId, ctx.topic))) return
    const [t] = await tx`select txid_current()::int8 as id`
    txOf.set(event.orderId, t!.id as number)
    await enqueue(tx, [{
      topic: 'notifications.sent',
      value: { eventId: randomUUID(), orderId: event.orderId, customerId: event.customerId, kind: 'ORDER_CONFIRMED', channels: ['email'], occurredAt: Date.now() },
      headers: eventHeaders('notification', 'notifications.sent', 'choreography', ctx)
    }])
    // After its writes: the savepoint's rollback must take them back, and only them.
    if (event.customerId === 'poison') throw new PermanentError(`cannot handle ${event.orderId}`)
    if (event.customerId === 'flaky' && tries.get(event.orderId) === 1) throw new Error(`first try of ${event.orderId} fails`)
  })
}

before(async () => {
  await createCatalogTopics(env)
  app = await kitServiceApp(env, { name: 'kit-batch', service: 'notification', schema: 'kit_batch', vars: { RETRY_ATTEMPTS: 2, RETRY_BACKOFF_MS: 10 } }, consumers => {
    consumers.add({ reader: 'notification', group: 'kit-batch', on: { 'orders.confirmed': handle } })
  })
  raw = new EventProducer(env.brokers, 'kit-batch-raw', pino({ level: 'silent' }))
  await raw.connect()
  serde = new TopicSerde(env.registryUrl, env.prefix)
})

after(async () => {
  await app?.close()
  await raw?.close()
  await dropTestSchemas(env, ['kit_batch'])
  await deleteTestTopics(env)
})

test('a failing record in the middle of a batch fails none of its neighbours; it is retried or dead-lettered alone', { timeout: 90_000 }, async () => {
  const run = randomUUID().slice(0, 8)
  const orderIds = Array.from({ length: RECORDS }, (_, i) => `${run}-${String(i).padStart(2, '0')}`)
  const customer = (i: number): string => (i === 13 ? 'poison' : i === 27 ? 'flaky' : 'c1')
  // One key: one partition, in this order. Written before the service starts, so they are fetched together.
  const key = `batch-${run}`
  // Once, before the encodes run side by side (concurrent first registrations of a subject race in the registry client).
  await serde.register('orders.confirmed')
  await raw.sendAll(await Promise.all(orderIds.map(async (orderId, i) => ({
    topic: env.prefix + 'orders.confirmed',
    key,
    value: await serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: customer(i), totalCents: 100 + i, occurredAt: Date.now() }),
    headers: eventHeaders('checkout-api', 'orders.confirmed', 'choreography')
  }))))

  const dlq = await readTopic(env.brokers, env.prefix + 'orders.dlq', rs => rs.some(r => r.headers[HEADERS.originalTopic] === env.prefix + 'orders.confirmed' && r.key === key), 30_000)
  const dead = dlq.filter(r => r.key === key)
  assert.equal(dead.length, 1, 'only the poison record is dead-lettered')
  assert.equal(dead[0]!.headers[HEADERS.reason], 'permanent')
  assert.match(dead[0]!.headers[HEADERS.error] ?? '', new RegExp(`cannot handle ${orderIds[13]}`))

  // Keyed by orderId (the catalog's key for notifications.sent).
  const sent = await readTopic(env.brokers, env.prefix + 'notifications.sent', rs => rs.filter(r => r.key?.startsWith(run)).length >= RECORDS - 1, 30_000)
  const published = sent.map(r => r.key ?? '').filter(id => id.startsWith(run))
  assert.deepEqual([...published].sort(), orderIds.filter((_, i) => i !== 13), 'every neighbour\'s outbox row was committed and published, the poison record\'s was rolled back')

  const processed = await app.sql`select count(*)::int as n from processed_events where topic = 'orders.confirmed'`
  assert.equal(processed[0]!.n, RECORDS - 1, 'the poison record\'s dedup row went with its savepoint')
  assert.equal(tries.get(orderIds[27]!), 2, 'the flaky record failed once in the batch, then succeeded on its first retry, alone')
  assert.equal(tries.get(orderIds[12]!), 1, 'its neighbours ran once')
  assert.equal(tries.get(orderIds[14]!), 1)
  const txids = new Set(orderIds.filter((_, i) => i !== 13).map(id => txOf.get(id)))
  // How many share one depends on the machine (a batch closes after ~10 ms of work); that some do, does not.
  assert.ok(txids.size < RECORDS - 1, `records share transactions (${txids.size} transactions for ${RECORDS - 1} records)`)
  assert.notEqual(txOf.get(orderIds[12]!), txOf.get(orderIds[14]!), 'the batch ended at the failing record: what follows it is in another transaction')
})

test('a record that fails first in its batch (no savepoint) is rolled back alone; a handler going on after such a failure is handled again alone', { timeout: 90_000 }, async () => {
  const run = randomUUID().slice(0, 8)
  const key = `first-${run}`
  const send = async (customers: string[], phase: string): Promise<string[]> => {
    const ids = customers.map((_, i) => `${run}-${phase}-${i}`)
    // One send while the consumer is idle: fetched together, the first record heads its batch.
    await raw.sendAll(await Promise.all(ids.map(async (orderId, i) => ({
      topic: env.prefix + 'orders.confirmed',
      key,
      value: await serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: customers[i]!, totalCents: 100 + i, occurredAt: Date.now() }),
      headers: eventHeaders('checkout-api', 'orders.confirmed', 'choreography')
    }))))
    return ids
  }
  const sentFor = async (ids: string[]): Promise<string[]> => {
    const rs = await readTopic(env.brokers, env.prefix + 'notifications.sent', rs => ids.every(id => rs.some(r => r.key === id)), 30_000)
    return rs.map(r => r.key ?? '').filter(id => ids.includes(id))
  }

  const poisoned = await send(['poison', 'c1', 'c1', 'c1'], 'p')
  const dlq = await readTopic(env.brokers, env.prefix + 'orders.dlq', rs => rs.some(r => r.key === key), 30_000)
  assert.equal(dlq.filter(r => r.key === key).length, 1, 'the poison record heading its batch is dead-lettered, alone')
  assert.deepEqual((await sentFor(poisoned.slice(1))).sort(), poisoned.slice(1), 'its neighbours are committed and published, once each')
  assert.equal(tries.get(poisoned[1]!), 1, 'its neighbours ran once')

  const goingOn = await send(['goes-on', 'c1', 'c1'], 'g')
  const published = await sentFor(goingOn)
  assert.deepEqual(published.sort(), goingOn, 'the handler that went on after its failed first transaction got its work published, once')
  assert.equal(tries.get(goingOn[0]!), 2, 'it ran in the batch (where it could not go on) and again alone, where its second transaction committed')
  const [rows] = await app.sql`select count(*)::int as n from outbox where key = any(${[...poisoned, ...goingOn]})`
  assert.equal(rows!.n, poisoned.length - 1 + goingOn.length, 'the poison record\'s outbox row went with the transaction; nothing was written twice')
})
