import type { PricedItem, SagaMode } from '@vitrine/contracts'
import { firstDeliveryWith, replayedAlready } from '@vitrine/service-kit'
import type { Db, StoredRecord, Tx } from '@vitrine/service-kit'

// The orders aggregate: the orders table, each order's history of events and the dead letters
// already turned into a flag. All of checkout-api's SQL about orders is here, with typed rows.

export type OrderStatus = 'pending' | 'confirmed' | 'failed'

/** What an Idempotency-Key replay compares and answers with. */
export interface KeyedOrderRow { id: string, mode: SagaMode, total_cents: number, request_hash: string }

/** An Idempotency-Key is scoped to its customer; `lock` holds the row until the transaction ends. */
export async function orderByKey (tx: Tx, customerId: string, key: string, lock: boolean): Promise<KeyedOrderRow | undefined> {
  const [row] = lock
    ? await tx<KeyedOrderRow[]>`select id, mode, total_cents, request_hash from orders where customer_id = ${customerId} and idempotency_key = ${key} for update`
    : await tx<KeyedOrderRow[]>`select id, mode, total_cents, request_hash from orders where customer_id = ${customerId} and idempotency_key = ${key}`
  return row
}

export interface NewOrderRow {
  id: string
  customerId: string
  items: PricedItem[]
  totalCents: number
  mode: SagaMode
  channel: string
  idempotencyKey: string | null
  requestHash: string
  deadlineAt: Date
}

/**
 * The order and the first line of its history (`first`, the event that announces it), in one
 * statement: the line is written only with the order. False when a concurrent request with the
 * same customer and key committed first (then nothing is written).
 */
export async function insertOrder (tx: Tx, o: NewOrderRow, first: Omit<HistoryEntry, 'orderId' | 'at'>): Promise<boolean> {
  const inserted = await tx`with o as (insert into orders (id, customer_id, items, total_cents, mode, channel, idempotency_key, request_hash, deadline_at)
      values (${o.id}, ${o.customerId}, ${tx.json(o.items.map(i => ({ ...i })))}, ${o.totalCents}, ${o.mode}, ${o.channel}, ${o.idempotencyKey}, ${o.requestHash}, ${o.deadlineAt})
      on conflict (customer_id, idempotency_key) do nothing returning id)
    insert into order_history (order_id, topic, event_id, direction, summary) select id, ${first.topic}, ${first.eventId}, ${first.direction}, ${first.summary} from o returning order_id`
  return inserted.length === 1
}

export interface HistoryEntry {
  orderId: string
  topic: string
  eventId: string
  direction: 'produced' | 'consumed'
  summary: string
  at?: { partition: number, offset: number } | undefined
}

/** Lines of the order's history (GET /orders/:id shows it): what was produced or consumed, where; in one statement, in this order. */
export async function addHistory (tx: Tx, ...entries: HistoryEntry[]): Promise<void> {
  if (entries.length === 0) return
  const rows = entries.map(h => ({ order_id: h.orderId, topic: h.topic, event_id: h.eventId, direction: h.direction, partition: h.at?.partition ?? null, offset: h.at?.offset ?? null, summary: h.summary }))
  await tx`insert into order_history ${tx(rows, 'order_id', 'topic', 'event_id', 'direction', 'partition', 'offset', 'summary')}`
}

export interface LockedOrderRow { id: string, customer_id: string, total_cents: number, status: OrderStatus, mode: SagaMode, created_at: Date }

/** The cause event's first delivery (kit's firstDelivery) and lockOrder, in one statement. */
export async function firstDeliveryLockingOrder (tx: Tx, cause: { eventId: string, topic: string }, id: string): Promise<{ first: boolean, row: LockedOrderRow | undefined }> {
  return await firstDeliveryWith(tx, cause.eventId, cause.topic, tx<LockedOrderRow[]>`select id, customer_id, total_cents, status, mode, created_at from orders where id = ${id} for update`, 'id')
}

/** The order, locked until the transaction ends: two outcomes for one order are applied one after the other. */
export async function lockOrder (tx: Tx, id: string): Promise<LockedOrderRow | undefined> {
  const [row] = await tx<LockedOrderRow[]>`select id, customer_id, total_cents, status, mode, created_at from orders where id = ${id} for update`
  return row
}

