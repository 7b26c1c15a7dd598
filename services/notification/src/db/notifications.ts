import type { NotificationSent, SagaMode } from '@vitrine/contracts'
import type { Db, Tx } from '@vitrine/service-kit'

export type Kind = NotificationSent['kind']

/** A row of `notifications`: one per order and kind; `sent_at` null while it waits for its channels. */
export interface NotificationRow {
  order_id: string
  kind: Kind
  customer_id: string
  channels: string[]
  event_id: string | null
  detail: string | null
  mode: string | null
  correlation_id: string | null
}

const COLUMNS = ['order_id', 'kind', 'customer_id', 'channels', 'event_id', 'detail', 'mode', 'correlation_id'] as const

export interface NewNotification {
  orderId: string
  kind: Kind
  customerId: string
  channels: string[]
  eventId: string
  detail: string | null
  mode: SagaMode
  correlationId: string
}

/**
 * Records a pending notification on the cause event's first delivery (kit's firstDelivery), in one
 * statement; undefined when the event was seen before or the order already has one of this kind.
 */
export async function insertPending (tx: Tx, cause: { eventId: string, topic: string }, n: NewNotification): Promise<NotificationRow | undefined> {
  const [row] = await tx<NotificationRow[]>`with first as (insert into processed_events (event_id, topic) values (${cause.eventId}, ${cause.topic}) on conflict do nothing returning 1)
    insert into notifications (order_id, kind, customer_id, channels, event_id, detail, mode, correlation_id, sent_at)
    select ${n.orderId}::text, ${n.kind}::text, ${n.customerId}::text, ${n.channels}::text[], ${n.eventId}::text, ${n.detail}::text, ${n.mode}::text, ${n.correlationId}::text, null
    where exists (select 1 from first)
    on conflict do nothing returning ${tx(COLUMNS)}`
  return row
}

/** Marks a pending notification sent; false when it was already (another instance, or the sweeper, got there first). */
export async function markSent (tx: Tx, orderId: string, kind: Kind): Promise<boolean> {
  const marked = await tx`update notifications set sent_at = now() where order_id = ${orderId} and kind = ${kind} and sent_at is null returning order_id`
  return marked.length > 0
}

/** Pending notifications recorded before `before`, oldest first. */
export async function pendingBefore (sql: Db, before: Date, limit = 100): Promise<NotificationRow[]> {
  return await sql<NotificationRow[]>`select ${sql(COLUMNS)} from notifications
    where sent_at is null and created_at < ${before} order by created_at limit ${limit}`
}
