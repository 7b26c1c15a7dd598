import { createHash, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { DLQ_TOPIC, HEADERS, isSagaMode, summarizeEvent } from '@vitrine/contracts'
import type { OrderCreated, OrderConfirmed, OrderFailed, SagaMode } from '@vitrine/contracts'
import { ShopError, enqueue, eventHeaders, invalidInput, readTopicNow, sagaMetrics } from '@vitrine/service-kit'
import type { EventContext, Logger } from '@vitrine/service-kit'
import type { CreateOrderBodyType } from './schemas/orders.ts'
import type { CheckoutConfigType } from './config.ts'
import { catalogEntries } from './db/catalog.ts'
import type { CatalogEntry } from './db/catalog.ts'
import { addHistory, deadLettersSeen, dueChoreographed, firstDeliveryLockingOrder, flagDeadLetter, flagOutcomeMissing, insertOrder, lockOrder, markConfirmed, markFailed, orderByKey } from './db/orders.ts'
import type { HistoryEntry, KeyedOrderRow } from './db/orders.ts'

const SERVICE = 'checkout-api'

export interface NewOrder { orderId: string, mode: SagaMode, totalCents: number, replayed: boolean }

const invalid = (field: string, rule: string, message: string): ShopError => invalidInput([{ field, rule, message }])

/**
 * Validates what the schema cannot express against configured limits and the catalog replica, and
 * prices each item at the catalog's price: the client never sends a price. An unknown or inactive
 * product is refused here, before anything is written or produced.
 */
export function priceOrder (body: CreateOrderBodyType, config: Pick<CheckoutConfigType, 'MAX_ITEMS' | 'MAX_QUANTITY'>, catalog: ReadonlyMap<string, Pick<CatalogEntry, 'priceCents' | 'active'>>): { items: OrderCreated['items'], totalCents: number } {
  if (body.items.length > config.MAX_ITEMS) throw invalid('body.items', 'maxItems', `must NOT have more than ${config.MAX_ITEMS} items`)
  const items = body.items.map((item, i) => {
    if (item.quantity > config.MAX_QUANTITY) throw invalid(`body.items.${i}.quantity`, 'maximum', `must be <= ${config.MAX_QUANTITY}`)
    const product = catalog.get(item.productId)
    if (!product) throw unavailable('SHOP_ERR_UNKNOWN_PRODUCT', i, item.productId, 'unknownProduct', `product ${item.productId} is not in the catalog`)
    if (!product.active) throw unavailable('SHOP_ERR_INACTIVE_PRODUCT', i, item.productId, 'inactiveProduct', `product ${item.productId} is not active in the catalog`)
    return { productId: item.productId, quantity: item.quantity, unitPriceCents: product.priceCents }
  })
  return { items, totalCents: items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0) }
}

function unavailable (code: 'SHOP_ERR_UNKNOWN_PRODUCT' | 'SHOP_ERR_INACTIVE_PRODUCT', i: number, productId: string, rule: string, message: string): ShopError {
  const field = `body.items.${i}.productId`
  return new ShopError(code, message, 400, { productId, errors: [{ field, rule, message }] })
}

/** What identifies a request for its Idempotency-Key: what the client sent, not what it was priced at. */
export function requestHash (body: CreateOrderBodyType, mode: SagaMode): string {
  const items = body.items.map(i => ({ productId: i.productId, quantity: i.quantity }))
  return createHash('sha256').update(JSON.stringify({ customerId: body.customerId, items, mode, channel: body.channel ?? 'web' })).digest('hex')
}

/**
 * Stores the order and its orders.new event in one transaction, priced from the catalog replica.
 * An Idempotency-Key is scoped to the customer that sent it: a retried request returns the first
 * order and writes nothing; the same key with another body is refused with 422, which never names
 * the other order. Two concurrent requests with one key meet on the unique index: the loser
 * compares its body with the winner's like any retry.
 */
