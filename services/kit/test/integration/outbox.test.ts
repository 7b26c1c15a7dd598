import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, readAllNow, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, OutboxRelay, connect, createRegistry, enqueue, eventHeaders, kitMetrics, migrate } from '../../src/index.ts'
import type { Db, OutgoingRecord, Delivered } from '../../src/index.ts'
import { metricSum } from '../helpers/metrics.ts'

// The outbox relay under the faults a class meets: two instances of one service, sends that fail
// after (or before) reaching the broker, and a row that can never be published.

const env = testEnv()
const schema = `outbox_test${env.schemaSuffix}`
const log = pino({ level: 'silent' })
const serde = new TopicSerde(env.registryUrl, env.prefix)
const pools: Db[] = []
const producers: EventProducer[] = []
const relays: OutboxRelay[] = []

/** Some sends fail: before reaching the broker, or after it stored the record (a lost delivery report). */
class FlakyProducer extends EventProducer {
  failRate = 0.05
  override async send (record: OutgoingRecord): Promise<Delivered> {
    if (Math.random() < this.failRate / 2) throw new Error('injected: broker connection lost before the send')
    const d = await super.send(record)
    if (Math.random() < this.failRate / 2) throw new Error('injected: delivery report lost after the broker stored the record')
    return d
  }
}

/** Each test starts with its own relays only (a previous test's owner would publish for it). */
async function fresh (): Promise<void> {
  for (const r of relays.splice(0)) await r.stop()
  await pools[0]!.unsafe('truncate outbox')
}

async function instance (intervalMs = 100): Promise<{ sql: Db, relay: OutboxRelay, producer: FlakyProducer }> {
  const sql = connect(env.databaseUrl, schema, 4)
  pools.push(sql)
  const producer = new FlakyProducer(env.brokers, `outbox-test-${pools.length}`, log)
  await producer.connect()
  producers.push(producer)
  const relay = new OutboxRelay(sql, producer, serde, log, kitMetrics(createRegistry('outbox-test')), intervalMs, { service: 'checkout-api', schema })
  relays.push(relay)
  return { sql, relay, producer }
}

function confirmed (orderId: string): OrderConfirmed {
  return { eventId: randomUUID(), orderId, customerId: 'c1', totalCents: 1000, occurredAt: Date.now() }
}

/** Writes `perKey` events for each key, one transaction per event, keys interleaved; returns each key's eventIds in commit order. */
async function write (sql: Db, keys: string[], perKey: number, order: Map<string, string[]>): Promise<void> {
  for (let i = 0; i < perKey; i++) {
    await Promise.all(keys.map(async key => {
      const v = confirmed(key)
      await sql.begin(async tx => { await enqueue(tx, [{ topic: 'orders.confirmed', value: v, headers: eventHeaders('checkout-api', 'orders.confirmed', 'choreography') }]) })
      order.get(key)!.push(v.eventId)
    }))
  }
}

before(async () => {
  await createCatalogTopics(env)
  const sql = connect(env.databaseUrl, schema, 2)
  pools.push(sql)
  await migrate(sql, schema, undefined)
})

after(async () => {
  for (const r of relays) await r.stop().catch(() => {})
  for (const p of producers) await p.close().catch(() => {})
  await pools[0]?.unsafe(`drop schema if exists "${schema}" cascade`).catch(() => {})
  for (const p of pools) await p.end({ timeout: 5 }).catch(() => {})
  await deleteTestTopics(env)
})

