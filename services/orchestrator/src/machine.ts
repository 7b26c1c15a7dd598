import type { InventoryCommand, InventoryReply, Item, OrderCommand, OrderCreated, PaymentCommand, PaymentReply } from '@vitrine/contracts'
import { PermanentError } from '@vitrine/service-kit'

// The orchestrated saga as a pure state machine: (saga, input) → (next saga, commands to send).
// No I/O here, so every transition is unit-tested; sagas.ts persists the result and puts the
// commands in the outbox in the same transaction.

export const SAGA_STATES = ['created', 'payment_pending', 'payment_approved', 'inventory_reserved', 'completed', 'failed', 'compensating_payment', 'compensating_inventory'] as const
export type SagaState = typeof SAGA_STATES[number]
export const TERMINAL_STATES: readonly SagaState[] = ['completed', 'failed']

export type Participant = 'payment' | 'inventory'
export type CommandName = 'CHARGE' | 'REFUND' | 'RESERVE' | 'RELEASE' | 'COMMIT'
export type Step = 'payment' | 'inventory' | 'commit' | 'compensation'

export interface SagaOrder { customerId: string, items: Item[], totalCents: number }

export interface Saga {
  orderId: string
  state: SagaState
  /** The step whose answer is awaited; its deadline, when it has one (epoch ms). */
  step: Step | null
  stepDeadlineAt: number | null
  /** The order's own deadline (from orders.new): no step may wait past it. */
  orderDeadlineAt: number
  order: SagaOrder
  /** Participants whose effect may exist and must be undone if the saga fails. */
  compensate: Participant[]
  /** Commands sent and not answered yet, with their eventId (a reply names it as its causation-id). */
  awaiting: Partial<Record<CommandName, string>>
  /** What checkout-api was told (CONFIRM or FAIL); null while the order is open. */
  outcome: 'confirmed' | 'failed' | null
  failureReason: string | null
  failureDetail: string | null
  /** Re-sends of the current step's commands so far (bounded by Timeouts.maxResends). */
  resends: number
  /** Why an operator is needed (the step could not finish by itself); null while the saga copes alone. */
  attention: string | null
}

/** `resend`: the nth re-send of an unanswered command (a new eventId for the same step). */
export type Command =
  | { topic: 'payments.commands', value: PaymentCommand, resend?: number }
  | { topic: 'inventory.commands', value: InventoryCommand, resend?: number }
  | { topic: 'orders.commands', value: OrderCommand, resend?: number }

export type Input =
  | { kind: 'payment-reply', reply: PaymentReply, causationId: string | null }
  | { kind: 'inventory-reply', reply: InventoryReply, causationId: string | null }
  | { kind: 'timeout' }

export interface Decision {
  saga: Saga
  commands: Command[]
  /** Set when nothing changed: a reply to a command no longer awaited (late, repeated, out of order) or a timeout not due. */
  ignored?: 'late' | 'not_due'
  /** The step whose deadline expired, when this decision is a timeout. */
  timedOut?: Step
  /** What caused the decision, for the saga's history. */
  cause: string
}

/**
 * Step deadlines. `resendMs`/`maxResends`: a step that cannot be given up (COMMIT after the sale, a
 * compensation) re-sends its unanswered commands every resendMs, at most maxResends times, then
 * waits for an operator.
 */
export interface Timeouts { paymentMs: number, inventoryMs: number, compensationMs: number, resendMs: number, maxResends: number }
export interface Clock { now: number, newId: () => string }

/** A reply that cannot answer the command it names (CHARGE → RELEASED ...): a broken participant; it goes to the DLQ. */
export class UnexpectedReply extends PermanentError {
  override code = 'SHOP_ERR_UNEXPECTED_REPLY'
}