export async function createOrder (app: FastifyInstance, config: CheckoutConfigType, body: CreateOrderBodyType, opts: { idempotencyKey?: string | undefined, mode?: SagaMode | undefined }): Promise<NewOrder> {
  const mode = body.mode ?? opts.mode ?? config.SAGA_MODE_DEFAULT
  const hash = requestHash(body, mode)
  const key = opts.idempotencyKey
  const replay = (row: KeyedOrderRow): NewOrder => {
    if (row.request_hash !== hash) {
      throw new ShopError('SHOP_ERR_IDEMPOTENCY_MISMATCH', 'Idempotency-Key was already used by this customer with a different request body', 422, { idempotencyKey: key })
    }
    return { orderId: row.id, mode: row.mode, totalCents: row.total_cents, replayed: true }
  }
  const created = await app.tx(async tx => {
    if (key) {
      const existing = await orderByKey(tx, body.customerId, key, true)
      if (existing) return replay(existing)
    }
    const { items, totalCents } = priceOrder(body, config, await catalogEntries(tx, body.items.map(i => i.productId)))
    const orderId = randomUUID()
    const now = Date.now()
    const deadlineAt = now + config.ORDER_DEADLINE_MS
    const event: OrderCreated = { eventId: randomUUID(), orderId, customerId: body.customerId, items, totalCents, currency: 'BRL', deadlineAt, channel: body.channel ?? 'web', occurredAt: now }
    const inserted = await insertOrder(tx, { id: orderId, customerId: body.customerId, items, totalCents, mode, channel: body.channel ?? 'web', idempotencyKey: key ?? null, requestHash: hash, deadlineAt: new Date(deadlineAt) },
      { topic: 'orders.new', eventId: event.eventId, direction: 'produced', summary: summarizeEvent('orders.new', event) })
    if (!inserted && key) {
      // A concurrent request with the same key committed first: answer as a retry of it would be answered.
      return replay((await orderByKey(tx, body.customerId, key, false))!)
    }
    await enqueue(tx, [{ topic: 'orders.new', value: event, headers: eventHeaders(SERVICE, 'orders.new', mode, { eventId: '', correlationId: orderId }) }])
    return { orderId, mode, totalCents, replayed: false }
  })
  // Choreography has no saga table: the order is its saga (the orchestrator counts orchestration's).
  if (!created.replayed && created.mode === 'choreography') sagaMetrics(app.metrics.registry).started.inc({ mode: created.mode })
  return created
}

type Outcome = { kind: 'confirm' } | { kind: 'fail', reason: string, detail: string | null }

/** The topics that end an order: the participants' events (choreography) and the orchestrator's command. */
export type OutcomeTopic = 'inventory.reserved' | 'payments.failed' | 'inventory.failed' | 'orders.commands'
/** The consumed record that ends an order, with its context; null when checkout-api ends it itself (deadline). */
export type OutcomeCause = { [T in OutcomeTopic]: EventContext<T> }[OutcomeTopic] | null

/**
 * Moves a pending order to its end state and publishes orders.confirmed or orders.failed, once.
 * A record seen before (same eventId), or for an order already finished, changes nothing.
 */
