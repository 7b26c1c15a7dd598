import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { HEADERS } from '@vitrine/contracts'
import type { InventoryReply, OrderCreated, PaymentReply } from '@vitrine/contracts'
import { PermanentError, enqueue, eventHeaders, firstDelivery } from '@vitrine/service-kit'
import type { ConsumedRecord, Tx } from '@vitrine/service-kit'
import { decide, isTerminal, start } from './machine.ts'
import type { Clock, CommandName, Decision, Participant, Saga, SagaOrder, SagaState, Step, Timeouts } from './machine.ts'
import { ORCHESTRATION } from './metrics.ts'
import type { OrchestratorMetrics } from './metrics.ts'

// Persistence of the state machine: each decision is applied in one transaction that locks the
// saga row, writes the new state and a history row, and puts the commands in the outbox. A crash
// before the commit leaves the input unprocessed (it is delivered again); after it, the commands are
// published by the relay on restart. Either way a step is taken once.

const SERVICE = 'orchestrator'

export interface SagaRow {
  order_id: string
  state: SagaState
  step: Step | null
  step_deadline_at: Date | null
  order_deadline_at: Date
  order_data: SagaOrder
  compensate: Participant[]
  awaiting: Partial<Record<CommandName, string>>
  outcome: 'confirmed' | 'failed' | null
  failure_reason: string | null
  failure_detail: string | null
  correlation_id: string
  last_event_id: string | null
  resends: number
  attention: string | null
  attention_at: Date | null
  sweep_error: string | null
  created_at: Date
  updated_at: Date
  finished_at: Date | null
}

export function fromRow (r: SagaRow): Saga {
  return {
    orderId: r.order_id,
    state: r.state,
    step: r.step,
    stepDeadlineAt: r.step_deadline_at ? r.step_deadline_at.getTime() : null,
    orderDeadlineAt: r.order_deadline_at.getTime(),
    order: r.order_data,
    compensate: r.compensate,
    awaiting: r.awaiting,
    outcome: r.outcome,
    failureReason: r.failure_reason,
    failureDetail: r.failure_detail,
    resends: r.resends,
    attention: r.attention
  }
}

export interface Orchestrator { app: FastifyInstance, timeouts: Timeouts, metrics: OrchestratorMetrics }

const clock = (): Clock => ({ now: Date.now(), newId: randomUUID })

type Cause = ConsumedRecord | { eventId: string, correlationId: string }

/** Writes a decision that changed something: the new state, a history row and its commands, in the caller's transaction. */
async function apply (tx: Tx, before: SagaState, d: Decision, cause: Cause, lastEventId: string | null): Promise<void> {
  const s = d.saga
  const terminal = isTerminal(s.state)
  await tx`update sagas set state = ${s.state}, step = ${s.step}, step_deadline_at = ${s.stepDeadlineAt === null ? null : new Date(s.stepDeadlineAt)},
      compensate = ${s.compensate}, awaiting = ${tx.json(s.awaiting as never)}, outcome = ${s.outcome}, failure_reason = ${s.failureReason}, failure_detail = ${s.failureDetail},
      last_event_id = coalesce(${lastEventId}, last_event_id), updated_at = now(), finished_at = ${terminal ? new Date() : null},
      resends = ${s.resends}, attention = ${s.attention}, attention_at = ${s.attention === null ? null : tx`coalesce(attention_at, now())`}
    where order_id = ${s.orderId}`
  await tx`insert into saga_transitions (order_id, from_state, to_state, cause, commands)
    values (${s.orderId}, ${before}, ${s.state}, ${d.cause}, ${d.commands.map(c => c.value.command)})`
  await enqueue(tx, d.commands.map(c => ({ topic: c.topic, value: c.value, headers: { ...eventHeaders(SERVICE, c.topic, 'orchestration', cause), ...(c.resend ? { [HEADERS.resend]: String(c.resend) } : {}) } })))
}

function report (o: Orchestrator, before: SagaState, d: Decision, createdAt: Date): void {
  const to = d.saga.state
  if (before !== to) o.metrics.transitions.inc({ from: before, to })
  if (d.timedOut) o.metrics.timeouts.inc({ step: d.timedOut })
  for (const c of d.commands) {
    if (c.resend) o.metrics.resends.inc({ command: c.value.command })
    else if (c.value.command === 'REFUND' || c.value.command === 'RELEASE') o.metrics.compensations.inc({ kind: c.value.command.toLowerCase() })
  }
  if (!isTerminal(before) && isTerminal(to)) {
    o.metrics.finished.inc({ ...ORCHESTRATION, outcome: to })
    o.metrics.duration.observe({ ...ORCHESTRATION, outcome: to }, (Date.now() - createdAt.getTime()) / 1000)
  }
}

