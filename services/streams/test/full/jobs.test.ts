import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import type { EnrichedOrderLine, LiveKpis, OrderConfirmed, OrderCreated, OrderKpis, RevenueByTier, TopProduct } from '@vitrine/contracts'
import { EventProducer, readTopicNow } from '@vitrine/service-kit'
import { cleanup, createCatalogTopics, deleteTestTopics, testEnv, waitFor } from '@vitrine/infra/testing'
import { JOBS } from '../../src/sql.ts'
import { cancelJob, submitJobs } from '../../src/submit.ts'
import { newestByKey, orderIdOn, privateFlink, sqlParams, TEST_JOB_CONFIG, waitSourceRead } from '../helpers/flink.ts'

// The five SQL jobs together on one Flink of the test's own, configured as the demo's (one JVM, each
// job in its own mini cluster), on a known set of orders with fixed timestamps; each job's output must
// equal what this test computes by itself. The customers and products tables arrive as Debezium JSON
// that the test writes itself (the same format Kafka Connect writes; the Debezium chain itself is the
// integration test's), so their version times are fixed too: a snapshot, then at TU a customer's tier
// and a product's price change.

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0)
const SEC = 1000
const MIN = 60 * SEC
/** When the tier of ana and the price of prod_2 change (10:02:30). */
const TU = T0 + 150 * SEC

interface Customer { customer_id: string, name: string, tier: string }
interface Product { id: string, name: string, price_cents: number }
const CUSTOMERS: Customer[] = [
  { customer_id: 'ana', name: 'Ana', tier: 'bronze' },
  { customer_id: 'bruno', name: 'Bruno', tier: 'silver' },
  { customer_id: 'carla', name: 'Carla', tier: 'gold' }
]
const PRODUCTS: Product[] = [
  { id: 'prod_1', name: 'Camiseta', price_cents: 4990 },
  { id: 'prod_2', name: 'Caneca', price_cents: 1990 },
  { id: 'prod_3', name: 'Boné', price_cents: 3500 }
]
const ANA_AFTER: Customer = { customer_id: 'ana', name: 'Ana', tier: 'gold' }
const PROD_2_AFTER: Product = { id: 'prod_2', name: 'Caneca', price_cents: 2490 }

/** A Debezium JSON change event as Kafka Connect writes it here (no schema envelope). */
function debezium<T> (table: string, op: 'r' | 'u', before: T | null, after: T, tsMs: number): Buffer {
  const source = { version: '3.4.3.Final', connector: 'postgresql', name: 'cdc', ts_ms: tsMs, snapshot: op === 'r' ? 'true' : 'false', db: 'vitrine', sequence: '[null,"1"]', schema: 'test', table, txId: 1, lsn: 1, xmin: null }
  return Buffer.from(JSON.stringify({ before, after, source, op, ts_ms: tsMs, transaction: null }))
}

// Each customer's and product's history, as the test wrote it: the snapshot holds since forever, a change from TU on.
const customerAt = (id: string, at: number): Customer | undefined => id === 'ana' && at >= TU ? ANA_AFTER : CUSTOMERS.find(c => c.customer_id === id)
const productAt = (id: string, at: number): Product | undefined => id === 'prod_2' && at >= TU ? PROD_2_AFTER : PRODUCTS.find(p => p.id === id)

const created = (customerId: string, occurredAt: number, items: Array<[string, number, number]>, orderId: string = randomUUID()): OrderCreated => {
  const lines = items.map(([productId, quantity, unitPriceCents]) => ({ productId, quantity, unitPriceCents }))
  return { eventId: randomUUID(), orderId, customerId, items: lines, totalCents: lines.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0), currency: 'BRL', deadlineAt: occurredAt + 30 * SEC, channel: 'web', occurredAt }
}
const confirmed = (customerId: string, totalCents: number, occurredAt: number, orderId: string = randomUUID()): OrderConfirmed => ({ eventId: randomUUID(), orderId, customerId, totalCents, occurredAt })