export async function finishOrder (app: FastifyInstance, cause: OutcomeCause, orderId: string, outcome: Outcome, log: Logger): Promise<boolean> {
  let finished: { mode: SagaMode, createdAt: Date } | undefined
  const changed = await app.tx(async tx => {
    finished = undefined
    // With a cause: its dedup and the order's lock in one statement.
    const { first, row: order } = cause ? await firstDeliveryLockingOrder(tx, cause, orderId) : { first: true, row: await lockOrder(tx, orderId) }
    if (!first) {
      cause?.log.info('duplicate delivery ignored')
      return false
    }
    if (!order) {
      // Not ours (another test's or a purged order): nothing to change.
      log.warn('event for an unknown order')
      return false
    }
    const mode = order.mode
    const consumed: HistoryEntry[] = cause ? [{ orderId, topic: cause.topic, eventId: cause.eventId, direction: 'consumed', summary: summarizeEvent(cause.topic, cause.value), at: { partition: cause.partition, offset: cause.offset } }] : []
    if (order.status !== 'pending') {
      await addHistory(tx, ...consumed)
      log.info({ status: order.status }, 'order already finished; late event ignored')
      return false
    }
    // The mode the cause travelled in (its header), else the order's.
    const headerMode = cause?.headers[HEADERS.sagaMode]
    const eventMode = isSagaMode(headerMode) ? headerMode : mode
    const causeRef = cause ?? { eventId: '', correlationId: orderId }
    const eventId = randomUUID()
    const occurredAt = Date.now()
    // The order's end also clears checkout-api's own attention flag (same statement).
    if (outcome.kind === 'confirm') {
      await markConfirmed(tx, orderId)
      const confirmed: OrderConfirmed = { eventId, orderId, customerId: order.customer_id, totalCents: order.total_cents, occurredAt }
      await enqueue(tx, [{ topic: 'orders.confirmed', value: confirmed, headers: eventHeaders(SERVICE, 'orders.confirmed', eventMode, causeRef) }])
      await addHistory(tx, ...consumed, { orderId, topic: 'orders.confirmed', eventId, direction: 'produced', summary: summarizeEvent('orders.confirmed', confirmed) })
    } else {
      await markFailed(tx, orderId, outcome.reason, outcome.detail)
      const failed: OrderFailed = { eventId, orderId, customerId: order.customer_id, reason: outcome.reason, detail: outcome.detail, occurredAt }
      await enqueue(tx, [{ topic: 'orders.failed', value: failed, headers: eventHeaders(SERVICE, 'orders.failed', eventMode, causeRef) }])
      await addHistory(tx, ...consumed, { orderId, topic: 'orders.failed', eventId, direction: 'produced', summary: summarizeEvent('orders.failed', failed) })
    }
    log.info({ outcome: outcome.kind, ...(outcome.kind === 'fail' ? { reason: outcome.reason } : {}) }, 'order finished')
    finished = { mode, createdAt: order.created_at }
    return true
  })
  // Counted once committed; orchestration's outcome is the orchestrator's to count.
  if (changed && finished?.mode === 'choreography') {
    const labels = { mode: finished.mode, outcome: outcome.kind === 'confirm' ? 'completed' : 'failed' }
    const m = sagaMetrics(app.metrics.registry)
    m.finished.inc(labels)
    m.duration.observe(labels, (Date.now() - finished.createdAt.getTime()) / 1000)
  }
  return changed
}

/**
 * Orchestrated orders are ended by the orchestrator alone (it may have charged or sold: only it knows
 * what to undo). One still pending `graceMs` after its deadline means the orchestrator's answer is
 * missing (down, or its FAIL/CONFIRM dead-lettered): it is flagged for an operator, not failed here.
 */
export async function flagMissingOutcomes (app: FastifyInstance, graceMs: number, log: Logger): Promise<number> {
  const ids = await flagOutcomeMissing(app.sql, new Date(Date.now() - graceMs))
  for (const orderId of ids) log.child({ orderId }).warn('orchestrated order pending past its deadline; flagged for an operator')
  return ids.length
}

/**
 * Any service's dead letter about one of our orders (a refund, release, commit, the outcome ...)
 * flags the order for an operator, once per DLQ record: checkout-api owns the order, and its view
 * is what the UI shows. Reads the DLQ as it is now, from the first record not looked at yet.
 */
export async function flagDeadLetters (app: FastifyInstance, log: Logger): Promise<number> {
  const last = await deadLettersSeen(app.sql)
  const letters = (await readTopicNow(app.config.KAFKA_BROKERS, app.config.TOPIC_PREFIX + DLQ_TOPIC)).filter(r => r.key && r.offset > (last.get(r.partition) ?? -1))
  let n = 0
  for (const r of letters) {
    const detail = `${r.headers[HEADERS.failedBy] ?? '?'}: ${r.headers[HEADERS.originalTopic] ?? '?'} p${r.headers[HEADERS.originalPartition] ?? '?'} #${r.headers[HEADERS.originalOffset] ?? '?'}: ${r.headers[HEADERS.error] ?? ''} (orders.dlq #${r.offset})`.slice(0, 1000)
    const flagged = await app.tx(async tx => await flagDeadLetter(tx, r, r.key!, detail))
    if (flagged) {
      n++
      log.child({ orderId: r.key }).warn({ deadLetter: detail }, 'a record of this order was dead-lettered; flagged for an operator')
    }
  }
  return n
}

/** Cancels pending choreographed orders past their deadline; orders.failed makes the others compensate. */
export async function sweepDeadlines (app: FastifyInstance, log: Logger): Promise<number> {
  let n = 0
  for (const orderId of await dueChoreographed(app.sql, 200)) {
    const orderLog = log.child({ orderId })
    if (await finishOrder(app, null, orderId, { kind: 'fail', reason: 'deadline_exceeded', detail: 'o pedido não terminou dentro do prazo' }, orderLog)) n++
  }
  return n
}
