import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { HEADERS } from '@vitrine/contracts'
import type { Item, PaymentReply, SagaMode } from '@vitrine/contracts'
import { compensate, enqueue, eventHeaders } from '@vitrine/service-kit'
import type { ConsumedRecord, EventContext, Logger, OutboxEvent, Tx } from '@vitrine/service-kit'
import type { PaymentConfigType } from './config.ts'
import { dueOrderIds, findPayment, insertCancelled, firstDeliveryInsertingRequested, lockDue, lockPayment, markApproved, markCancelled, markDeclined, markRefunded, recordSweepFailure } from './db/payments.ts'
import type { PaymentRow } from './db/payments.ts'

// The business rules of payment, shared by both saga modes: at most one charge per order, a
// refund only of a real charge and only once, a cancelled order never charged afterwards.
// Choreography announces results as events; orchestration answers the orchestrator's command.

const SERVICE = 'payment'

/**
 * Teacher triggers, by customer id (documented in services/payment/README.md), obeyed only with
 * TEACHING_MODE on (`teaching`): otherwise an ordinary customer, who could name themselves `pay-ok`, gets the random rule.
 * `fail-payment` is always declined, `pay-ok` always approved, `slow-payment` answers after
 * PAYMENT_SLOW_MS (past the order deadline, so the deadline compensation shows), `retry-payment`
 * fails as a transient error until it comes back from the first retry topic, then is approved.
 */
export function decideOutcome (customerId: string, failureRate: number, random = Math.random, teaching = false): { approved: boolean, reason: string | null } {
  if (!teaching) return random() < failureRate ? { approved: false, reason: 'declined_by_issuer' } : { approved: true, reason: null }
  if (customerId.includes('fail-payment')) return { approved: false, reason: 'forced_by_trigger' }
  if (customerId.includes('pay-ok') || customerId.includes('retry-payment')) return { approved: true, reason: null }
  return random() < failureRate ? { approved: false, reason: 'declined_by_issuer' } : { approved: true, reason: null }
}

export function delayFor (customerId: string, c: Pick<PaymentConfigType, 'PAYMENT_DELAY_MIN_MS' | 'PAYMENT_DELAY_MAX_MS' | 'PAYMENT_SLOW_MS' | 'TEACHING_MODE'>, random = Math.random): number {
  if (c.TEACHING_MODE && customerId.includes('slow-payment')) return c.PAYMENT_SLOW_MS
  const lo = Math.min(c.PAYMENT_DELAY_MIN_MS, c.PAYMENT_DELAY_MAX_MS)
  const hi = Math.max(c.PAYMENT_DELAY_MIN_MS, c.PAYMENT_DELAY_MAX_MS)
  return Math.round(lo + random() * (hi - lo))
}

function reply (row: Pick<PaymentRow, 'order_id' | 'payment_id'>, command: PaymentReply['command'], outcome: PaymentReply['outcome'], reason: string | null, cause: ConsumedRecord | { eventId: string, correlationId: string }): OutboxEvent<'payments.replies'> {
  return {
    topic: 'payments.replies',
    value: { eventId: randomUUID(), orderId: row.order_id, command, outcome, paymentId: row.payment_id, reason, occurredAt: Date.now() },
    headers: eventHeaders(SERVICE, 'payments.replies', 'orchestration', cause)
  }
}

/**
 * The `retry-payment` trigger: a charge request read for the first time (attempt 0) fails as if the
 * card issuer did not answer. The error is retryable, so the consumer engine tries it again in
 * process, then parks it on the first retry topic; read from there (attempt 1) it goes through.
 * The class sees the retry ladder carry a real order, and the order still ends confirmed.
 */
export class IssuerTimeoutError extends Error {
  readonly retryable = true
  constructor (orderId: string) {
    super(`card issuer did not answer for order ${orderId} (trigger retry-payment: fails until its first retry)`)
    this.name = 'IssuerTimeoutError'
  }
}

export function failsTransiently (customerId: string, attempt: number, teaching = false): boolean {
  return teaching && customerId.includes('retry-payment') && attempt < 1
}

export interface ChargeRequest { orderId: string, customerId: string, amountCents: number, items: Item[], mode: SagaMode }

/** A charge is requested (orders.new in choreography, CHARGE in orchestration). */
export async function requestCharge (app: FastifyInstance, config: PaymentConfigType, cause: EventContext, req: ChargeRequest, log: Logger): Promise<void> {
  if (failsTransiently(req.customerId, cause.attempt, config.TEACHING_MODE)) throw new IssuerTimeoutError(req.orderId)
  await app.tx(async tx => {
    const delay = delayFor(req.customerId, config)
    const { first, row } = await firstDeliveryInsertingRequested(tx, cause, {
      orderId: req.orderId,
      paymentId: randomUUID(),
      customerId: req.customerId,
      amountCents: req.amountCents,
      items: req.items,
      mode: req.mode,
      decideAt: new Date(Date.now() + delay),
      causeEventId: cause.eventId,
      correlationId: cause.headers[HEADERS.correlationId] ?? req.orderId
    })
    if (!first) return
    if (!row) {
      // Known already: a repeated command, or the order was cancelled before its charge request arrived.
      const existing = await findPayment(tx, req.orderId)
      log.info({ status: existing?.status }, 'charge already known for this order; not charging again')
      if (existing && req.mode === 'orchestration' && existing.status !== 'requested') {
        const outcome = existing.status === 'approved' || existing.status === 'refunded' ? 'APPROVED' : 'DECLINED'
        await enqueue(tx, [reply(existing, 'CHARGE', outcome, existing.reason ?? (existing.status === 'cancelled' ? 'order_cancelled' : null), cause)])
      }
      return
    }
    if (req.mode === 'choreography') {
      await enqueue(tx, [{
        topic: 'payments.requested',
        value: { eventId: randomUUID(), orderId: req.orderId, paymentId: row.payment_id, customerId: req.customerId, amountCents: req.amountCents, occurredAt: Date.now() },
        headers: eventHeaders(SERVICE, 'payments.requested', 'choreography', cause)
      }])
    }
    log.info({ delayMs: delay, amountCents: req.amountCents }, 'charge requested')
    // No simulated delay (benchmarks): decide now, in the same transaction.
    if (delay === 0) await decide(tx, config, row, log)
  })
}

