import { Type } from 'typebox'
import { Nullable } from './common.ts'

// The KPI panel and the SQL page (/api/streams/*).

const OrderKpis = Type.Object({ windowStart: Type.Number(), windowEnd: Type.Number(), orders: Type.Number(), revenueCents: Type.Number(), avgTicketCents: Type.Number(), uniqueCustomers: Type.Number() })
const TopProduct = Type.Object({ windowStart: Type.Number(), windowEnd: Type.Number(), rank: Type.Number(), productId: Type.String(), quantity: Type.Number(), orders: Type.Number(), revenueCents: Type.Number() })
const LiveKpis = Type.Object({ bucketStart: Type.Number(), orders: Type.Number(), revenueCents: Type.Number(), avgTicketCents: Type.Number(), uniqueCustomers: Type.Number() })
const RevenueByTier = Type.Object({ tier: Type.String(), orders: Type.Number(), revenueCents: Type.Number(), avgTicketCents: Type.Number() })

export const KpiSnapshot = Type.Object({
  windows: Type.Array(OrderKpis, { description: 'the last 1-minute windows of streams.order-kpis, oldest first' }),
  topProducts: Type.Array(TopProduct, { description: 'the newest window\'s top products (streams.top-products), by rank' }),
  live: Type.Array(LiveKpis, { description: 'the last 5-minute buckets of streams.live-kpis, oldest first' }),
  revenueByTier: Type.Array(RevenueByTier, { description: 'streams.revenue-by-tier, highest revenue first' }),
  updatedAt: Nullable(Type.Number({ description: 'when the gateway read the last KPI record (epoch ms)' }))
})

export const SqlBody = Type.Object({
  statement: Type.String({ minLength: 1, maxLength: 10_000, description: 'one read-only Flink SQL statement: SELECT, EXPLAIN, SHOW or DESCRIBE' }),
  maxRows: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'at most this many rows (never more than STREAMS_SQL_MAX_ROWS)' })),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 120_000, description: 'at most this long (never more than STREAMS_SQL_TIMEOUT_MS)' }))
}, { additionalProperties: false })

export const SqlResult = Type.Object({
  columns: Type.Array(Type.Object({ name: Type.String(), type: Nullable(Type.String()) })),
  rows: Type.Array(Type.Array(Type.Unknown()), { description: 'each row\'s fields, in the columns\' order' }),
  kinds: Type.Array(Type.String(), { description: 'each row\'s change kind: INSERT, UPDATE_BEFORE, UPDATE_AFTER or DELETE (a streaming result is a changelog)' }),
  truncated: Type.Boolean({ description: 'the row or time limit cut the result (a streaming SELECT always ends this way)' }),
  elapsedMs: Type.Number()
})
