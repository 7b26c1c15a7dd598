import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { HEADERS } from '@vitrine/contracts'
import type { OrderCreated } from '@vitrine/contracts'
import { PermanentError, enqueue, eventHeaders } from '@vitrine/service-kit'
import type { ConsumedRecord, EventContext, Logger, Tx } from '@vitrine/service-kit'
import { decide, isTerminal, start } from './machine.ts'
import type { Clock, Decision, Input, SagaState, Timeouts } from './machine.ts'
import { ORCHESTRATION } from './metrics.ts'
import type { OrchestratorMetrics } from './metrics.ts'
import { dueSagas, firstDeliveryInsertingSaga, firstDeliveryLockingSaga, fromRow, lockDueSaga, recordSweepFailure, saveDecision } from './db/sagas.ts'

// Persistence of the state machine: each decision is applied in one transaction that locks the
// saga row, writes the new state and a history row (db/sagas.ts), and puts the commands in the
// outbox. A crash before the commit leaves the input unprocessed (it is delivered again); after it,
// the commands are published by the relay on restart. Either way a step is taken once.

const SERVICE = 'orchestrator'

export interface Orchestrator { app: FastifyInstance, timeouts: Timeouts, metrics: OrchestratorMetrics }

const clock = (): Clock => ({ now: Date.now(), newId: randomUUID })

type Cause = ConsumedRecord | { eventId: string, correlationId: string }

/** Writes a decision that changed something: the new state, a history row and its commands, in the caller's transaction. */
async function apply (tx: Tx, before: SagaState, d: Decision, cause: Cause, lastEventId: string | null): Promise<void> {
  await saveDecision(tx, before, d, lastEventId)
  await enqueue(tx, d.commands.map(c => ({ topic: c.topic, value: c.value, headers: { ...eventHeaders(SERVICE, c.topic, 'orchestration', cause), ...(c.resend ? { [HEADERS.resend]: String(c.resend) } : {}) } })))
}

function report (o: Orchestrator, before: SagaState, d: Decision, createdAt: Date): void {
  const to = d.saga.state
  if (before !== to) o.metrics.transitions.inc({ from: before, to })
  if (d.timedOut) o.metrics.timeouts.inc({ step: d.timedOut })
  for (const c of d.commands) {
    // REFUND and RELEASE sent are not compensations applied: payment and inventory count those (vitrine_compensations_total).
    if (c.resend) o.metrics.resends.inc({ command: c.value.command })
    else o.metrics.commands.inc({ command: c.value.command })
  }
  if (!isTerminal(before) && isTerminal(to)) {
    o.metrics.finished.inc({ ...ORCHESTRATION, outcome: to })
    o.metrics.duration.observe({ ...ORCHESTRATION, outcome: to }, (Date.now() - createdAt.getTime()) / 1000)
  }
}

/** Whether the event is a first delivery (the dedup ran in the caller's statement); a duplicate is logged and counted. */
function firstTime (first: boolean, o: Orchestrator, ctx: EventContext): boolean {
  if (first) return true
  ctx.log.info('duplicate delivery ignored')
  o.metrics.ignored.inc({ topic: ctx.topic, reason: 'duplicate' })
  return false
}

/** orders.new (orchestration mode only): creates the saga and sends CHARGE. */
export async function startSaga (o: Orchestrator, order: OrderCreated, ctx: EventContext<'orders.new'>): Promise<void> {
  const log = ctx.log
  if (order.items.length === 0 || order.totalCents <= 0) throw new PermanentError(`order ${order.orderId} has nothing to charge or reserve`)
  const started = await o.app.tx(async tx => {
    // Held by the instructor's step mode: the order gets back the time it waited (kit's plugins/step.ts).
    const frozen = o.app.step.frozenSince(order.occurredAt)
    const d = start(frozen > 0 ? { ...order, deadlineAt: order.deadlineAt + frozen } : order, o.timeouts, clock())
    // The dedup and the saga's insert in one statement (its last_event_id is this orders.new's eventId).
    const { first, saga: inserted } = await firstDeliveryInsertingSaga(tx, ctx, d.saga, ctx.headers[HEADERS.correlationId] ?? order.orderId)
    if (!firstTime(first, o, ctx)) return undefined
    if (!inserted) {
      // Another orders.new for the same order (a producer retry with a new eventId): the saga runs once.
      log.warn('saga already exists for this order; not starting it again')
      return undefined
    }
    await apply(tx, 'created', d, ctx, order.eventId)
    return { d, createdAt: inserted.createdAt }
  })
  if (started) {
    o.metrics.started.inc(ORCHESTRATION)
    report(o, 'created', started.d, started.createdAt)
    log.info({ state: started.d.saga.state, sent: started.d.commands.map(c => c.value.command), deadlineAt: new Date(order.deadlineAt).toISOString() }, 'saga started')
  }
}