test('two relay instances of one service, under load, with sends failing before and after the broker: every key\'s events reach the topic in order, none lost', { timeout: 120_000 }, async () => {
  await fresh()
  const a = await instance()
  const b = await instance()
  const keys = Array.from({ length: 30 }, (_, i) => `ordem-${i}-${randomUUID().slice(0, 6)}`)
  const order = new Map(keys.map(k => [k, [] as string[]]))
  // A backlog before the relays start, then more while they run, written from both instances.
  await write(a.sql, keys, 10, order)
  a.relay.start()
  b.relay.start()
  await Promise.all([write(a.sql, keys.slice(0, 15), 10, order), write(b.sql, keys.slice(15), 10, order)])
  await waitFor('the outbox to drain', async () => {
    const [r] = await pools[0]!`select count(*)::int as n from outbox where published_at is null`
    return r!.n === 0
  }, 45_000, 250)

  const records = (await readAllNow(env.brokers, env.prefix + 'orders.confirmed')).filter(r => r.key && order.has(r.key))
  const problems: string[] = []
  for (const key of keys) {
    const expected = order.get(key)!
    const position = new Map(expected.map((id, i) => [id, i]))
    const seen: number[] = []
    const seqs: number[] = []
    for (const r of records.filter(x => x.key === key)) {
      const v = await serde.decode(r.value!) as OrderConfirmed
      seen.push(position.get(v.eventId)!)
      seqs.push(Number(r.headers[HEADERS.sequence]))
    }
    // Repeats are allowed (at least once), going back is not: a consumer would apply an older event after a newer one.
    for (let i = 1; i < seen.length; i++) if (seen[i]! < seen[i - 1]!) problems.push(`${key}: event #${seen[i]} after #${seen[i - 1]}`)
    const missing = expected.length - new Set(seen).size
    if (missing > 0) problems.push(`${key}: ${missing} event(s) never published`)
    for (let i = 1; i < seqs.length; i++) if (!(seqs[i]! >= seqs[i - 1]!)) problems.push(`${key}: ${HEADERS.sequence} ${seqs[i]} after ${seqs[i - 1]}`)
  }
  assert.deepEqual(problems.slice(0, 10), [], `${problems.length} ordering problem(s)`)
})

test('a row that can never be published goes to the DLQ with its error; the rows after it, of other keys and of its own, still flow', { timeout: 60_000 }, async () => {
  await fresh()
  const sql = pools[0]!
  const key = `ordem-ruim-${randomUUID().slice(0, 6)}`
  const others = Array.from({ length: 5 }, () => `ordem-${randomUUID().slice(0, 6)}`)
  const before = new Map(others.map(k => [k, [] as string[]]))
  await write(sql, others, 2, before)
  // Written around enqueue's validation, as a bug or a hand edit would: totalCents is not a number.
  const [bad] = await sql`insert into outbox (topic, key, value, headers) values ('orders.confirmed', ${key}, ${sql.json({ eventId: randomUUID(), orderId: key, customerId: 'c1', totalCents: 'dez reais', occurredAt: Date.now() })}, '{}') returning id`
  const after = new Map([[key, [] as string[]], ...others.map(k => [k, [] as string[]] as [string, string[]])])
  await write(sql, [key, ...others], 2, after)
  const { relay, producer } = await instance()
  producer.failRate = 0
  relay.start()
  await waitFor('every good row published', async () => {
    const [r] = await sql`select count(*)::int as n from outbox where published_at is null and id <> ${bad!.id as number}`
    return r!.n === 0
  }, 30_000, 250)
  const dlq = await waitFor('the bad row in the DLQ', async () => {
    const rs = (await readAllNow(env.brokers, env.prefix + 'orders.dlq')).filter(r => r.key === key)
    return rs.length > 0 ? rs : undefined
  }, 15_000, 500)
  assert.equal(dlq[0]!.headers[HEADERS.originalTopic], env.prefix + 'orders.confirmed')
  assert.match(dlq[0]!.headers[HEADERS.error] ?? '', /totalCents/)
  assert.match(dlq[0]!.headers[HEADERS.failedBy] ?? '', /outbox/)
  const [row] = await sql`select published_at, failed_at, error from outbox where id = ${bad!.id as number}`
  assert.equal(row!.published_at, null, 'not marked as published')
  assert.ok(row!.failed_at, 'set aside')
  assert.match(row!.error as string, /totalCents/)
  const published = (await readAllNow(env.brokers, env.prefix + 'orders.confirmed')).filter(r => r.key === key)
  assert.equal(published.length, 2, 'the key\'s later events were published')
})

