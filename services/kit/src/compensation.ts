import type { SagaMode } from '@vitrine/contracts'
import { firstDelivery } from './db.ts'
import type { Tx } from './db.ts'
import type { KitMetrics } from './metrics.ts'
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

/** `vitrine_compensations_total`'s `kind`: payment refunds, inventory releases. */
export type CompensationKind = 'refund' | 'release'

/** Where a compensation runs: the service's transaction and its metrics (a Fastify app with kit's plugins has both). */
export interface CompensationHost {
  tx: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>
  metrics: { kit: Pick<KitMetrics, 'compensations'> }
}

/** The event that asks for the compensation, and the saga mode its handler context carries. */
export interface CompensationCause { eventId: string, topic: string, mode: SagaMode }

/**
 * The compensation skeleton in its own transaction: a cause event seen before changes nothing;
 * otherwise the order's row is found and locked, undone at most once, and the events the steps
 * return go to the outbox in the same transaction (all of it commits, or none). An undo is counted
 * in `vitrine_compensations_total{kind,mode}` once it has committed: a rolled-back one is tried again
 * and counted then; a duplicate, a cancelled marker or nothing left to undo are not counted.
 */
export async function compensate<Row> (host: CompensationHost, kind: CompensationKind, cause: CompensationCause, steps: CompensationSteps<Row>): Promise<CompensationOutcome> {
  const outcome = await host.tx(async tx => await compensateIn(tx, cause, steps))
  if (outcome === 'undone') host.metrics.kit.compensations.inc({ kind, mode: cause.mode })
  return outcome
}

async function compensateIn<Row> (tx: Tx, cause: { eventId: string, topic: string }, steps: CompensationSteps<Row>): Promise<CompensationOutcome> {
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