/** A reply as the machine takes it: which participant answered, and the command it answers (its causation-id). */
export type ReplyInput = Exclude<Input, { kind: 'timeout' }>
type ReplyContext = EventContext<'payments.replies'> | EventContext<'inventory.replies'>

/** payments.replies / inventory.replies: advances the saga if the reply answers the command in flight. */
export async function onReply (o: Orchestrator, input: ReplyInput, ctx: ReplyContext): Promise<void> {
  const { reply } = input
  const log = ctx.log
  const result = await o.app.tx(async tx => {
    const { first, row } = await firstDeliveryLockingSaga(tx, ctx, reply.orderId)
    if (!firstTime(first, o, ctx)) return undefined
    // Replies only answer our commands, so a saga must exist: without it nothing can be decided. To the DLQ.
    if (!row) throw new PermanentError(`${ctx.topic} ${reply.command}/${reply.outcome} for unknown saga ${reply.orderId}`)
    const before = fromRow(row)
    const d = decide(before, input, o.timeouts, clock())
    if (!d.ignored) await apply(tx, before.state, d, ctx, reply.eventId)
    return { before: before.state, d, createdAt: row.created_at }
  })
  if (!result) return
  const { before, d, createdAt } = result
  if (d.ignored) {
    o.metrics.ignored.inc({ topic: ctx.topic, reason: d.ignored })
    log.info({ state: before, reply: `${reply.command}/${reply.outcome}`, causationId: input.causationId }, 'reply to a command no longer awaited ignored')
    return
  }
  report(o, before, d, createdAt)
  log.info({ from: before, to: d.saga.state, reply: `${reply.command}/${reply.outcome}`, sent: d.commands.map(c => c.value.command) }, 'saga advanced')
}

/** Tries before a saga whose timeout keeps throwing is set aside for an operator. */
export const SET_ASIDE_AFTER = 3

/**
 * Finds steps past their deadline and lets the machine act. Each saga in its own transaction,
 * locked and skipped when busy (a reply being applied at the same moment wins or loses cleanly,
 * never both); one that throws holds back no other, and after SET_ASIDE_AFTER tries it leaves the
 * sweep (deadline cleared) flagged for an operator with its error.
 */
export async function sweep (o: Orchestrator, log: Logger, limit = 100): Promise<number> {
  let n = 0
  for (const orderId of await dueSagas(o.app.sql, limit)) {
    try {
      const done = await o.app.tx(async tx => {
        const row = await lockDueSaga(tx, orderId)
        if (!row) return undefined
        const before = fromRow(row)
        const d = decide(before, { kind: 'timeout' }, o.timeouts, clock())
        if (d.ignored) return undefined
        await apply(tx, before.state, d, { eventId: row.last_event_id ?? '', correlationId: row.correlation_id }, null)
        return { before: before.state, d, createdAt: row.created_at }
      })
      if (!done) continue
      n++
      const { before, d, createdAt } = done
      report(o, before, d, createdAt)
      log.child({ orderId }).warn({ step: d.timedOut, from: before, to: d.saga.state, reason: d.saga.failureReason, sent: d.commands.map(c => c.value.command), ...(d.saga.attention ? { attention: d.saga.attention } : {}) }, d.saga.attention ? 'step deadline expired; the saga needs an operator' : 'step deadline expired')
    } catch (err) {
      const error = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000)
      const attention = await recordSweepFailure(o.app.sql, orderId, error, SET_ASIDE_AFTER)
      log.child({ orderId }).error({ err }, attention ? 'this saga\'s timeout keeps failing; set aside for an operator' : 'this saga\'s timeout failed; trying again')
    }
  }
  return n
}