test('a second instance\'s commit reaches the topic without waiting for the owner\'s timer', { timeout: 60_000 }, async () => {
  await fresh()
  const owner = await instance(60_000)
  const other = await instance(60_000)
  owner.producer.failRate = 0
  other.producer.failRate = 0
  owner.relay.start()
  other.relay.start()
  await new Promise(resolve => setTimeout(resolve, 500))
  const key = `ordem-${randomUUID().slice(0, 6)}`
  const order = new Map([[key, [] as string[]]])
  const started = Date.now()
  for (const inst of [owner, other]) {
    await write(inst.sql, [key], 1, order)
    inst.relay.kick()
  }
  await waitFor('both events published', async () => {
    const [r] = await pools[0]!`select count(*)::int as n from outbox where published_at is null`
    return r!.n === 0
  }, 10_000, 50)
  assert.ok(Date.now() - started < 5000, `published in ${Date.now() - started} ms, well before the 60 s timer`)
})

test('the lock\'s connection killed (as by a PostgreSQL restart): the relay takes the lock again, publishes what comes after, its pool stays usable and stop() returns', { timeout: 60_000 }, async () => {
  await fresh()
  const { sql, relay, producer } = await instance(100)
  producer.failRate = 0
  relay.start()
  await waitFor('the relay to own the lock', async () => relay.isOwner, 10_000, 20)
  // This schema's relay lock (an advisory lock on a bigint key: its low 32 bits are objid).
  const held = async (): Promise<number | undefined> => (await pools[0]!`
    select pid from pg_locks where locktype = 'advisory' and granted
      and objid::bigint = (hashtext(${'vitrine-outbox:' + schema})::bigint & 4294967295)`)[0]?.pid as number | undefined
  const holder = await held()
  assert.ok(holder, 'a backend holds the relay\'s advisory lock')
  await pools[0]!`select pg_terminate_backend(${holder})`
  const key = `ordem-${randomUUID().slice(0, 6)}`
  await write(sql, [key], 3, new Map([[key, []]]))
  relay.kick()
  await waitFor('the rows after the kill published', async () => {
    const [r] = await pools[0]!`select count(*)::int as n from outbox where published_at is null`
    return r!.n === 0
  }, 15_000, 50)
  // The rows may already be out before the relay retakes the lock: the killed backend takes a moment to exit,
  // and until it has, the lock (and the relay's ownership) still stands. So wait for the retake, bounded.
  await waitFor('the lock held again, by another backend', async () => {
    const again = await held()
    return again !== undefined && again !== holder
  }, 10_000, 50)
  // Every connection of the relay's pool answers (a query on the dead reserved connection would have wedged it).
  const pids = await Promise.all(Array.from({ length: 8 }, async () => (await sql`select pg_backend_pid() as p`)[0]!.p as number))
  assert.equal(pids.length, 8)
  await relay.stop()
  assert.equal(relay.isOwner, false)
})

test('stop() during a pass runs no second pass at the same time and leaves nothing committed behind', { timeout: 60_000 }, async () => {
  await fresh()
  const { sql, relay, producer } = await instance(60_000)
  producer.failRate = 0
  let inFlight = 0
  let most = 0
  const send = producer.send.bind(producer)
  producer.send = async (r) => {
    inFlight++
    most = Math.max(most, inFlight)
    try { return await send(r) } finally { inFlight-- }
  }
  const key = `ordem-${randomUUID().slice(0, 6)}`
  await write(sql, [key], 5, new Map([[key, []]]))
  relay.start()
  await write(sql, [key], 5, new Map([[key, []]]))
  relay.kick()
  await relay.stop()
  relay.kick()
  const [r] = await sql`select count(*)::int as n from outbox where published_at is null`
  assert.equal(r!.n, 0, 'what was committed before stop() is published by it')
  assert.equal(most, 1, 'one send at a time for one key: no two passes overlapped')
})

