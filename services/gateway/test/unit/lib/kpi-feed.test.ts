import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KPI_WINDOWS, KpiState } from '../../../src/lib/kpi-feed.ts'

const MIN = 60_000
const window = (i: number, orders = 1): { windowStart: number, windowEnd: number, orders: number, revenueCents: number, avgTicketCents: number, uniqueCustomers: number } =>
  ({ windowStart: i * MIN, windowEnd: (i + 1) * MIN, orders, revenueCents: orders * 1000, avgTicketCents: 1000, uniqueCustomers: 1 })

test('windows are kept oldest first, the newest KPI_WINDOWS only', () => {
  const s = new KpiState()
  for (let i = KPI_WINDOWS + 4; i >= 0; i--) s.apply('streams.order-kpis', null, window(i))
  const w = s.snapshot().windows
  assert.equal(w.length, KPI_WINDOWS)
  assert.equal(w[0]!.windowStart, 5 * MIN)
  assert.equal(w.at(-1)!.windowStart, (KPI_WINDOWS + 4) * MIN)
})

test('top products are the newest window\'s, by rank', () => {
  const s = new KpiState()
  const p = (w: number, rank: number, productId: string): { windowStart: number, windowEnd: number, rank: number, productId: string, quantity: number, orders: number, revenueCents: number } =>
    ({ windowStart: w * MIN, windowEnd: (w + 1) * MIN, rank, productId, quantity: 10 - rank, orders: 1, revenueCents: 100 })
  s.apply('streams.top-products', null, p(1, 2, 'b'))
  s.apply('streams.top-products', null, p(1, 1, 'a'))
  s.apply('streams.top-products', null, p(0, 1, 'old'))
  assert.deepEqual(s.snapshot().topProducts.map(x => x.productId), ['a', 'b'])
})

test('upsert tables: the newest record per key wins, a tombstone removes the key', () => {
  const s = new KpiState()
  s.apply('streams.revenue-by-tier', 'gold', { tier: 'gold', orders: 1, revenueCents: 500, avgTicketCents: 500 })
  s.apply('streams.revenue-by-tier', 'silver', { tier: 'silver', orders: 2, revenueCents: 900, avgTicketCents: 450 })
  s.apply('streams.revenue-by-tier', 'gold', { tier: 'gold', orders: 3, revenueCents: 1500, avgTicketCents: 500 })
  assert.deepEqual(s.snapshot().revenueByTier.map(t => [t.tier, t.revenueCents]), [['gold', 1500], ['silver', 900]])
  s.apply('streams.revenue-by-tier', 'gold', null)
  assert.deepEqual(s.snapshot().revenueByTier.map(t => t.tier), ['silver'])
  s.apply('streams.live-kpis', '2026-11-30 14:05:00', { bucketStart: 5 * MIN, orders: 1, revenueCents: 100, avgTicketCents: 100, uniqueCustomers: 1 })
  s.apply('streams.live-kpis', '2026-11-30 14:05:00', { bucketStart: 5 * MIN, orders: 2, revenueCents: 300, avgTicketCents: 150, uniqueCustomers: 2 })
  assert.deepEqual(s.snapshot().live.map(l => l.orders), [2])
})