const OUTCOMES: Record<CommandName, readonly string[]> = {
  CHARGE: ['APPROVED', 'DECLINED'],
  REFUND: ['REFUNDED', 'NOTHING_TO_REFUND'],
  RESERVE: ['RESERVED', 'FAILED'],
  RELEASE: ['RELEASED', 'NOTHING_TO_RELEASE'],
  COMMIT: ['COMMITTED']
}
const PAYMENT_COMMANDS: readonly string[] = ['CHARGE', 'REFUND']
const INVENTORY_COMMANDS: readonly string[] = ['RESERVE', 'RELEASE', 'COMMIT']

export const isTerminal = (state: SagaState): boolean => TERMINAL_STATES.includes(state)

function clone (s: Saga): Saga {
  return { ...s, order: s.order, compensate: [...s.compensate], awaiting: { ...s.awaiting } }
}

// No step waits past the order's deadline: the customer was promised an answer by then.
const deadline = (now: number, ms: number, orderDeadlineAt: number): number => Math.min(now + ms, orderDeadlineAt)

function paymentCommand (s: Saga, command: PaymentCommand['command'], reason: string | null, c: Clock): Command {
  return { topic: 'payments.commands', value: { eventId: c.newId(), orderId: s.orderId, command, customerId: s.order.customerId, amountCents: s.order.totalCents, items: s.order.items, reason, occurredAt: c.now } }
}

function inventoryCommand (s: Saga, command: InventoryCommand['command'], reason: string | null, c: Clock): Command {
  return { topic: 'inventory.commands', value: { eventId: c.newId(), orderId: s.orderId, command, customerId: s.order.customerId, items: s.order.items, reason, occurredAt: c.now } }
}

function orderCommand (s: Saga, command: OrderCommand['command'], c: Clock): Command {
  return { topic: 'orders.commands', value: { eventId: c.newId(), orderId: s.orderId, command, reason: command === 'FAIL' ? s.failureReason ?? 'saga_failed' : null, detail: command === 'FAIL' ? s.failureDetail : null, occurredAt: c.now } }
}

/** Sends a command and remembers that its answer is awaited. */
function send (next: Saga, out: Command[], cmd: Command): void {
  out.push(cmd)
  next.awaiting[cmd.value.command as CommandName] = cmd.value.eventId
}

/** Tells checkout-api the order failed, once. */
function failOrder (next: Saga, out: Command[], c: Clock): void {
  if (next.outcome !== null) return
  out.push(orderCommand(next, 'FAIL', c))
  next.outcome = 'failed'
}

function finishFailed (next: Saga, out: Command[], c: Clock): void {
  failOrder(next, out, c)
  Object.assign(next, { state: 'failed', step: null, stepDeadlineAt: null, compensate: [] })
}

/** Sends again, with new eventIds, the commands of the current step still unanswered. */
function resend (s: Saga, next: Saga, out: Command[], commands: CommandName[], c: Clock): void {
  next.resends = s.resends + 1
  for (const name of commands) {
    const cmd = name === 'REFUND' ? paymentCommand(next, 'REFUND', next.failureReason, c) : inventoryCommand(next, name as 'RELEASE' | 'COMMIT', name === 'RELEASE' ? next.failureReason : null, c)
    send(next, out, { ...cmd, resend: next.resends })
  }
}

/** A step that must finish, unanswered: re-send (bounded), then flag it for an operator. */
function retryOrFlag (s: Saga, next: Saga, out: Command[], commands: CommandName[], t: Timeouts, c: Clock): void {
  if (s.resends < t.maxResends) {
    resend(s, next, out, commands, c)
    next.stepDeadlineAt = c.now + t.resendMs
    return
  }
  next.attention = `${commands.join(' and ')} unanswered after ${s.resends} re-send(s): check the participant and the DLQ (make dlq)`
  next.stepDeadlineAt = null
}

function compensatingState (next: Saga): SagaState {
  return next.awaiting.RELEASE !== undefined ? 'compensating_inventory' : 'compensating_payment'
}

/**
 * Undoes what may have been done, all compensations at once (they are independent; waiting for one
 * before the next would keep the customer's money while inventory is down). The order is failed when
 * every compensation is confirmed, or when the compensation deadline passes, whichever comes first.
 */