// orders.new before the change (windows 10:00 and 10:01, one unknown customer and one unknown product),
// then one order per partition at 10:02 that moves the watermark past them.
const NEW_BEFORE = [
  created('ana', T0 + 5 * SEC, [['prod_1', 2, 4990], ['prod_2', 1, 1990]]),
  created('bruno', T0 + 12 * SEC, [['prod_2', 3, 1990]]),
  created('carla', T0 + 30 * SEC, [['prod_3', 1, 3500], ['prod_1', 1, 4990]]),
  created('diego', T0 + 44 * SEC, [['prod_9', 5, 100]]),
  created('ana', T0 + 70 * SEC, [['prod_3', 2, 3400]]),
  created('bruno', T0 + 95 * SEC, [['prod_1', 1, 4990], ['prod_3', 2, 3500]]),
  created('carla', T0 + 110 * SEC, [['prod_2', 2, 1990]])
]
const FLUSH_BEFORE = [0, 1, 2].map(p => created('flush', T0 + 2 * MIN, [['prod_flush', 1, 1]], orderIdOn(p)))
// After the change (window 10:03), then one order per partition at 10:10 that closes every window before it.
const NEW_AFTER = [
  created('ana', T0 + 185 * SEC, [['prod_2', 1, 2490], ['prod_1', 1, 4990]]),
  created('bruno', T0 + 200 * SEC, [['prod_2', 4, 2490]]),
  created('ana', T0 + 230 * SEC, [['prod_3', 1, 3500]])
]
const FLUSH_AFTER = [0, 1, 2].map(p => created('flush', T0 + 10 * MIN, [['prod_flush', 1, 1]], orderIdOn(p)))
// What the windowed and temporal-join jobs have emitted once the watermark is 10:10 - 5 s.
const NEW_EMITTED = [...NEW_BEFORE, ...FLUSH_BEFORE, ...NEW_AFTER]
const NEW_ALL = [...NEW_EMITTED, ...FLUSH_AFTER]

// orders.confirmed: three windows with repeating customers, and one order per partition at 10:10.
const CONFIRMED: OrderConfirmed[] = []
const BUYERS = ['ana', 'bruno', 'carla', 'diego']
for (let w = 0; w < 3; w++) {
  for (let i = 0; i < 4 + w * 2; i++) CONFIRMED.push(confirmed(BUYERS[(i * (w + 1)) % BUYERS.length]!, 1000 + 137 * i + 1000 * w, T0 + w * MIN + i * 7 * SEC))
}
const CONFIRMED_ALL = [...CONFIRMED, ...[0, 1, 2].map(p => confirmed('flush', 1, T0 + 10 * MIN, orderIdOn(p)))]

const windowOf = (at: number, size: number): number => Math.floor(at / size) * size
const groupBy = <T, K>(xs: readonly T[], key: (x: T) => K): Map<K, T[]> => {
  const out = new Map<K, T[]>()
  for (const x of xs) out.set(key(x), [...(out.get(key(x)) ?? []), x])
  return out
}
const kpis = (os: readonly OrderConfirmed[]): { orders: number, revenueCents: number, avgTicketCents: number, uniqueCustomers: number } => {
  const revenue = os.reduce((s, o) => s + o.totalCents, 0)
  return { orders: os.length, revenueCents: revenue, avgTicketCents: Math.floor(revenue / os.length), uniqueCustomers: new Set(os.map(o => o.customerId)).size }
}
/** Windows the watermark (the newest time - 5 s) has passed: the ones a windowed job has closed. */
const closed = (start: number, size: number, times: number[]): boolean => start + size <= Math.max(...times) - 5 * SEC
const plain = <T extends object>(xs: T[]): T[] => xs.map(x => ({ ...x }))