/** The simulated card network answers: approve or decline, and tell the saga. */
async function decide (tx: Tx, config: PaymentConfigType, row: PaymentRow, log: Logger): Promise<void> {
  const outcome = decideOutcome(row.customer_id, config.PAYMENT_FAILURE_RATE, Math.random, config.TEACHING_MODE)
  const cause = { eventId: row.cause_event_id ?? '', correlationId: row.correlation_id ?? row.order_id }
  if (outcome.approved) await markApproved(tx, row.order_id)
  else await markDeclined(tx, row.order_id, outcome.reason)
  if (row.mode === 'orchestration') {
    await enqueue(tx, [reply(row, 'CHARGE', outcome.approved ? 'APPROVED' : 'DECLINED', outcome.reason, cause)])
  } else if (outcome.approved) {
    await enqueue(tx, [{ topic: 'payments.approved', value: { eventId: randomUUID(), orderId: row.order_id, paymentId: row.payment_id, customerId: row.customer_id, amountCents: row.amount_cents, items: row.items, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'payments.approved', 'choreography', cause) }])
  } else {
    await enqueue(tx, [{ topic: 'payments.failed', value: { eventId: randomUUID(), orderId: row.order_id, paymentId: row.payment_id, customerId: row.customer_id, reason: outcome.reason ?? 'declined', occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'payments.failed', 'choreography', cause) }])
  }
  log.child({ orderId: row.order_id }).info({ approved: outcome.approved, reason: outcome.reason }, 'charge decided')
}

/** Tries before a due charge that keeps throwing is set aside for an operator (set_aside_at, sweep_error). */
export const SET_ASIDE_AFTER = 3

/**
 * Decides every charge whose simulated delay has passed. Survives restarts: the due time is in the
 * table. One charge per transaction, so one that throws (a bug, a broken row) holds back no other;
 * after SET_ASIDE_AFTER tries it is set aside with its error instead of being picked first forever.
 */
export async function decideDue (app: FastifyInstance, config: PaymentConfigType, log: Logger): Promise<number> {
  let n = 0
  for (const orderId of await dueOrderIds(app.sql, 200)) {
    try {
      const decided = await app.tx(async tx => {
        const row = await lockDue(tx, orderId)
        if (!row) return false
        await decide(tx, config, row, log)
        return true
      })
      if (decided) n++
    } catch (err) {
      const error = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000)
      const setAside = await recordSweepFailure(app.sql, orderId, error, SET_ASIDE_AFTER)
      log.child({ orderId }).error({ err, setAside }, setAside ? 'deciding this charge keeps failing; set aside for an operator' : 'deciding this charge failed; trying again')
    }
  }
  return n
}

/**
 * Compensation: return a charge (inventory.failed or orders.failed in choreography, REFUND in
 * orchestration). Refunds only an approved charge, exactly once; a charge still pending is
 * cancelled so it is never made; an order not seen yet gets a cancelled marker for the same reason.
 */
export async function refund (app: FastifyInstance, cause: EventContext, orderId: string, customerId: string, reason: string, mode: SagaMode, log: Logger): Promise<void> {
  const orchestrated = mode === 'orchestration'
  await compensate<PaymentRow>(app, 'refund', { eventId: cause.eventId, topic: cause.topic, mode }, {
    find: async tx => await lockPayment(tx, orderId),
    markCancelled: async tx => {
      const marker = await insertCancelled(tx, { orderId, paymentId: randomUUID(), customerId, mode, reason })
      log.info('order cancelled before any charge; it will never be charged')
      return orchestrated ? [reply(marker, 'REFUND', 'NOTHING_TO_REFUND', 'no_charge', cause)] : []
    },
    // A charge still pending is undone too: cancelled, so it is never made.
    undoable: row => row.status === 'requested' || row.status === 'approved',
    undo: async (tx, row) => {
      if (row.status === 'requested') {
        await markCancelled(tx, orderId, reason)
        log.info('pending charge cancelled before it was made')
        return orchestrated ? [reply(row, 'REFUND', 'NOTHING_TO_REFUND', 'charge_cancelled', cause)] : []
      }
      await markRefunded(tx, orderId, reason)
      log.info({ amountCents: row.amount_cents, reason }, 'charge refunded')
      return [orchestrated
        ? reply(row, 'REFUND', 'REFUNDED', reason, cause)
        : { topic: 'payments.refunded', value: { eventId: randomUUID(), orderId, paymentId: row.payment_id, customerId: row.customer_id, amountCents: row.amount_cents, reason, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'payments.refunded', 'choreography', cause) }]
    },
    settled: row => !orchestrated
      ? []
      : row.status === 'refunded'
        ? [reply(row, 'REFUND', 'REFUNDED', row.reason, cause)]
        : [reply(row, 'REFUND', 'NOTHING_TO_REFUND', row.status, cause)]
  })
}