// The order ends: a flag about its missing outcome (or checkout-api's own dead letter) is resolved
// in the same statement (the case reads the row's old values); another flag (a participant's dead
// letter) stays for the operator.

export async function markConfirmed (tx: Tx, id: string): Promise<void> {
  await tx`update orders set status = 'confirmed', finished_at = now(),
      attention = case when (attention = 'outcome_missing' or attention_detail like 'checkout-api/%') then null else attention end, attention_detail = case when (attention = 'outcome_missing' or attention_detail like 'checkout-api/%') then null else attention_detail end,
      attention_at = case when (attention = 'outcome_missing' or attention_detail like 'checkout-api/%') then null else attention_at end
    where id = ${id}`
}

export async function markFailed (tx: Tx, id: string, reason: string, detail: string | null): Promise<void> {
  await tx`update orders set status = 'failed', reason = ${reason}, detail = ${detail}, finished_at = now(),
      attention = case when (attention = 'outcome_missing' or attention_detail like 'checkout-api/%') then null else attention end, attention_detail = case when (attention = 'outcome_missing' or attention_detail like 'checkout-api/%') then null else attention_detail end,
      attention_at = case when (attention = 'outcome_missing' or attention_detail like 'checkout-api/%') then null else attention_at end
    where id = ${id}`
}

/** Pending choreographed orders past their deadline, oldest first. */
export async function dueChoreographed (sql: Db, limit: number): Promise<string[]> {
  const rows = await sql<Array<{ id: string }>>`select id from orders where status = 'pending' and mode = 'choreography' and deadline_at < now() order by deadline_at limit ${limit}`
  return rows.map(r => r.id)
}

/** Moves every pending order's deadline `ms` forward (the time the step mode froze the sweepers); returns how many. */
export async function extendDeadlines (sql: Db, ms: number): Promise<number> {
  const rows = await sql`update orders set deadline_at = deadline_at + make_interval(secs => ${ms}::float8 / 1000) where status = 'pending' returning id`
  return rows.length
}

/** Flags orchestrated orders still pending since before `deadlineBefore`; returns their ids. */
export async function flagOutcomeMissing (sql: Db, deadlineBefore: Date): Promise<string[]> {
  const rows = await sql<Array<{ id: string }>>`update orders set attention = 'outcome_missing', attention_at = now(),
      attention_detail = 'orchestrated order still pending past its deadline: the orchestrator''s CONFIRM/FAIL is missing (is it running? see make dlq)'
    where status = 'pending' and mode = 'orchestration' and attention is null and deadline_at < ${deadlineBefore} returning id`
  return rows.map(r => r.id)
}

/** The last orders.dlq offset already looked at, per DLQ partition. */
export async function deadLettersSeen (sql: Db): Promise<Map<number, number>> {
  const rows = await sql<Array<{ dlq_partition: number, at: number }>>`select dlq_partition, max(dlq_offset)::bigint as at from dead_letters_seen group by 1`
  return new Map(rows.map(r => [r.dlq_partition, r.at]))
}

/**
 * Records one DLQ record as seen and, when it is about one of our orders, was not seen before and
 * was not replayed already (an operator who replayed it acted on it; the watcher may read it only
 * after that), flags that order for an operator. True when the order was flagged.
 */
export async function flagDeadLetter (tx: Tx, at: StoredRecord, orderId: string, detail: string): Promise<boolean> {
  const [order] = await tx<Array<{ id: string }>>`select id from orders where id = ${orderId}`
  const seen = await tx`insert into dead_letters_seen (dlq_partition, dlq_offset, order_id) values (${at.partition}, ${at.offset}, ${order ? orderId : ''}) on conflict do nothing returning order_id`
  if (!order || seen.length === 0 || await replayedAlready(tx, at)) return false
  await tx`update orders set attention = 'dead_letter', attention_detail = ${detail}, attention_at = now() where id = ${orderId}`
  return true
}

export async function countNeedingOperator (sql: Db): Promise<number> {
  const [r] = await sql<Array<{ n: number }>>`select count(*)::int as n from orders where attention is not null`
  return r?.n ?? 0
}

