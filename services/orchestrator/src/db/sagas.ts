import { firstDeliveryWith } from '@vitrine/service-kit'
import type { Db, Tx } from '@vitrine/service-kit'
import { SAGA_STATES, TERMINAL_STATES, isTerminal } from '../machine.ts'
import type { CommandName, Decision, Participant, Saga, SagaOrder, SagaState, Step } from '../machine.ts'

// The sagas aggregate: one row per orchestrated order and its transitions. All of the
// orchestrator's SQL is here, with typed rows; machine.ts decides, sagas.ts applies through these.

const COLUMNS = ['order_id', 'state', 'step', 'step_deadline_at', 'order_deadline_at', 'order_data', 'compensate', 'awaiting', 'outcome',
  'failure_reason', 'failure_detail', 'correlation_id', 'last_event_id', 'resends', 'attention', 'attention_at', 'created_at', 'updated_at', 'finished_at'] as const

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

/**
 * The cause event's first delivery (kit's firstDelivery) and a new saga in `created` (the decision
 * applied next moves it on), in one statement: the saga is inserted only on a first delivery.
 * `saga` is undefined when the event was seen before or a saga exists for the order already.
 */
export async function firstDeliveryInsertingSaga (tx: Tx, cause: { eventId: string, topic: string }, s: Saga, correlationId: string): Promise<{ first: boolean, saga: { createdAt: Date } | undefined }> {
  const [row] = await tx<Array<{ first_delivery: boolean, created_at: Date | null }>>`with first as (insert into processed_events (event_id, topic) values (${cause.eventId}, ${cause.topic}) on conflict do nothing returning 1),
    saga as (insert into sagas (order_id, state, step, step_deadline_at, order_deadline_at, order_data, compensate, awaiting, correlation_id, last_event_id)
      select ${s.orderId}::text, 'created', null, null, ${new Date(s.orderDeadlineAt)}::timestamptz, ${tx.json({ customerId: s.order.customerId, totalCents: s.order.totalCents, items: s.order.items.map(i => ({ productId: i.productId, quantity: i.quantity })) })}::jsonb, '{}', '{}', ${correlationId}::text, ${cause.eventId}::text
      where exists (select 1 from first)
      on conflict (order_id) do nothing returning created_at)
    select exists (select 1 from first) as first_delivery, saga.created_at from (values (1)) as one left join saga on true`
  return { first: row!.first_delivery, saga: row!.created_at ? { createdAt: row!.created_at } : undefined }
}

/** The cause event's first delivery (kit's firstDelivery) and lockSaga, in one statement. */
export async function firstDeliveryLockingSaga (tx: Tx, cause: { eventId: string, topic: string }, orderId: string): Promise<{ first: boolean, row: SagaRow | undefined }> {
  return await firstDeliveryWith(tx, cause.eventId, cause.topic, tx<SagaRow[]>`select ${tx(COLUMNS)} from sagas where order_id = ${orderId} for update`, 'order_id')
}

/** The saga of an order, locked until the transaction ends. */
export async function lockSaga (tx: Tx, orderId: string): Promise<SagaRow | undefined> {
  const [row] = await tx<SagaRow[]>`select ${tx(COLUMNS)} from sagas where order_id = ${orderId} for update`
  return row
}

/** The saga if its step is still due, locked; undefined when it is not due any more or a reply holds it now. */
export async function lockDueSaga (tx: Tx, orderId: string): Promise<SagaRow | undefined> {
  const [row] = await tx<SagaRow[]>`select ${tx(COLUMNS)} from sagas where order_id = ${orderId} and step_deadline_at <= now() for update skip locked`
  return row
}

/** Moves every running saga's step and order deadlines `ms` forward (the time the step mode froze the sweeper); returns how many. */
export async function extendDeadlines (sql: Db, ms: number): Promise<number> {
  const rows = await sql`update sagas set step_deadline_at = step_deadline_at + make_interval(secs => ${ms}::float8 / 1000),
      order_deadline_at = order_deadline_at + make_interval(secs => ${ms}::float8 / 1000)
    where finished_at is null returning order_id`
  return rows.length
}

/** Orders whose saga step is past its deadline, the oldest first. */
export async function dueSagas (sql: Db, limit: number): Promise<string[]> {
  const rows = await sql<Array<{ order_id: string }>>`select order_id from sagas where step_deadline_at <= now() order by step_deadline_at limit ${limit}`
  return rows.map(r => r.order_id)
}

/** Writes a decision that changed something: the new state and a transition row, in one statement (its commands go to the outbox beside it). */
export async function saveDecision (tx: Tx, before: SagaState, d: Decision, lastEventId: string | null): Promise<void> {
  const s = d.saga
  await tx`with saga as (update sagas set state = ${s.state}, step = ${s.step}, step_deadline_at = ${s.stepDeadlineAt === null ? null : new Date(s.stepDeadlineAt)},
      compensate = ${s.compensate}, awaiting = ${tx.json({ ...s.awaiting })}, outcome = ${s.outcome}, failure_reason = ${s.failureReason}, failure_detail = ${s.failureDetail},
      last_event_id = coalesce(${lastEventId}, last_event_id), updated_at = now(), finished_at = ${isTerminal(s.state) ? new Date() : null},
      resends = ${s.resends}, attention = ${s.attention}, attention_at = ${s.attention === null ? null : tx`coalesce(attention_at, now())`}
    where order_id = ${s.orderId} returning order_id)
    insert into saga_transitions (order_id, from_state, to_state, cause, commands)
    select order_id, ${before}, ${s.state}, ${d.cause}, ${d.commands.map(c => c.value.command)}::text[] from saga`
}