test('the five SQL jobs on one Flink: each output equals the test\'s own count', { timeout: 900_000 }, async (t) => {
  const env = testEnv()
  const stateDir = mkdtempSync(join(tmpdir(), 'streams-jobs-'))
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = new EventProducer(env.brokers, 'streams-test', pino({ level: 'silent' }))
  // Registered before the Flink starts, so these run before it stops (cleanups: last registered first).
  cleanup(t, async () => {
    await deleteTestTopics(env)
    rmSync(stateDir, { recursive: true, force: true })
  })
  cleanup(t, async () => { await producer.close() })
  const flink = await privateFlink(t)
  await createCatalogTopics(env)
  await producer.connect()
  const send = async (topic: 'orders.new' | 'orders.confirmed', os: Array<OrderCreated | OrderConfirmed>): Promise<void> => {
    for (const o of os) await producer.send({ topic: env.prefix + topic, key: o.orderId, value: await serde.encode(topic, o as OrderCreated & OrderConfirmed), headers: {} })
  }
  const sendCdc = async (topic: string, key: Record<string, string>, value: Buffer): Promise<void> => {
    await producer.send({ topic: env.prefix + topic, key: JSON.stringify(key), value, headers: {} })
  }

  // The tables' snapshot first; every job is started as the demo starts them (all of JOBS, one session each).
  for (const c of CUSTOMERS) await sendCdc('customers.cdc', { customer_id: c.customer_id }, debezium('customers', 'r', null, c, T0 - 60 * MIN))
  for (const p of PRODUCTS) await sendCdc('products.cdc', { id: p.id }, debezium('products', 'r', null, p, T0 - 60 * MIN))
  await send('orders.confirmed', CONFIRMED_ALL)
  const reports = await submitJobs({ gatewayUrl: flink.gatewayUrl, params: sqlParams(env), stateFile: join(stateDir, 'jobs.json'), restUrls: flink.restUrls, config: TEST_JOB_CONFIG })
  cleanup(t, async () => { for (const r of reports) await cancelJob(flink.restUrls, r.jobId) })
  assert.deepEqual(reports.map(r => [r.job, r.outcome]), JOBS.map(j => [j, 'started']))
  const jobId = (job: typeof JOBS[number]): string => reports.find(r => r.job === job)!.jobId
  // The temporal joins answer for an order with the versions they have: the tables are read before any order.
  await waitSourceRead(flink.restUrls, jobId('enriched_orders'), 'customers', CUSTOMERS.length)
  await waitSourceRead(flink.restUrls, jobId('enriched_orders'), 'products', PRODUCTS.length)
  await waitSourceRead(flink.restUrls, jobId('revenue_by_tier'), 'customers', CUSTOMERS.length)

  // The orders before the change, until both joins have answered for them (not later: a version the
  // watermark has passed is dropped, so the change must not overtake them).
  await send('orders.new', [...NEW_BEFORE, ...FLUSH_BEFORE])
  const linesBefore = NEW_BEFORE.reduce((n, o) => n + o.items.length, 0)
  await waitFor('enriched_orders and revenue_by_tier answered for the orders before the change', async () => {
    const lines = await readTopicNow(env.brokers, env.prefix + 'streams.enriched-orders', 10_000)
    const tiers = await newestByKey<RevenueByTier>(env, serde, 'streams.revenue-by-tier')
    return lines.length >= linesBefore && [...tiers.values()].reduce((n, r) => n + r.orders, 0) >= NEW_BEFORE.length
  }, 120_000, 1000)

  // The change: ana becomes gold and prod_2 costs more, both at TU.
  await sendCdc('customers.cdc', { customer_id: 'ana' }, debezium('customers', 'u', CUSTOMERS[0]!, ANA_AFTER, TU))
  await sendCdc('products.cdc', { id: 'prod_2' }, debezium('products', 'u', PRODUCTS[1]!, PROD_2_AFTER, TU))
  await waitSourceRead(flink.restUrls, jobId('enriched_orders'), 'customers', CUSTOMERS.length + 1)
  await waitSourceRead(flink.restUrls, jobId('enriched_orders'), 'products', PRODUCTS.length + 1)
  await waitSourceRead(flink.restUrls, jobId('revenue_by_tier'), 'customers', CUSTOMERS.length + 1)
  await send('orders.new', [...NEW_AFTER, ...FLUSH_AFTER])

  await t.test('order_kpis: each closed 1-minute window\'s orders, revenue, average ticket and unique customers', async () => {
    const times = CONFIRMED_ALL.map(o => o.occurredAt)
    const expected = [...groupBy(CONFIRMED_ALL, o => windowOf(o.occurredAt, MIN))]
      .filter(([start]) => closed(start, MIN, times))
      .map(([start, os]) => ({ windowStart: start, windowEnd: start + MIN, ...kpis(os) }))
      .sort((a, b) => a.windowStart - b.windowStart)
    assert.equal(expected.length, 3)
    const records = await waitFor('order_kpis closed its windows', async () => {
      const rs = await readTopicNow(env.brokers, env.prefix + 'streams.order-kpis', 10_000)
      return rs.length >= expected.length && rs
    }, 120_000, 1000)
    const got: OrderKpis[] = []
    for (const r of records) got.push(await serde.decode(r.value!, 'streams.order-kpis') as OrderKpis)
    assert.deepEqual(plain(got).sort((a, b) => a.windowStart - b.windowStart), expected)
    assert.deepEqual(records.map(r => r.key).sort(), ['2026-01-15 10:00:00.000', '2026-01-15 10:01:00.000', '2026-01-15 10:02:00.000'])
  })

  await t.test('top_products: the 3 most ordered products (units, then productId) of each closed 1-minute window', async () => {
    const times = NEW_ALL.map(o => o.occurredAt)
    const lines = NEW_ALL.flatMap(o => o.items.map(i => ({ ...i, orderId: o.orderId, at: o.occurredAt })))
    const expected: TopProduct[] = []
    for (const [start, ls] of groupBy(lines, l => windowOf(l.at, MIN))) {
      if (!closed(start, MIN, times)) continue
      const ranked = [...groupBy(ls, l => l.productId)]
        .map(([productId, pl]) => ({ productId, quantity: pl.reduce((s, l) => s + l.quantity, 0), orders: new Set(pl.map(l => l.orderId)).size, revenueCents: pl.reduce((s, l) => s + l.quantity * l.unitPriceCents, 0) }))
        .sort((a, b) => b.quantity - a.quantity || (a.productId < b.productId ? -1 : 1))
        .slice(0, 3)
      ranked.forEach((p, i) => expected.push({ windowStart: start, windowEnd: start + MIN, rank: i + 1, ...p }))
    }
    const order = (a: TopProduct, b: TopProduct): number => a.windowStart - b.windowStart || a.rank - b.rank
    expected.sort(order)
    assert.deepEqual([...new Set(expected.map(e => e.windowStart))], [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN])
    const records = await waitFor('top_products closed its windows', async () => {
      const rs = await readTopicNow(env.brokers, env.prefix + 'streams.top-products', 10_000)
      return rs.length >= expected.length && rs
    }, 120_000, 1000)
    const got: TopProduct[] = []
    for (const r of records) got.push(await serde.decode(r.value!, 'streams.top-products') as TopProduct)
    assert.deepEqual(plain(got).sort(order), expected)
  })

  await t.test('live_kpis: the newest row of each 5-minute bucket holds all its confirmed orders', async () => {
    const expected = [...groupBy(CONFIRMED_ALL, o => windowOf(o.occurredAt, 5 * MIN))]
      .map(([start, os]) => ({ bucketStart: start, ...kpis(os) }))
      .sort((a, b) => a.bucketStart - b.bucketStart)
    assert.equal(expected.length, 2)
    let got: LiveKpis[] = []
    await waitFor('live_kpis counted every confirmed order', async () => {
      got = [...(await newestByKey<LiveKpis>(env, serde, 'streams.live-kpis')).values()]
      return got.reduce((n, k) => n + k.orders, 0) >= CONFIRMED_ALL.length
    }, 120_000, 1000).catch(() => {})
    assert.deepEqual(plain(got).sort((a, b) => a.bucketStart - b.bucketStart), expected)
  })

  await t.test('enriched_orders: every line with the customer and the product as they were at the order\'s time', async () => {
    const expected: EnrichedOrderLine[] = NEW_EMITTED.flatMap(o => o.items.map(i => {
      const c = customerAt(o.customerId, o.occurredAt)
      const p = productAt(i.productId, o.occurredAt)
      return { orderId: o.orderId, customerId: o.customerId, customerName: c?.name ?? null, customerTier: c?.tier ?? null, productId: i.productId, productName: p?.name ?? null, quantity: i.quantity, unitPriceCents: i.unitPriceCents, catalogPriceCents: p?.price_cents ?? null, lineCents: i.quantity * i.unitPriceCents, occurredAt: o.occurredAt }
    }))
    const order = (a: EnrichedOrderLine, b: EnrichedOrderLine): number => a.occurredAt - b.occurredAt || a.orderId.localeCompare(b.orderId) || a.productId.localeCompare(b.productId)
    expected.sort(order)
    // The history shows in the expectation: ana bronze then gold, prod_2 at 1990 then 2490, diego and prod_9 unknown.
    assert.deepEqual([...new Set(expected.filter(l => l.customerId === 'ana').map(l => l.customerTier))], ['bronze', 'gold'])
    assert.deepEqual([...new Set(expected.filter(l => l.productId === 'prod_2').map(l => l.catalogPriceCents))], [1990, 2490])
    const records = await waitFor('enriched_orders wrote every line', async () => {
      const rs = await readTopicNow(env.brokers, env.prefix + 'streams.enriched-orders', 10_000)
      return rs.length >= expected.length && rs
    }, 120_000, 1000)
    const got: EnrichedOrderLine[] = []
    for (const r of records) {
      const line = await serde.decode(r.value!, 'streams.enriched-orders') as EnrichedOrderLine
      assert.equal(r.key, line.orderId, 'keyed by orderId')
      got.push(line)
    }
    assert.deepEqual(plain(got).sort(order), expected)
  })

  await t.test('revenue_by_tier: each order in the tier its customer had at the order\'s time', async () => {
    const expected: Record<string, RevenueByTier> = {}
    for (const o of NEW_EMITTED) {
      const tier = customerAt(o.customerId, o.occurredAt)?.tier ?? 'desconhecido'
      const row = expected[tier] ??= { tier, orders: 0, revenueCents: 0, avgTicketCents: 0 }
      row.orders += 1
      row.revenueCents += o.totalCents
      row.avgTicketCents = Math.floor(row.revenueCents / row.orders)
    }
    let got = new Map<string, RevenueByTier>()
    await waitFor('revenue_by_tier counted every order', async () => {
      got = await newestByKey<RevenueByTier>(env, serde, 'streams.revenue-by-tier')
      return [...got.values()].reduce((n, r) => n + r.orders, 0) >= NEW_EMITTED.length
    }, 120_000, 1000).catch(() => {})
    assert.deepEqual(Object.fromEntries([...got].map(([k, v]) => [k, { ...v }])), expected)
  })
})
