import { createHash, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { DLQ_TOPIC, HEADERS, isSagaMode } from '@vitrine/contracts'
import type { OrderCreated, SagaMode } from '@vitrine/contracts'
import { ShopError, enqueue, eventHeaders, firstDelivery, invalidInput, readTopicNow } from '@vitrine/service-kit'
import type { ConsumedRecord, Tx } from '@vitrine/service-kit'
import type { CreateOrderBodyType } from './schemas/orders.ts'
import type { CheckoutConfigType } from './config.ts'
import { catalogEntries } from './catalog.ts'
import type { CatalogEntry } from './catalog.ts'

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

async function remember (tx: Tx, orderId: string, topic: string, eventId: string, direction: 'produced' | 'consumed', summary: string, at?: { partition: number, offset: number }): Promise<void> {
  await tx`insert into order_history (order_id, topic, event_id, direction, partition, "offset", summary)
    values (${orderId}, ${topic}, ${eventId}, ${direction}, ${at?.partition ?? null}, ${at?.offset ?? null}, ${summary})`
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
  const replay = (row: Record<string, unknown>): NewOrder => {
    if (row.request_hash !== hash) {
      throw new ShopError('SHOP_ERR_IDEMPOTENCY_MISMATCH', 'Idempotency-Key was already used by this customer with a different request body', 422, { idempotencyKey: key })
    }
    return { orderId: row.id as string, mode: row.mode as SagaMode, totalCents: row.total_cents as number, replayed: true }
  }
  return await app.tx(async tx => {
    if (key) {
      const [existing] = await tx`select id, mode, total_cents, request_hash from orders where customer_id = ${body.customerId} and idempotency_key = ${key} for update`
      if (existing) return replay(existing)
    }
    const { items, totalCents } = priceOrder(body, config, await catalogEntries(tx, body.items.map(i => i.productId)))
    const orderId = randomUUID()
    const now = Date.now()
    const deadlineAt = now + config.ORDER_DEADLINE_MS
    const inserted = await tx`insert into orders (id, customer_id, items, total_cents, mode, channel, idempotency_key, request_hash, deadline_at)
      values (${orderId}, ${body.customerId}, ${tx.json(items as never)}, ${totalCents}, ${mode}, ${body.channel ?? 'web'}, ${key ?? null}, ${hash}, ${new Date(deadlineAt)})
      on conflict (customer_id, idempotency_key) do nothing returning id`
    if (inserted.length === 0) {
      // A concurrent request with the same key committed first: answer as a retry of it would be answered.
      const [winner] = await tx`select id, mode, total_cents, request_hash from orders where customer_id = ${body.customerId} and idempotency_key = ${key ?? null}`
      return replay(winner!)
    }
    const event: OrderCreated = { eventId: randomUUID(), orderId, customerId: body.customerId, items, totalCents, currency: 'BRL', deadlineAt, channel: body.channel ?? 'web', occurredAt: now }
    await enqueue(tx, [{ topic: 'orders.new', value: event, headers: eventHeaders(SERVICE, 'orders.new', mode, { eventId: '', correlationId: orderId }) }])
    await remember(tx, orderId, 'orders.new', event.eventId, 'produced', `pedido criado: ${items.length} item(ns), total ${totalCents} centavos`)
    return { orderId, mode, totalCents, replayed: false }
  })
}

type Outcome = { kind: 'confirm' } | { kind: 'fail', reason: string, detail: string | null }

/**
 * Moves a pending order to its end state and publishes orders.confirmed or orders.failed, once.
 * A record seen before (same eventId), or for an order already finished, changes nothing.
 */
export async function finishOrder (app: FastifyInstance, record: ConsumedRecord | null, orderId: string, outcome: Outcome, log: Logger): Promise<boolean> {
  return await app.tx(async tx => {
    const cause = record?.value as { eventId: string } | undefined
    if (record && cause && !(await firstDelivery(tx, cause.eventId, record.topic))) {
      log.info({ eventId: cause.eventId }, 'duplicate delivery ignored')
      return false
    }
    const [order] = await tx`select id, customer_id, total_cents, status, mode from orders where id = ${orderId} for update`
    if (!order) {
      // Not ours (another test's or a purged order): nothing to change.
      log.warn('event for an unknown order')
      return false
    }
    const mode = order.mode as SagaMode
    if (record && cause) await remember(tx, orderId, record.topic, cause.eventId, 'consumed', summarize(record), { partition: record.partition, offset: record.offset })
    if (order.status !== 'pending') {
      log.info({ status: order.status }, 'order already finished; late event ignored')
      return false
    }
    const headerMode = record?.headers[HEADERS.sagaMode]
    const causeRef = record ?? { eventId: '', correlationId: orderId }
    const eventId = randomUUID()
    const occurredAt = Date.now()
    // The order ends: a flag about its missing outcome (or checkout-api's own dead letter) is resolved.
    await tx`update orders set attention = null, attention_detail = null, attention_at = null
      where id = ${orderId} and (attention = 'outcome_missing' or attention_detail like 'checkout-api/%')`
    if (outcome.kind === 'confirm') {
      await tx`update orders set status = 'confirmed', finished_at = now() where id = ${orderId}`
      await enqueue(tx, [{ topic: 'orders.confirmed', value: { eventId, orderId, customerId: order.customer_id as string, totalCents: order.total_cents as number, occurredAt }, headers: eventHeaders(SERVICE, 'orders.confirmed', isSagaMode(headerMode) ? headerMode : mode, causeRef) }])
      await remember(tx, orderId, 'orders.confirmed', eventId, 'produced', 'pedido confirmado')
    } else {
      await tx`update orders set status = 'failed', reason = ${outcome.reason}, detail = ${outcome.detail}, finished_at = now() where id = ${orderId}`
      await enqueue(tx, [{ topic: 'orders.failed', value: { eventId, orderId, customerId: order.customer_id as string, reason: outcome.reason, detail: outcome.detail, occurredAt }, headers: eventHeaders(SERVICE, 'orders.failed', isSagaMode(headerMode) ? headerMode : mode, causeRef) }])
      await remember(tx, orderId, 'orders.failed', eventId, 'produced', `pedido falhou: ${outcome.reason}${outcome.detail ? ` (${outcome.detail})` : ''}`)
    }
    log.info({ outcome: outcome.kind, ...(outcome.kind === 'fail' ? { reason: outcome.reason } : {}) }, 'order finished')
    return true
  })
}

function summarize (record: ConsumedRecord): string {
  const v = record.value as Record<string, unknown>
  switch (record.topic) {
    case 'payments.failed': return `pagamento recusado: ${String(v.reason)}`
    case 'inventory.reserved': return 'estoque reservado'
    case 'inventory.failed': return `estoque indisponível: ${String(v.reason)}${v.productId ? ` (${String(v.productId)})` : ''}`
    case 'orders.commands': return `comando do orquestrador: ${String(v.command)}${v.reason ? ` (${String(v.reason)})` : ''}`
    default: return record.topic
  }
}

/**
 * Orchestrated orders are ended by the orchestrator alone (it may have charged or sold: only it knows
 * what to undo). One still pending `graceMs` after its deadline means the orchestrator's answer is
 * missing (down, or its FAIL/CONFIRM dead-lettered): it is flagged for an operator, not failed here.
 */
export async function flagMissingOutcomes (app: FastifyInstance, graceMs: number, log: Logger): Promise<number> {
  const rows = await app.sql`update orders set attention = 'outcome_missing', attention_at = now(),
      attention_detail = 'orchestrated order still pending past its deadline: the orchestrator''s CONFIRM/FAIL is missing (is it running? see make dlq)'
    where status = 'pending' and mode = 'orchestration' and attention is null and deadline_at < ${new Date(Date.now() - graceMs)} returning id`
  for (const r of rows) log.child({ orderId: r.id }).warn('orchestrated order pending past its deadline; flagged for an operator')
  return rows.length
}

/**
 * Any service's dead letter about one of our orders (a refund, release, commit, the outcome ...)
 * flags the order for an operator, once per DLQ record: checkout-api owns the order, and its view
 * is what the UI shows. Reads the DLQ as it is now, from the first record not looked at yet.
 */
export async function flagDeadLetters (app: FastifyInstance, log: Logger): Promise<number> {
  const last = new Map((await app.sql`select dlq_partition, max(dlq_offset)::bigint as at from dead_letters_seen group by 1`).map(r => [r.dlq_partition as number, r.at as number]))
  const letters = (await readTopicNow(app.config.KAFKA_BROKERS, app.config.TOPIC_PREFIX + DLQ_TOPIC)).filter(r => r.key && r.offset > (last.get(r.partition) ?? -1))
  let n = 0
  for (const r of letters) {
    const detail = `${r.headers[HEADERS.failedBy] ?? '?'}: ${r.headers[HEADERS.originalTopic] ?? '?'} p${r.headers[HEADERS.originalPartition] ?? '?'} #${r.headers[HEADERS.originalOffset] ?? '?'}: ${r.headers[HEADERS.error] ?? ''} (orders.dlq #${r.offset})`.slice(0, 1000)
    const flagged = await app.tx(async tx => {
      const [order] = await tx`select id from orders where id = ${r.key!}`
      const seen = await tx`insert into dead_letters_seen (dlq_partition, dlq_offset, order_id) values (${r.partition}, ${r.offset}, ${order ? r.key! : ''}) on conflict do nothing returning order_id`
      if (!order || seen.length === 0) return false
      await tx`update orders set attention = 'dead_letter', attention_detail = ${detail}, attention_at = now() where id = ${r.key!}`
      return true
    })
    if (flagged) {
      n++
      log.child({ orderId: r.key }).warn({ deadLetter: detail }, 'a record of this order was dead-lettered; flagged for an operator')
    }
  }
  return n
}

/** Cancels pending choreographed orders past their deadline; orders.failed makes the others compensate. */
export async function sweepDeadlines (app: FastifyInstance, log: Logger): Promise<number> {
  const due = await app.sql`select id from orders where status = 'pending' and mode = 'choreography' and deadline_at < now() order by deadline_at limit 200`
  let n = 0
  for (const row of due) {
    const orderLog = log.child({ orderId: row.id })
    if (await finishOrder(app, null, row.id as string, { kind: 'fail', reason: 'deadline_exceeded', detail: 'o pedido não terminou dentro do prazo' }, orderLog)) n++
  }
  return n
}
