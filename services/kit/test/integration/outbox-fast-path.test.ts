import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, readTopic, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, OutboxRelay, connect, createRegistry, enqueue, eventHeaders, kitMetrics, migrate, trackOutbox } from '../../src/index.ts'
import type { CommittedRow, Db } from '../../src/index.ts'
import { metricSum } from '../helpers/metrics.ts'

// The post-commit fast path: the rows a transaction enqueued are sent by the same process right after
// its commit, with no read and no wait for the relay's timer (set to a minute here, so only the fast
// path can publish in time). A fresh row never overtakes an older unpublished row of its key.

const env = testEnv()
const schema = `outbox_fast${env.schemaSuffix}`
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
const serde = new TopicSerde(env.registryUrl, env.prefix)
let sql: Db
let producer: EventProducer
let relay: OutboxRelay

function confirmed (orderId: string): OrderConfirmed {
  return { eventId: randomUUID(), orderId, customerId: 'c1', totalCents: 1000, occurredAt: Date.now() }
}

/** One transaction writing these events; returns the rows it enqueued (what the postgres plugin hands the relay). */
async function commit (events: OrderConfirmed[]): Promise<CommittedRow[]> {
  let rows: CommittedRow[] = []
  await sql.begin(async tx => {
    rows = trackOutbox(tx).rows
    await enqueue(tx, events.map(value => ({ topic: 'orders.confirmed' as const, value, headers: eventHeaders('checkout-api', 'orders.confirmed', 'choreography') })))
  })
  return rows
}

async function unpublished (): Promise<number> {
  const [r] = await sql`select count(*)::int as n from outbox where published_at is null`
  return r!.n as number
}

before(async () => {
  await createCatalogTopics(env)
  sql = connect(env.databaseUrl, schema, 4)
  await migrate(sql, schema, undefined)
  producer = new EventProducer(env.brokers, 'outbox-fast-test', log)
  await producer.connect()
  await serde.register('orders.confirmed')
  relay = new OutboxRelay(sql, producer, serde, log, kitMetrics(createRegistry('outbox-fast-test')), 60_000, { service: 'checkout-api', schema })
  relay.start()
  await waitFor('the relay owns the outbox', async () => relay.isOwner, 10_000, 50)
})

after(async () => {
  await relay?.stop().catch(() => {})
  await producer?.close().catch(() => {})
  await sql?.unsafe(`drop schema if exists "${schema}" cascade`).catch(() => {})
  await sql?.end({ timeout: 5 }).catch(() => {})
  await deleteTestTopics(env)
})

test('the rows a transaction enqueued are published right after its commit, with the relay\'s timer a minute away', { timeout: 60_000 }, async () => {
  const orderIds = Array.from({ length: 20 }, () => randomUUID())
  const started = Date.now()
  for (const orderId of orderIds) relay.publishCommitted(await commit([confirmed(orderId)]))
  // Two rows of one key in one transaction go out in their order.
  const twice = randomUUID()
  const [a, b] = [confirmed(twice), confirmed(twice)]
  relay.publishCommitted(await commit([a, b]))
  await waitFor('every row marked published', async () => (await unpublished()) === 0, 10_000, 20)
  assert.ok(Date.now() - started < 10_000, 'well before the relay\'s timer')
  const records = await readTopic(env.brokers, env.prefix + 'orders.confirmed', rs => orderIds.every(id => rs.some(r => r.key === id)) && rs.filter(r => r.key === twice).length === 2, 20_000)
  for (const id of orderIds) assert.equal(records.filter(r => r.key === id).length, 1, `${id} published once`)
  const pair = records.filter(r => r.key === twice)
  assert.deepEqual(await Promise.all(pair.map(async r => ((await serde.decode(r.value!, 'orders.confirmed')) as OrderConfirmed).eventId)), [a.eventId, b.eventId], 'in the order they were written')
  assert.ok(Number(pair[0]!.headers[HEADERS.sequence]) < Number(pair[1]!.headers[HEADERS.sequence]))
})

test('a fresh row waits for an older unpublished row of its key: the relay publishes the backlog first, then it', { timeout: 60_000 }, async () => {
  const key = `ordem-${randomUUID().slice(0, 8)}`
  const other = `ordem-${randomUUID().slice(0, 8)}`
  // A row a crash left behind: committed, never handed to publishCommitted, and the timer a minute away.
  const old = confirmed(key)
  await commit([old])
  const fresh = confirmed(key)
  const rows = await commit([fresh])
  assert.equal(rows[0]!.behind, true, 'written while an older row of its key was unpublished')
  const unrelated = await commit([confirmed(other)])
  assert.equal(unrelated[0]!.behind, false)
  relay.publishCommitted([...rows, ...unrelated])
  await waitFor('the backlog and the fresh row published', async () => (await unpublished()) === 0, 10_000, 20)
  const records = await readTopic(env.brokers, env.prefix + 'orders.confirmed', rs => rs.filter(r => r.key === key).length >= 2, 20_000)
  const sent = await Promise.all(records.filter(r => r.key === key).map(async r => ((await serde.decode(r.value!, 'orders.confirmed')) as OrderConfirmed).eventId))
  assert.deepEqual(sent, [old.eventId, fresh.eventId], 'the older row first, each once')
})

test('under a steady stream of commits, the relay\'s passes (every 20 ms here) leave the fresh rows to the fast path: they only recover', { timeout: 60_000 }, async () => {
  // Its own schema, relay and metrics: a pass that ran into the stream once took it over, one row per key per pass.
  const own = `${schema}_steady`
  const db = connect(env.databaseUrl, own, 4)
  await migrate(db, own, undefined)
  const registry = createRegistry('outbox-steady-test')
  const steady = new OutboxRelay(db, producer, serde, log, kitMetrics(registry), 20, { service: 'checkout-api', schema: own })
  try {
    steady.start()
    await waitFor('the second relay owns its outbox', async () => steady.isOwner, 10_000, 50)
    const orderIds: string[] = []
    const until = Date.now() + 1500
    while (Date.now() < until) {
      const orderId = randomUUID()
      orderIds.push(orderId)
      let rows: CommittedRow[] = []
      await db.begin(async tx => {
        rows = trackOutbox(tx).rows
        await enqueue(tx, [{ topic: 'orders.confirmed' as const, value: confirmed(orderId), headers: eventHeaders('checkout-api', 'orders.confirmed', 'choreography') }])
      })
      steady.publishCommitted(rows)
    }
    await waitFor('every row marked published', async () => {
      const [r] = await db`select count(*)::int as n from outbox where published_at is null`
      return r!.n === 0
    }, 20_000, 50)
    const body = await registry.metrics()
    const fast = metricSum(body, 'vitrine_produced_records_total', { path: 'commit' })
    const recovered = metricSum(body, 'vitrine_produced_records_total', { path: 'relay' })
    assert.equal(fast + recovered, orderIds.length, 'each row published once')
    // A pass may still take a row committed an instant before its hand-over: a few, never the stream.
    assert.ok(recovered <= orderIds.length * 0.1, `${recovered} of ${orderIds.length} rows went through the relay's passes`)
  } finally {
    await steady.stop().catch(() => {})
    await db.unsafe(`drop schema if exists "${own}" cascade`).catch(() => {})
    await db.end({ timeout: 5 }).catch(() => {})
  }
})