function startCompensation (next: Saga, out: Command[], t: Timeouts, c: Clock): void {
  if (next.compensate.includes('inventory')) send(next, out, inventoryCommand(next, 'RELEASE', next.failureReason, c))
  if (next.compensate.includes('payment')) send(next, out, paymentCommand(next, 'REFUND', next.failureReason, c))
  if (next.awaiting.RELEASE === undefined && next.awaiting.REFUND === undefined) {
    finishFailed(next, out, c)
    return
  }
  next.state = compensatingState(next)
  next.step = 'compensation'
  next.resends = 0
  next.stepDeadlineAt = deadline(c.now, t.compensationMs, next.orderDeadlineAt)
  // The order's deadline has passed already: answer the customer now, compensate in the background
  // (still with a deadline: unanswered, the compensation is re-sent).
  if (next.stepDeadlineAt <= c.now) {
    failOrder(next, out, c)
    next.stepDeadlineAt = c.now + t.resendMs
  }
}

/** orders.new in orchestration mode: the saga is created and its first step, CHARGE, sent. */
export function start (order: OrderCreated, t: Timeouts, c: Clock): Decision {
  const next: Saga = {
    orderId: order.orderId,
    state: 'payment_pending',
    step: 'payment',
    stepDeadlineAt: deadline(c.now, t.paymentMs, order.deadlineAt),
    orderDeadlineAt: order.deadlineAt,
    order: { customerId: order.customerId, items: order.items.map(i => ({ productId: i.productId, quantity: i.quantity })), totalCents: order.totalCents },
    compensate: ['payment'],
    awaiting: {},
    outcome: null,
    failureReason: null,
    failureDetail: null,
    resends: 0,
    attention: null
  }
  const out: Command[] = []
  if (c.now >= order.deadlineAt) {
    // Read after its deadline (the orchestrator was down): nothing was done, so nothing is charged to be refunded.
    Object.assign(next, { compensate: [], failureReason: 'deadline_exceeded', failureDetail: 'o pedido não terminou dentro do prazo' })
    finishFailed(next, out, c)
    return { saga: next, commands: out, cause: 'orders.new' }
  }
  send(next, out, paymentCommand(next, 'CHARGE', null, c))
  return { saga: next, commands: out, cause: 'orders.new' }
}