/**
 * Counts a failed timeout; after `setAsideAfter` of them the saga leaves the sweep (deadline cleared)
 * flagged for an operator with the error. Returns the flag, null while it is still retried.
 */
export async function recordSweepFailure (sql: Db, orderId: string, error: string, setAsideAfter: number): Promise<string | null> {
  const [r] = await sql<Array<{ attention: string | null }>>`update sagas set sweep_attempts = sweep_attempts + 1, sweep_error = ${error},
      attention = case when sweep_attempts + 1 >= ${setAsideAfter} then ${'deadline sweep failed: ' + error} else attention end,
      attention_at = case when sweep_attempts + 1 >= ${setAsideAfter} then now() else attention_at end,
      step_deadline_at = case when sweep_attempts + 1 >= ${setAsideAfter} then null else step_deadline_at end
    where order_id = ${orderId} returning attention`
  return r?.attention ?? null
}

/** How many sagas are in each state (every state present, 0 when none). */
export async function countByState (sql: Db): Promise<Record<SagaState, number>> {
  const rows = await sql<Array<{ state: SagaState, n: number }>>`select state, count(*)::int as n from sagas group by state`
  const counts = Object.fromEntries(SAGA_STATES.map(s => [s, 0])) as Record<SagaState, number>
  for (const r of rows) counts[r.state] = r.n
  return counts
}

export async function countInFlight (sql: Db): Promise<number> {
  const [r] = await sql<Array<{ n: number }>>`select count(*)::int as n from sagas where state <> all(${[...TERMINAL_STATES]})`
  return r?.n ?? 0
}

export async function countNeedingOperator (sql: Db): Promise<number> {
  const [r] = await sql<Array<{ n: number }>>`select count(*)::int as n from sagas where attention is not null`
  return r?.n ?? 0
}

// What the routes show. Rows come back in snake_case; the views are the routes' response schemas.

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null)

interface TransitionRow { from_state: SagaState | null, to_state: SagaState, cause: string, commands: string[], at: Date }

export interface SagaView {
  orderId: string
  state: SagaState
  step: Step | null
  stepDeadlineAt: string | null
  orderDeadlineAt: string
  compensate: Participant[]
  awaiting: Array<{ command: CommandName, eventId: string }>
  outcome: 'confirmed' | 'failed' | null
  failureReason: string | null
  failureDetail: string | null
  resends: number
  attention: { reason: string, since: string } | null
  order: SagaOrder
  createdAt: string
  updatedAt: string
  finishedAt: string | null
  transitions: Array<{ from: SagaState | null, to: SagaState, cause: string, commands: string[], at: string }>
}

/** One saga with its transitions, or undefined when the order has none. */
export async function sagaView (sql: Db, orderId: string): Promise<SagaView | undefined> {
  const [s] = await sql<SagaRow[]>`select ${sql(COLUMNS)} from sagas where order_id = ${orderId}`
  if (!s) return undefined
  const transitions = await sql<TransitionRow[]>`select from_state, to_state, cause, commands, at from saga_transitions where order_id = ${s.order_id} order by id`
  return {
    orderId: s.order_id,
    state: s.state,
    step: s.step,
    stepDeadlineAt: iso(s.step_deadline_at),
    orderDeadlineAt: s.order_deadline_at.toISOString(),
    compensate: s.compensate,
    awaiting: (Object.entries(s.awaiting) as Array<[CommandName, string]>).map(([command, eventId]) => ({ command, eventId })),
    outcome: s.outcome,
    failureReason: s.failure_reason,
    failureDetail: s.failure_detail,
    resends: s.resends,
    attention: s.attention === null ? null : { reason: s.attention, since: iso(s.attention_at) ?? s.updated_at.toISOString() },
    order: s.order_data,
    createdAt: s.created_at.toISOString(),
    updatedAt: s.updated_at.toISOString(),
    finishedAt: iso(s.finished_at),
    transitions: transitions.map(t => ({ from: t.from_state, to: t.to_state, cause: t.cause, commands: t.commands, at: t.at.toISOString() }))
  }
}

export interface SagaSummary { orderId: string, state: SagaState, step: Step | null, outcome: 'confirmed' | 'failed' | null, failureReason: string | null, attention: string | null, createdAt: string, finishedAt: string | null }

type SummaryRow = Pick<SagaRow, 'order_id' | 'state' | 'step' | 'outcome' | 'failure_reason' | 'attention' | 'created_at' | 'finished_at'>

/** The newest sagas (in one state, when given) and how many there are in each state. */
export async function listSagas (sql: Db, state: SagaState | undefined, limit: number): Promise<{ sagas: SagaSummary[], counts: Record<string, number> }> {
  const rows = state
    ? await sql<SummaryRow[]>`select order_id, state, step, outcome, failure_reason, attention, created_at, finished_at from sagas where state = ${state} order by created_at desc limit ${limit}`
    : await sql<SummaryRow[]>`select order_id, state, step, outcome, failure_reason, attention, created_at, finished_at from sagas order by created_at desc limit ${limit}`
  const counts = await sql<Array<{ state: string, n: number }>>`select state, count(*)::int as n from sagas group by state`
  return {
    sagas: rows.map(s => ({ orderId: s.order_id, state: s.state, step: s.step, outcome: s.outcome, failureReason: s.failure_reason, attention: s.attention, createdAt: s.created_at.toISOString(), finishedAt: iso(s.finished_at) })),
    counts: Object.fromEntries(counts.map(c => [c.state, c.n]))
  }
}