test('pruning deletes published rows after a day and processed event ids only after every copy of their record has expired', { timeout: 60_000 }, async () => {
  await fresh()
  const sql = pools[0]!
  const { relay } = await instance(60_000)
  const day = 24 * 60 * 60 * 1000
  const ago = (ms: number): Date => new Date(Date.now() - ms)
  await sql`insert into outbox (topic, key, value, published_at) values ('orders.confirmed', 'velho', '{}', ${ago(2 * day)}), ('orders.confirmed', 'recente', '{}', ${ago(60_000)})`
  await sql`insert into outbox (topic, key, value, failed_at, error) values ('orders.confirmed', 'separado', '{}', ${ago(40 * day)}, 'bad')`
  await sql`insert into processed_events (event_id, topic, processed_at) values
    ('semana', 'orders.new', ${ago(8 * day)}), ('trinta-e-dois', 'orders.new', ${ago(32 * day)}), ('desconhecido', 'fora.do.catalogo', ${ago(400 * day)})`
  await relay.prune(true)
  assert.deepEqual((await sql`select key from outbox order by key`).map(r => r.key), ['recente', 'separado'], 'published rows go after a day; a row set aside stays for the operator')
  // orders.new is kept 7 days, but a copy can come back from the DLQ (30 days) by a replay: its id stays until then.
  assert.deepEqual((await sql`select event_id from processed_events where event_id in ('semana', 'trinta-e-dois', 'desconhecido') order by event_id`).map(r => r.event_id), ['desconhecido', 'semana'])
})

test('outbox metrics: the backlog and its oldest row\'s age while the broker refuses, back to 0 once published, each publish counted', { timeout: 60_000 }, async () => {
  await fresh()
  const sql = connect(env.databaseUrl, schema, 2)
  pools.push(sql)
  class DownProducer extends EventProducer {
    down = true
    override async send (record: OutgoingRecord): Promise<Delivered> {
      if (this.down) throw new Error('injected: broker not reachable')
      return await super.send(record)
    }
  }
  const producer = new DownProducer(env.brokers, 'outbox-metrics', log)
  await producer.connect()
  producers.push(producer)
  const registry = createRegistry('checkout-api')
  const relay = new OutboxRelay(sql, producer, serde, log, kitMetrics(registry), 100, { service: 'checkout-api', schema })
  relays.push(relay)
  const keys = Array.from({ length: 3 }, () => `ordem-${randomUUID().slice(0, 6)}`)
  await write(sql, keys, 2, new Map(keys.map(k => [k, []])))
  relay.start()
  const gauge = async (name: string): Promise<number> => metricSum(await registry.metrics(), name, { service: 'checkout-api' })
  await waitFor('the backlog shown while nothing can be published', async () => await gauge('vitrine_outbox_pending_records') === 6, 15_000, 100)
  await new Promise(resolve => setTimeout(resolve, 1200))
  assert.ok(await gauge('vitrine_outbox_oldest_age_seconds') >= 1, 'the oldest row\'s age grows while it waits')
  assert.equal(await gauge('vitrine_produced_records_total'), 0)
  producer.down = false
  await waitFor('the backlog published', async () => await gauge('vitrine_outbox_pending_records') === 0 && await gauge('vitrine_outbox_oldest_age_seconds') === 0, 15_000, 100)
  assert.equal(metricSum(await registry.metrics(), 'vitrine_produced_records_total', { topic: 'orders.confirmed' }), 6)
  assert.equal(metricSum(await registry.metrics(), 'vitrine_outbox_publish_delay_seconds_count'), 6)
})