export function decide (s: Saga, input: Input, t: Timeouts, c: Clock): Decision {
  if (input.kind === 'timeout') return onTimeout(s, t, c)
  const r = input.reply
  const command = r.command as CommandName
  const cause = `${input.kind === 'payment-reply' ? 'payments.replies' : 'inventory.replies'} ${r.command}/${r.outcome}`
  const allowed = input.kind === 'payment-reply' ? PAYMENT_COMMANDS : INVENTORY_COMMANDS
  if (!allowed.includes(r.command) || !OUTCOMES[command].includes(r.outcome)) {
    throw new UnexpectedReply(`${cause} is not a valid answer`)
  }
  const awaited = s.awaiting[command]
  // Only the answer to the command in flight counts: anything else arrived late, twice or out of order.
  if (isTerminal(s.state) || awaited === undefined || (input.causationId !== null && input.causationId !== awaited)) {
    return { saga: s, commands: [], ignored: 'late', cause }
  }
  const next = clone(s)
  const out: Command[] = []
  delete next.awaiting[command]
  // An answer came: whatever an operator was asked to look at has moved on.
  next.attention = null
  switch (command) {
    case 'CHARGE':
      if (r.outcome === 'APPROVED') {
        next.compensate = ['payment', 'inventory']
        send(next, out, inventoryCommand(next, 'RESERVE', null, c))
        Object.assign(next, { state: 'payment_approved', step: 'inventory', stepDeadlineAt: deadline(c.now, t.inventoryMs, next.orderDeadlineAt) })
      } else {
        // Declined: nothing was charged, nothing to undo.
        next.compensate = []
        next.failureReason = 'payment_failed'
        next.failureDetail = r.reason
        finishFailed(next, out, c)
      }
      break
    case 'RESERVE':
      if (r.outcome === 'RESERVED') {
        // Past the point of no return: the sale is committed and the order confirmed together. COMMIT
        // still has a deadline (not capped by the order's: the customer has the answer): unanswered, it is re-sent.
        send(next, out, inventoryCommand(next, 'COMMIT', null, c))
        out.push(orderCommand(next, 'CONFIRM', c))
        Object.assign(next, { outcome: 'confirmed', compensate: [], state: 'inventory_reserved', step: 'commit', stepDeadlineAt: c.now + t.inventoryMs, resends: 0 })
      } else {
        const ir = r as InventoryReply
        next.compensate = next.compensate.filter(p => p !== 'inventory')
        next.failureReason = 'inventory_failed'
        next.failureDetail = ir.productId ? `${ir.reason ?? 'failed'}: ${ir.productId}` : ir.reason
        startCompensation(next, out, t, c)
      }
      break
    case 'COMMIT':
      Object.assign(next, { state: 'completed', step: null, stepDeadlineAt: null })
      break
    case 'REFUND':
    case 'RELEASE': {
      const participant: Participant = command === 'REFUND' ? 'payment' : 'inventory'
      next.compensate = next.compensate.filter(p => p !== participant)
      if (next.awaiting.REFUND === undefined && next.awaiting.RELEASE === undefined) {
        finishFailed(next, out, c)
      } else {
        next.state = compensatingState(next)
        // The other compensation was left to an operator (no deadline): it gets one again.
        if (next.stepDeadlineAt === null) next.stepDeadlineAt = c.now + t.resendMs
      }
      break
    }
  }
  return { saga: next, commands: out, cause }
}

function onTimeout (s: Saga, t: Timeouts, c: Clock): Decision {
  const step = s.step
  if (isTerminal(s.state) || s.stepDeadlineAt === null || step === null || c.now < s.stepDeadlineAt) {
    return { saga: s, commands: [], ignored: 'not_due', cause: 'timeout' }
  }
  const next = clone(s)
  const out: Command[] = []
  const cause = `timeout ${step}`
  const orderDeadline = s.stepDeadlineAt >= s.orderDeadlineAt
  switch (s.state) {
    case 'payment_pending':
      // The charge may still happen (payment is slow or down): REFUND cancels a pending charge or returns a made one.
      delete next.awaiting.CHARGE
      next.failureReason = orderDeadline ? 'deadline_exceeded' : 'payment_timeout'
      next.failureDetail = orderDeadline ? 'o pedido não terminou dentro do prazo' : `o pagamento não respondeu em ${t.paymentMs} ms`
      startCompensation(next, out, t, c)
      break
    case 'payment_approved':
      delete next.awaiting.RESERVE
      next.failureReason = orderDeadline ? 'deadline_exceeded' : 'inventory_timeout'
      next.failureDetail = orderDeadline ? 'o pedido não terminou dentro do prazo' : `o estoque não respondeu em ${t.inventoryMs} ms`
      startCompensation(next, out, t, c)
      break
    case 'compensating_payment':
    case 'compensating_inventory': {
      const awaited = (['RELEASE', 'REFUND'] as const).filter(k => next.awaiting[k] !== undefined)
      if (next.outcome === null) {
        // A participant is slow or down: answer the customer first; the compensation most likely waits in Kafka.
        failOrder(next, out, c)
        next.stepDeadlineAt = c.now + t.resendMs
      } else {
        // Still unanswered (lost, dead-lettered): send it again, or ask an operator.
        retryOrFlag(s, next, out, awaited, t, c)
      }
      break
    }
    case 'inventory_reserved':
      retryOrFlag(s, next, out, ['COMMIT'], t, c)
      break
    default:
      next.stepDeadlineAt = null
  }
  return { saga: next, commands: out, cause, timedOut: step }
}
