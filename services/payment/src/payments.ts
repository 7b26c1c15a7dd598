import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Item, PaymentReply, SagaMode } from '@vitrine/contracts'
import { enqueue, eventHeaders, firstDelivery } from '@vitrine/service-kit'
import type { ConsumedRecord, OutboxEvent, Tx } from '@vitrine/service-kit'
import type { PaymentConfigType } from './config.ts'

// The business rules of payment, shared by both saga modes: at most one charge per order, a
// refund only of a real charge and only once, a cancelled order never charged afterwards.
// Choreography announces results as events; orchestration answers the orchestrator's command.

const SERVICE = 'payment'

/**
 * Teacher triggers, by customer id (documented in services/payment/README.md):
 * `fail-payment` is always declined, `pay-ok` always approved, `slow-payment` answers after
 * PAYMENT_SLOW_MS (past the order deadline, so the deadline compensation shows).
 */
export function decideOutcome (customerId: string, failureRate: number, random = Math.random): { approved: boolean, reason: string | null } {
  if (customerId.includes('fail-payment')) return { approved: false, reason: 'forced_by_trigger' }
  if (customerId.includes('pay-ok')) return { approved: true, reason: null }
  return random() < failureRate ? { approved: false, reason: 'declined_by_issuer' } : { approved: true, reason: null }
}

export function delayFor (customerId: string, c: Pick<PaymentConfigType, 'PAYMENT_DELAY_MIN_MS' | 'PAYMENT_DELAY_MAX_MS' | 'PAYMENT_SLOW_MS'>, random = Math.random): number {
  if (customerId.includes('slow-payment')) return c.PAYMENT_SLOW_MS
  const lo = Math.min(c.PAYMENT_DELAY_MIN_MS, c.PAYMENT_DELAY_MAX_MS)
  const hi = Math.max(c.PAYMENT_DELAY_MIN_MS, c.PAYMENT_DELAY_MAX_MS)
  return Math.round(lo + random() * (hi - lo))
}

interface Row {
  order_id: string
  payment_id: string
  customer_id: string
  amount_cents: number
  items: Item[]
  mode: SagaMode
  status: 'requested' | 'approved' | 'declined' | 'cancelled' | 'refunded'
  reason: string | null
  cause_event_id: string | null
  correlation_id: string | null
}

function reply (row: Pick<Row, 'order_id' | 'payment_id'>, command: PaymentReply['command'], outcome: PaymentReply['outcome'], reason: string | null, cause: ConsumedRecord | { eventId: string, correlationId: string }): OutboxEvent<'payments.replies'> {
  return {
    topic: 'payments.replies',
    value: { eventId: randomUUID(), orderId: row.order_id, command, outcome, paymentId: row.payment_id, reason, occurredAt: Date.now() },
    headers: eventHeaders(SERVICE, 'payments.replies', 'orchestration', cause)
  }
}

async function seen (tx: Tx, record: ConsumedRecord): Promise<boolean> {
  return !(await firstDelivery(tx, (record.value as { eventId: string }).eventId, record.topic))
}

export interface ChargeRequest { orderId: string, customerId: string, amountCents: number, items: Item[], mode: SagaMode }

/** A charge is requested (orders.new in choreography, CHARGE in orchestration). */
export async function requestCharge (app: FastifyInstance, config: PaymentConfigType, record: ConsumedRecord, req: ChargeRequest, log: Logger): Promise<void> {
  await app.tx(async tx => {
    if (await seen(tx, record)) return
    const delay = delayFor(req.customerId, config)
    const eventId = (record.value as { eventId: string }).eventId
    const correlation = record.headers['correlation-id'] ?? req.orderId
    const [row] = await tx<Row[]>`insert into payments (order_id, payment_id, customer_id, amount_cents, items, mode, status, decide_at, cause_event_id, correlation_id)
      values (${req.orderId}, ${randomUUID()}, ${req.customerId}, ${req.amountCents}, ${tx.json(req.items as never)}, ${req.mode}, 'requested', ${new Date(Date.now() + delay)}, ${eventId}, ${correlation})
      on conflict (order_id) do nothing returning *`
    if (!row) {
      // Known already: a repeated command, or the order was cancelled before its charge request arrived.
      const [existing] = await tx<Row[]>`select * from payments where order_id = ${req.orderId}`
      log.info({ status: existing?.status }, 'charge already known for this order; not charging again')
      if (existing && req.mode === 'orchestration' && existing.status !== 'requested') {
        const outcome = existing.status === 'approved' || existing.status === 'refunded' ? 'APPROVED' : 'DECLINED'
        await enqueue(tx, [reply(existing, 'CHARGE', outcome, existing.reason ?? (existing.status === 'cancelled' ? 'order_cancelled' : null), record)])
      }
      return
    }
    if (req.mode === 'choreography') {
      await enqueue(tx, [{
        topic: 'payments.requested',
        value: { eventId: randomUUID(), orderId: req.orderId, paymentId: row.payment_id, customerId: req.customerId, amountCents: req.amountCents, occurredAt: Date.now() },
        headers: eventHeaders(SERVICE, 'payments.requested', 'choreography', record)
      }])
    }
    log.info({ delayMs: delay, amountCents: req.amountCents }, 'charge requested')
    // No simulated delay (benchmarks): decide now, in the same transaction.
    if (delay === 0) await decide(tx, config, row, log)
  })
}