export async function countPending (sql: Db, mode: SagaMode): Promise<number> {
  const [r] = await sql<Array<{ n: number }>>`select count(*)::int as n from orders where status = 'pending' and mode = ${mode}`
  return r?.n ?? 0
}

// What the routes show. Rows come back in snake_case; the views are the routes' response schemas.

interface OrderRow {
  id: string
  customer_id: string
  status: OrderStatus
  mode: SagaMode
  channel: string
  reason: string | null
  detail: string | null
  items: PricedItem[]
  total_cents: number
  created_at: Date
  deadline_at: Date
  finished_at: Date | null
  attention: string | null
  attention_detail: string | null
  attention_at: Date | null
}

interface HistoryRow { topic: string, event_id: string, direction: 'produced' | 'consumed', partition: number | null, offset: number | null, summary: string | null, at: Date }

export interface OrderView {
  orderId: string
  customerId: string
  status: OrderStatus
  mode: SagaMode
  channel: string
  reason: string | null
  detail: string | null
  items: PricedItem[]
  totalCents: number
  createdAt: string
  deadlineAt: string
  finishedAt: string | null
  attention: { reason: string, detail: string | null, since: string } | null
  history: Array<{ topic: string, eventId: string, direction: 'produced' | 'consumed', partition: number | null, offset: number | null, summary: string | null, at: string }>
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)

/** One order with its history, or undefined when there is none with this id. */
export async function orderView (sql: Db, id: string): Promise<OrderView | undefined> {
  const [o] = await sql<OrderRow[]>`select id, customer_id, status, mode, channel, reason, detail, items, total_cents, created_at, deadline_at,
      finished_at, attention, attention_detail, attention_at
    from orders where id = ${id}`
  if (!o) return undefined
  const history = await sql<HistoryRow[]>`select topic, event_id, direction, partition, "offset", summary, at from order_history where order_id = ${o.id} order by id`
  return {
    orderId: o.id,
    customerId: o.customer_id,
    status: o.status,
    mode: o.mode,
    channel: o.channel,
    reason: o.reason,
    detail: o.detail,
    items: o.items,
    totalCents: o.total_cents,
    createdAt: o.created_at.toISOString(),
    deadlineAt: o.deadline_at.toISOString(),
    finishedAt: iso(o.finished_at),
    attention: o.attention === null ? null : { reason: o.attention, detail: o.attention_detail, since: iso(o.attention_at) ?? o.created_at.toISOString() },
    history: history.map(h => ({ topic: h.topic, eventId: h.event_id, direction: h.direction, partition: h.partition, offset: h.offset, summary: h.summary, at: h.at.toISOString() }))
  }
}

export interface OrderSummary { orderId: string, status: OrderStatus, mode: SagaMode, reason: string | null, totalCents: number, createdAt: string, finishedAt: string | null }

type SummaryRow = Pick<OrderRow, 'id' | 'status' | 'mode' | 'reason' | 'total_cents' | 'created_at' | 'finished_at'>

/** The newest orders (of one status, when given) and how many there are in each status. */
/** The most recent orders (of one customer only, when `customerId` is given: a customer's token). */
export async function listOrders (sql: Db, status: OrderStatus | undefined, limit: number, customerId?: string): Promise<{ orders: OrderSummary[], counts: Record<string, number> }> {
  const mine = customerId !== undefined ? sql`customer_id = ${customerId}` : sql`true`
  const rows = await sql<SummaryRow[]>`select id, status, mode, reason, total_cents, created_at, finished_at from orders
    where ${mine} ${status ? sql`and status = ${status}` : sql``} order by created_at desc limit ${limit}`
  const counts = await sql<Array<{ status: string, n: number }>>`select status, count(*)::int as n from orders where ${mine} group by status`
  return {
    orders: rows.map(o => ({ orderId: o.id, status: o.status, mode: o.mode, reason: o.reason, totalCents: o.total_cents, createdAt: o.created_at.toISOString(), finishedAt: iso(o.finished_at) })),
    counts: Object.fromEntries(counts.map(c => [c.status, c.n]))
  }
}
