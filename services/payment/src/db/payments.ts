import type { Item, SagaMode } from '@vitrine/contracts'
import type { Db, Tx } from '@vitrine/service-kit'

// The payments table: one row per order (its primary key), so an order can never be charged twice.

export type PaymentStatus = 'requested' | 'approved' | 'declined' | 'cancelled' | 'refunded'

export interface PaymentRow {
  order_id: string
  payment_id: string
  customer_id: string
  amount_cents: number
  items: Item[]
  mode: SagaMode
  status: PaymentStatus
  reason: string | null
  /** The event that asked for the charge, and its saga: what the decision's event points back to. */
  cause_event_id: string | null
  correlation_id: string | null
}

export async function findPayment (sql: Db | Tx, orderId: string): Promise<PaymentRow | undefined> {
  const [row] = await sql<PaymentRow[]>`select order_id, payment_id, customer_id, amount_cents, items, mode, status, reason, cause_event_id, correlation_id
    from payments where order_id = ${orderId}`
  return row
}

/** Locks the order's charge, so a charge request, decision or refund of the same order waits. */
export async function lockPayment (tx: Tx, orderId: string): Promise<PaymentRow | undefined> {
  const [row] = await tx<PaymentRow[]>`select order_id, payment_id, customer_id, amount_cents, items, mode, status, reason, cause_event_id, correlation_id
    from payments where order_id = ${orderId} for update`
  return row
}

/** A requested charge, decided at `decideAt`; undefined if the order already has a row. */
export async function insertRequested (tx: Tx, p: { orderId: string, paymentId: string, customerId: string, amountCents: number, items: Item[], mode: SagaMode, decideAt: Date, causeEventId: string, correlationId: string }): Promise<PaymentRow | undefined> {
  const [row] = await tx<PaymentRow[]>`insert into payments (order_id, payment_id, customer_id, amount_cents, items, mode, status, decide_at, cause_event_id, correlation_id)
    values (${p.orderId}, ${p.paymentId}, ${p.customerId}, ${p.amountCents}, ${tx.json(p.items as never)}, ${p.mode}, 'requested', ${p.decideAt}, ${p.causeEventId}, ${p.correlationId})
    on conflict (order_id) do nothing
    returning order_id, payment_id, customer_id, amount_cents, items, mode, status, reason, cause_event_id, correlation_id`
  return row
}

/**
 * The cause event's first delivery (kit's firstDelivery) and insertRequested in one statement: the
 * charge is inserted only on a first delivery. `row` is undefined when the event was seen before or
 * the order already has a row.
 */
export async function firstDeliveryInsertingRequested (tx: Tx, cause: { eventId: string, topic: string }, p: Parameters<typeof insertRequested>[1]): Promise<{ first: boolean, row: PaymentRow | undefined }> {
  const [r] = await tx<Array<PaymentRow & { first_delivery: boolean }>>`with first as (insert into processed_events (event_id, topic) values (${cause.eventId}, ${cause.topic}) on conflict do nothing returning 1),
    charge as (insert into payments (order_id, payment_id, customer_id, amount_cents, items, mode, status, decide_at, cause_event_id, correlation_id)
      select ${p.orderId}::text, ${p.paymentId}::text, ${p.customerId}::text, ${p.amountCents}::bigint, ${tx.json(p.items as never)}::jsonb, ${p.mode}::text, 'requested', ${p.decideAt}::timestamptz, ${p.causeEventId}::text, ${p.correlationId}::text
      where exists (select 1 from first)
      on conflict (order_id) do nothing
      returning order_id, payment_id, customer_id, amount_cents, items, mode, status, reason, cause_event_id, correlation_id)
    select exists (select 1 from first) as first_delivery, charge.* from (values (1)) as one left join charge on true`
  const { first_delivery: first, ...row } = r!
  return { first, row: row.order_id === null ? undefined : row }
}

/** The order was cancelled before any charge: a marker so a charge request arriving later is refused. */
export async function insertCancelled (tx: Tx, p: { orderId: string, paymentId: string, customerId: string, mode: SagaMode, reason: string }): Promise<PaymentRow> {
  const [row] = await tx<PaymentRow[]>`insert into payments (order_id, payment_id, customer_id, amount_cents, mode, status, reason)
    values (${p.orderId}, ${p.paymentId}, ${p.customerId}, 0, ${p.mode}, 'cancelled', ${p.reason})
    returning order_id, payment_id, customer_id, amount_cents, items, mode, status, reason, cause_event_id, correlation_id`
  return row!
}

export async function markApproved (tx: Tx, orderId: string): Promise<void> {
  await tx`update payments set status = 'approved', charged_at = now(), decide_at = null where order_id = ${orderId}`
}

export async function markDeclined (tx: Tx, orderId: string, reason: string | null): Promise<void> {
  await tx`update payments set status = 'declined', reason = ${reason}, decide_at = null where order_id = ${orderId}`
}

/** A pending charge that will never be made. */
export async function markCancelled (tx: Tx, orderId: string, reason: string): Promise<void> {
  await tx`update payments set status = 'cancelled', reason = ${reason}, decide_at = null where order_id = ${orderId}`
}

export async function markRefunded (tx: Tx, orderId: string, reason: string): Promise<void> {
  await tx`update payments set status = 'refunded', reason = ${reason}, refunded_at = now() where order_id = ${orderId}`
}

/** Orders whose simulated card network answer is due, oldest first (set-aside ones left out). */
export async function dueOrderIds (sql: Db, limit: number): Promise<string[]> {
  const rows = await sql<Array<{ order_id: string }>>`select order_id from payments
    where status = 'requested' and decide_at <= now() and set_aside_at is null order by decide_at limit ${limit}`
  return rows.map(r => r.order_id)
}

/** The due charge, locked; undefined if another sweeper holds it or it was decided meanwhile. */
export async function lockDue (tx: Tx, orderId: string): Promise<PaymentRow | undefined> {
  const [row] = await tx<PaymentRow[]>`select order_id, payment_id, customer_id, amount_cents, items, mode, status, reason, cause_event_id, correlation_id
    from payments where order_id = ${orderId} and status = 'requested' and decide_at <= now() and set_aside_at is null for update skip locked`
  return row
}

/** Counts a failed decision; after `setAsideAfter` of them the charge is set aside. True if it now is. */
export async function recordSweepFailure (sql: Db, orderId: string, error: string, setAsideAfter: number): Promise<boolean> {
  const [row] = await sql<Array<{ set_aside_at: Date | null }>>`update payments set sweep_attempts = sweep_attempts + 1, sweep_error = ${error},
      set_aside_at = case when sweep_attempts + 1 >= ${setAsideAfter} then now() end
    where order_id = ${orderId} returning set_aside_at`
  return Boolean(row?.set_aside_at)
}
