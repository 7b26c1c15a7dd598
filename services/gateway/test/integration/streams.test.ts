import { test } from 'node:test'
import assert from 'node:assert/strict'
import { io as connect } from 'socket.io-client'
import type { StreamTopic, StreamValues } from '@vitrine/contracts'
import { waitFor } from '@vitrine/infra/testing'
import type { KpiSnapshot } from '../../src/lib/kpi-feed.ts'
import { gatewayHarness } from './helper.ts'

// The KPI panel's feed and the SQL page's guard, without Flink: the test writes the KPI topics itself,
// as Flink's avro-confluent sink would (the contracts schema through the registry), and the SQL
// Gateway is somewhere nothing answers, so a read that passes the guard is a 502 naming Flink.

const h = gatewayHarness({ FLINK_SQL_GATEWAY_URL: 'http://127.0.0.1:9', KPI_PUSH_MS: 50 })

async function write<T extends StreamTopic> (topic: T, key: string, value: StreamValues[T]): Promise<void> {
  const id = await h.serde.register(topic)
  await h.producer.send({ topic: h.env.prefix + topic, key, value: await h.serde.registry.encode(id, value), headers: {} })
}

test('KPI records written to the streams topics reach GET /api/streams/kpis and the browsers (socket.io kpis)', async (t) => {
  const socket = connect(h.url, { transports: ['websocket'], reconnection: false })
  t.after(() => socket.close())
  const pushed: KpiSnapshot[] = []
  socket.on('kpis', (s: KpiSnapshot) => pushed.push(s))
  await waitFor('socket connected', async () => socket.connected)

  const w0 = Date.UTC(2026, 10, 30, 14, 1)
  await write('streams.order-kpis', '2026-11-30 14:01:00', { windowStart: w0, windowEnd: w0 + 60_000, orders: 4, revenueCents: 10_000, avgTicketCents: 2500, uniqueCustomers: 3 })
  await write('streams.order-kpis', '2026-11-30 14:02:00', { windowStart: w0 + 60_000, windowEnd: w0 + 120_000, orders: 1, revenueCents: 990, avgTicketCents: 990, uniqueCustomers: 1 })
  await write('streams.top-products', '2026-11-30 14:01:00#1', { windowStart: w0, windowEnd: w0 + 60_000, rank: 1, productId: 'prod_1', quantity: 5, orders: 2, revenueCents: 5000 })
  await write('streams.live-kpis', '2026-11-30 14:00:00', { bucketStart: w0 - 60_000, orders: 2, revenueCents: 3000, avgTicketCents: 1500, uniqueCustomers: 2 })
  await write('streams.live-kpis', '2026-11-30 14:00:00', { bucketStart: w0 - 60_000, orders: 5, revenueCents: 10_990, avgTicketCents: 2198, uniqueCustomers: 4 })
  await write('streams.revenue-by-tier', 'gold', { tier: 'gold', orders: 3, revenueCents: 9000, avgTicketCents: 3000 })
  await write('streams.revenue-by-tier', 'bronze', { tier: 'bronze', orders: 2, revenueCents: 1990, avgTicketCents: 995 })

  const snap = await waitFor('all KPI records read', async () => {
    const s = (await (await fetch(`${h.url}/api/streams/kpis`)).json()) as KpiSnapshot
    return s.windows.length === 2 && s.revenueByTier.length === 2 && s.live[0]?.orders === 5 && s.topProducts.length === 1 ? s : undefined
  }, 20_000)
  assert.deepEqual(snap.windows.map(w => [w.windowStart, w.orders, w.revenueCents]), [[w0, 4, 10_000], [w0 + 60_000, 1, 990]])
  assert.equal(snap.live.length, 1, 'an upsert: the newest record of the bucket replaces the older')
  assert.deepEqual(snap.revenueByTier.map(r => [r.tier, r.revenueCents]), [['gold', 9000], ['bronze', 1990]])
  assert.equal(snap.topProducts[0]!.productId, 'prod_1')
  const last = await waitFor('pushed to the browser', async () => pushed.findLast(s => s.windows.length === 2 && s.revenueByTier.length === 2))
  assert.deepEqual(last.windows, snap.windows)
})

test('the SQL page refuses anything but a read, with a pt-BR message naming the field and the rule', async () => {
  for (const statement of ['INSERT INTO orders_new SELECT * FROM orders_new', 'DROP TABLE orders_new', 'CREATE TABLE x (a INT)', "SET 'parallelism.default' = '8'", 'SELECT 1; DROP TABLE orders_new']) {
    const res = await fetch(`${h.url}/api/streams/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statement }) })
    const body = await res.json() as { code: string, message: string, errors: Array<{ field: string, rule: string, message: string }> }
    assert.equal(res.status, 400, `${statement} → ${res.status}`)
    assert.equal(body.code, 'SHOP_ERR_VALIDATION')
    assert.equal(body.errors[0]!.field, 'body.statement')
    assert.equal(body.errors[0]!.rule, 'read-only')
    assert.match(body.errors[0]!.message, /só lê \(SELECT, EXPLAIN, SHOW ou DESCRIBE\)|só uma instrução por vez/)
  }
})

test('a read with Flink away is a 502 SHOP_ERR_UPSTREAM_UNAVAILABLE, never a 500', async () => {
  const res = await fetch(`${h.url}/api/streams/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statement: 'SELECT * FROM orders_new' }) })
  assert.equal(res.status, 502)
  const body = await res.json() as { code: string, message: string }
  assert.equal(body.code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
})
