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

/** Records a pending notification; undefined when the order already has one of this kind. */
export async function insertPending (tx: Tx, n: NewNotification): Promise<NotificationRow | undefined> {
  const [row] = await tx<NotificationRow[]>`insert into notifications (order_id, kind, customer_id, channels, event_id, detail, mode, correlation_id, sent_at)
    values (${n.orderId}, ${n.kind}, ${n.customerId}, ${n.channels}, ${n.eventId}, ${n.detail}, ${n.mode}, ${n.correlationId}, null)
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