/** The simulated card network answers: approve or decline, and tell the saga. */
async function decide (tx: Tx, config: PaymentConfigType, row: Row, log: Logger): Promise<void> {
  const outcome = decideOutcome(row.customer_id, config.PAYMENT_FAILURE_RATE)
  const cause = { eventId: row.cause_event_id ?? '', correlationId: row.correlation_id ?? row.order_id }
  if (outcome.approved) {
    await tx`update payments set status = 'approved', charged_at = now(), decide_at = null where order_id = ${row.order_id}`
  } else {
    await tx`update payments set status = 'declined', reason = ${outcome.reason}, decide_at = null where order_id = ${row.order_id}`
  }
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
  const due = await app.sql`select order_id from payments where status = 'requested' and decide_at <= now() and set_aside_at is null order by decide_at limit 200`
  let n = 0
  for (const { order_id: orderId } of due) {
    try {
      const decided = await app.tx(async tx => {
        const [row] = await tx<Row[]>`select * from payments where order_id = ${orderId as string} and status = 'requested' and decide_at <= now() and set_aside_at is null for update skip locked`
        if (!row) return false
        await decide(tx, config, row, log)
        return true
      })
      if (decided) n++
    } catch (err) {
      const error = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000)
      const [r] = await app.sql`update payments set sweep_attempts = sweep_attempts + 1, sweep_error = ${error},
          set_aside_at = case when sweep_attempts + 1 >= ${SET_ASIDE_AFTER} then now() end
        where order_id = ${orderId as string} returning set_aside_at`
      log.child({ orderId }).error({ err, setAside: Boolean(r?.set_aside_at) }, r?.set_aside_at ? 'deciding this charge keeps failing; set aside for an operator' : 'deciding this charge failed; trying again')
    }
  }
  return n
}

/**
 * Compensation: return a charge (inventory.failed or orders.failed in choreography, REFUND in
 * orchestration). Refunds only an approved charge, exactly once; a charge still pending is
 * cancelled so it is never made; an order not seen yet gets a cancelled marker for the same reason.
 */
export async function refund (app: FastifyInstance, record: ConsumedRecord, orderId: string, customerId: string, reason: string, mode: SagaMode, log: Logger): Promise<void> {
  await app.tx(async tx => {
    if (await seen(tx, record)) return
    const [row] = await tx<Row[]>`select * from payments where order_id = ${orderId} for update`
    const orchestrated = mode === 'orchestration'
    if (!row) {
      const [marker] = await tx<Row[]>`insert into payments (order_id, payment_id, customer_id, amount_cents, mode, status, reason)
        values (${orderId}, ${randomUUID()}, ${customerId}, 0, ${mode}, 'cancelled', ${reason}) returning *`
      log.info('order cancelled before any charge; it will never be charged')
      if (orchestrated) await enqueue(tx, [reply(marker!, 'REFUND', 'NOTHING_TO_REFUND', 'no_charge', record)])
      return
    }
    switch (row.status) {
      case 'requested':
        await tx`update payments set status = 'cancelled', reason = ${reason}, decide_at = null where order_id = ${orderId}`
        log.info('pending charge cancelled before it was made')
        if (orchestrated) await enqueue(tx, [reply(row, 'REFUND', 'NOTHING_TO_REFUND', 'charge_cancelled', record)])
        return
      case 'approved':
        await tx`update payments set status = 'refunded', reason = ${reason}, refunded_at = now() where order_id = ${orderId}`
        log.info({ amountCents: row.amount_cents, reason }, 'charge refunded')
        await enqueue(tx, [orchestrated
          ? reply(row, 'REFUND', 'REFUNDED', reason, record)
          : { topic: 'payments.refunded', value: { eventId: randomUUID(), orderId, paymentId: row.payment_id, customerId: row.customer_id, amountCents: row.amount_cents, reason, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'payments.refunded', 'choreography', record) }])
        return
      case 'refunded':
        if (orchestrated) await enqueue(tx, [reply(row, 'REFUND', 'REFUNDED', row.reason, record)])
        return
      default:
        if (orchestrated) await enqueue(tx, [reply(row, 'REFUND', 'NOTHING_TO_REFUND', row.status, record)])
    }
  })
}
