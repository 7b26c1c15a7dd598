import { firstDelivery } from './db.ts'
import type { Tx } from './db.ts'
import { enqueue } from './outbox.ts'
import type { OutboxEvent } from './outbox.ts'

/**
 * What one compensation (payment's refund, inventory's release) supplies; `compensate` runs the
 * part they share. `Row` is what the order holds in the service (a charge, a reservation).
 */
export interface CompensationSteps<Row> {
  /** The order's row, locked (`for update`) so a concurrent forward step waits; undefined if there is none. */
  find: (tx: Tx) => Promise<Row | undefined>
  /** No row yet: leave a cancelled marker so the forward step, arriving late, is never applied. */
  markCancelled: (tx: Tx) => Promise<OutboxEvent[]>
  /** Whether the row still holds something to undo (false once undone, or if it never held anything). */
  undoable: (row: Row) => boolean
  undo: (tx: Tx, row: Row) => Promise<OutboxEvent[]>
  /** Nothing (left) to undo: what to say anyway (a re-sent compensation command still gets its reply). */
  settled: (row: Row) => OutboxEvent[]
}

export type CompensationOutcome = 'duplicate' | 'cancelled' | 'undone' | 'settled'

/**
 * The compensation skeleton, inside the caller's transaction: a cause event seen before changes
 * nothing; otherwise the order's row is found and locked, undone at most once, and the events the
 * steps return go to the outbox in the same transaction (all of it commits, or none).
 */
export async function compensate<Row> (tx: Tx, cause: { eventId: string, topic: string }, steps: CompensationSteps<Row>): Promise<CompensationOutcome> {
  if (!(await firstDelivery(tx, cause.eventId, cause.topic))) return 'duplicate'
  const row = await steps.find(tx)
  if (row === undefined) {
    await enqueue(tx, await steps.markCancelled(tx))
    return 'cancelled'
  }
  if (!steps.undoable(row)) {
    await enqueue(tx, steps.settled(row))
    return 'settled'
  }
  await enqueue(tx, await steps.undo(tx, row))
  return 'undone'
}