async function firstTime (tx: Tx, o: Orchestrator, record: ConsumedRecord, log: Logger): Promise<boolean> {
  const eventId = (record.value as { eventId: string }).eventId
  if (await firstDelivery(tx, eventId, record.topic)) return true
  log.info({ eventId }, 'duplicate delivery ignored')
  o.metrics.ignored.inc({ topic: record.topic, reason: 'duplicate' })
  return false
}

/** orders.new (orchestration mode only): creates the saga and sends CHARGE. */
export async function startSaga (o: Orchestrator, record: ConsumedRecord, log: Logger): Promise<void> {
  const order = record.value as OrderCreated
  if (order.items.length === 0 || order.totalCents <= 0) throw new PermanentError(`order ${order.orderId} has nothing to charge or reserve`)
  const started = await o.app.tx(async tx => {
    if (!(await firstTime(tx, o, record, log))) return undefined
    const d = start(order, o.timeouts, clock())
    const s = d.saga
    const inserted = await tx`insert into sagas (order_id, state, step, step_deadline_at, order_deadline_at, order_data, compensate, awaiting, correlation_id, last_event_id)
      values (${s.orderId}, 'created', null, null, ${new Date(s.orderDeadlineAt)}, ${tx.json(s.order as never)}, '{}', '{}', ${record.headers[HEADERS.correlationId] ?? s.orderId}, ${order.eventId})
      on conflict (order_id) do nothing returning created_at`
    if (inserted.length === 0) {
      // Another orders.new for the same order (a producer retry with a new eventId): the saga runs once.
      log.warn('saga already exists for this order; not starting it again')
      return undefined
    }
    await apply(tx, 'created', d, record, order.eventId)
    return { d, createdAt: inserted[0]!.created_at as Date }
  })
  if (started) {
    o.metrics.started.inc(ORCHESTRATION)
    report(o, 'created', started.d, started.createdAt)
    log.info({ state: started.d.saga.state, sent: started.d.commands.map(c => c.value.command), deadlineAt: new Date(order.deadlineAt).toISOString() }, 'saga started')
  }
}

/** payments.replies / inventory.replies: advances the saga if the reply answers the command in flight. */
export async function onReply (o: Orchestrator, record: ConsumedRecord, log: Logger): Promise<void> {
  const reply = record.value as PaymentReply | InventoryReply
  const result = await o.app.tx(async tx => {
    if (!(await firstTime(tx, o, record, log))) return undefined
    const [row] = await tx<SagaRow[]>`select * from sagas where order_id = ${reply.orderId} for update`
    // Replies only answer our commands, so a saga must exist: without it nothing can be decided. To the DLQ.
    if (!row) throw new PermanentError(`${record.topic} ${reply.command}/${reply.outcome} for unknown saga ${reply.orderId}`)
    const before = fromRow(row)
    const input = record.topic === 'payments.replies'
      ? { kind: 'payment-reply' as const, reply: reply as PaymentReply, causationId: record.headers[HEADERS.causationId] ?? null }
      : { kind: 'inventory-reply' as const, reply: reply as InventoryReply, causationId: record.headers[HEADERS.causationId] ?? null }
    const d = decide(before, input, o.timeouts, clock())
    if (!d.ignored) await apply(tx, before.state, d, record, reply.eventId)
    return { before: before.state, d, createdAt: row.created_at }
  })
  if (!result) return
  const { before, d, createdAt } = result
  if (d.ignored) {
    o.metrics.ignored.inc({ topic: record.topic, reason: d.ignored })
    log.info({ state: before, reply: `${reply.command}/${reply.outcome}`, causationId: record.headers[HEADERS.causationId] }, 'reply to a command no longer awaited ignored')
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
  const due = await o.app.sql`select order_id from sagas where step_deadline_at <= now() order by step_deadline_at limit ${limit}`
  let n = 0
  for (const { order_id: orderId } of due) {
    try {
      const done = await o.app.tx(async tx => {
        const [row] = await tx<SagaRow[]>`select * from sagas where order_id = ${orderId as string} and step_deadline_at <= now() for update skip locked`
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
      const [r] = await o.app.sql`update sagas set sweep_attempts = sweep_attempts + 1, sweep_error = ${error},
          attention = case when sweep_attempts + 1 >= ${SET_ASIDE_AFTER} then ${'deadline sweep failed: ' + error} else attention end,
          attention_at = case when sweep_attempts + 1 >= ${SET_ASIDE_AFTER} then now() else attention_at end,
          step_deadline_at = case when sweep_attempts + 1 >= ${SET_ASIDE_AFTER} then null else step_deadline_at end
        where order_id = ${orderId as string} returning attention`
      log.child({ orderId }).error({ err }, r?.attention ? 'this saga\'s timeout keeps failing; set aside for an operator' : 'this saga\'s timeout failed; trying again')
    }
  }
  return n
}
