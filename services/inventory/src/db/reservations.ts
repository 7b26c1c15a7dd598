import type { Item, SagaMode } from '@vitrine/contracts'
import { firstDeliveryWith } from '@vitrine/service-kit'
import type { Db, Tx } from '@vitrine/service-kit'

// One reservation per order: the state that makes reserve, confirm and release happen at most once.

export type ReservationStatus = 'reserved' | 'committed' | 'released' | 'failed' | 'cancelled'

export interface ReservationRow { order_id: string, customer_id: string, items: Item[], mode: SagaMode, status: ReservationStatus, reason: string | null }

export async function findReservation (sql: Db | Tx, orderId: string): Promise<ReservationRow | undefined> {
  const [row] = await sql<ReservationRow[]>`select order_id, customer_id, items, mode, status, reason from reservations where order_id = ${orderId}`
  return row
}

/** Locks the order's reservation, so a reserve, confirm or release of the same order waits. */
export async function lockReservation (tx: Tx, orderId: string): Promise<ReservationRow | undefined> {
  const [row] = await tx<ReservationRow[]>`select order_id, customer_id, items, mode, status, reason from reservations where order_id = ${orderId} for update`
  return row
}

/** The cause event's first delivery (kit's firstDelivery) and lockReservation, in one statement. */
export async function firstDeliveryLockingReservation (tx: Tx, cause: { eventId: string, topic: string }, orderId: string): Promise<{ first: boolean, row: ReservationRow | undefined }> {
  return await firstDeliveryWith(tx, cause.eventId, cause.topic, tx<ReservationRow[]>`select order_id, customer_id, items, mode, status, reason from reservations where order_id = ${orderId} for update`, 'order_id')
}

export async function insertReservation (tx: Tx, r: { orderId: string, customerId: string, items: Item[], mode: SagaMode, status: ReservationStatus, reason: string | null }): Promise<void> {
  await tx`insert into reservations (order_id, customer_id, items, mode, status, reason)
    values (${r.orderId}, ${r.customerId}, ${tx.json(r.items as never)}, ${r.mode}, ${r.status}, ${r.reason})`
}

export async function setReservationStatus (tx: Tx, orderId: string, status: ReservationStatus, reason?: string): Promise<void> {
  if (reason === undefined) await tx`update reservations set status = ${status}, updated_at = now() where order_id = ${orderId}`
  else await tx`update reservations set status = ${status}, reason = ${reason}, updated_at = now() where order_id = ${orderId}`
}
