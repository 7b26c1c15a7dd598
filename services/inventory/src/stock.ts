import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { InventoryReply, Item, SagaMode } from '@vitrine/contracts'
import { enqueue, eventHeaders, firstDelivery } from '@vitrine/service-kit'
import type { ConsumedRecord, OutboxEvent, Tx } from '@vitrine/service-kit'

// The business rules of inventory, shared by both saga modes: all items of an order are reserved
// in one transaction or none is; stock can never go negative; confirm and release happen at most
// once per order; an order cancelled before its reservation is never reserved afterwards.

const SERVICE = 'inventory'

interface Reservation { order_id: string, customer_id: string, items: Item[], mode: SagaMode, status: 'reserved' | 'committed' | 'released' | 'failed' | 'cancelled', reason: string | null }

/** Same product twice in an order counts once, with the quantities added; sorted so concurrent orders lock rows in one order (no deadlocks). */
export function mergeItems (items: readonly Item[]): Item[] {
  const byId = new Map<string, number>()
  for (const i of items) byId.set(i.productId, (byId.get(i.productId) ?? 0) + i.quantity)
  return [...byId.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([productId, quantity]) => ({ productId, quantity }))
}

function reply (orderId: string, command: InventoryReply['command'], outcome: InventoryReply['outcome'], extra: { reason?: string | null, productId?: string | null }, cause: ConsumedRecord): OutboxEvent<'inventory.replies'> {
  return {
    topic: 'inventory.replies',
    value: { eventId: randomUUID(), orderId, command, outcome, reason: extra.reason ?? null, productId: extra.productId ?? null, occurredAt: Date.now() },
    headers: eventHeaders(SERVICE, 'inventory.replies', 'orchestration', cause)
  }
}

async function seen (tx: Tx, record: ConsumedRecord): Promise<boolean> {
  return !(await firstDelivery(tx, (record.value as { eventId: string }).eventId, record.topic))
}

class OutOfStock extends Error {
  constructor (readonly productId: string, readonly reason: 'insufficient_stock' | 'unknown_product', readonly requested: number, readonly available: number) {
    super(`${reason}: ${productId}`)
  }
}

export interface ReserveRequest { orderId: string, customerId: string, items: Item[], mode: SagaMode }

/** payments.approved (choreography) or RESERVE (orchestration). */
export async function reserve (app: FastifyInstance, record: ConsumedRecord, req: ReserveRequest, log: Logger): Promise<void> {
  await app.tx(async tx => {
    if (await seen(tx, record)) return
    const [existing] = await tx<Reservation[]>`select * from reservations where order_id = ${req.orderId} for update`
    if (existing) {
      log.info({ status: existing.status }, 'reservation already decided for this order; not reserving again')
      if (req.mode === 'orchestration') {
        const outcome = existing.status === 'reserved' || existing.status === 'committed' ? 'RESERVED' : 'FAILED'
        await enqueue(tx, [reply(req.orderId, 'RESERVE', outcome, { reason: existing.status === 'cancelled' ? 'order_cancelled' : existing.reason }, record)])
      }
      return
    }
    const items = mergeItems(req.items)
    try {
      // A savepoint: if any item is short, every update made for this order is undone.
      await tx.savepoint(async sp => {
        for (const item of items) {
          // Conditional update: the row lock and the check are one statement, so two orders for the last unit cannot both win.
          const [updated] = await sp`update products set reserved_quantity = reserved_quantity + ${item.quantity}
            where id = ${item.productId} and stock_quantity - reserved_quantity >= ${item.quantity} returning id`
          if (!updated) {
            const [p] = await sp`select stock_quantity - reserved_quantity as available from products where id = ${item.productId}`
            throw new OutOfStock(item.productId, p ? 'insufficient_stock' : 'unknown_product', item.quantity, (p?.available as number | undefined) ?? 0)
          }
          await sp`insert into stock_movements (product_id, order_id, movement_type, quantity) values (${item.productId}, ${req.orderId}, 'reserve', ${item.quantity})`
        }
      })
    } catch (err) {
      if (!(err instanceof OutOfStock)) throw err
      await tx`insert into reservations (order_id, customer_id, items, mode, status, reason) values (${req.orderId}, ${req.customerId}, ${tx.json(items as never)}, ${req.mode}, 'failed', ${err.reason})`
      log.info({ productId: err.productId, requested: err.requested, available: err.available }, 'reservation failed')
      await enqueue(tx, [req.mode === 'orchestration'
        ? reply(req.orderId, 'RESERVE', 'FAILED', { reason: err.reason, productId: err.productId }, record)
        : { topic: 'inventory.failed', value: { eventId: randomUUID(), orderId: req.orderId, customerId: req.customerId, reason: err.reason, productId: err.productId, requested: err.requested, available: err.available, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'inventory.failed', 'choreography', record) }])
      return
    }
    await tx`insert into reservations (order_id, customer_id, items, mode, status) values (${req.orderId}, ${req.customerId}, ${tx.json(items as never)}, ${req.mode}, 'reserved')`
    log.info({ items: items.length }, 'stock reserved')
    await enqueue(tx, [req.mode === 'orchestration'
      ? reply(req.orderId, 'RESERVE', 'RESERVED', {}, record)
      : { topic: 'inventory.reserved', value: { eventId: randomUUID(), orderId: req.orderId, customerId: req.customerId, items, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'inventory.reserved', 'choreography', record) }])
  })
}

/** orders.confirmed (choreography) or COMMIT (orchestration): the reservation becomes a sale. */
export async function commit (app: FastifyInstance, record: ConsumedRecord, orderId: string, mode: SagaMode, log: Logger): Promise<void> {
  await app.tx(async tx => {
    if (await seen(tx, record)) return
    const [r] = await tx<Reservation[]>`select * from reservations where order_id = ${orderId} for update`
    if (r?.status === 'reserved') {
      for (const item of r.items) {
        await tx`update products set stock_quantity = stock_quantity - ${item.quantity}, reserved_quantity = reserved_quantity - ${item.quantity} where id = ${item.productId}`
        await tx`insert into stock_movements (product_id, order_id, movement_type, quantity) values (${item.productId}, ${orderId}, 'confirm', ${item.quantity})`
      }
      await tx`update reservations set status = 'committed', updated_at = now() where order_id = ${orderId}`
      log.info('reservation committed as a sale')
    }
    if (mode === 'orchestration') await enqueue(tx, [reply(orderId, 'COMMIT', 'COMMITTED', { reason: r?.status === 'reserved' || r?.status === 'committed' ? null : `reservation ${r?.status ?? 'missing'}` }, record)])
  })
}

/**
 * Compensation: orders.failed (choreography) or RELEASE (orchestration). Returns reserved stock
 * exactly once; for an order not reserved yet, leaves a cancelled marker so it never will be.
 */
export async function release (app: FastifyInstance, record: ConsumedRecord, orderId: string, customerId: string, reason: string, mode: SagaMode, log: Logger): Promise<void> {
  await app.tx(async tx => {
    if (await seen(tx, record)) return
    const [r] = await tx<Reservation[]>`select * from reservations where order_id = ${orderId} for update`
    const orchestrated = mode === 'orchestration'
    if (!r) {
      await tx`insert into reservations (order_id, customer_id, items, mode, status, reason) values (${orderId}, ${customerId}, '[]', ${mode}, 'cancelled', ${reason})`
      log.info('order cancelled before any reservation; it will never be reserved')
      if (orchestrated) await enqueue(tx, [reply(orderId, 'RELEASE', 'NOTHING_TO_RELEASE', { reason: 'no_reservation' }, record)])
      return
    }
    if (r.status !== 'reserved') {
      if (orchestrated) await enqueue(tx, [reply(orderId, 'RELEASE', r.status === 'released' ? 'RELEASED' : 'NOTHING_TO_RELEASE', { reason: r.status }, record)])
      return
    }
    for (const item of r.items) {
      await tx`update products set reserved_quantity = reserved_quantity - ${item.quantity} where id = ${item.productId}`
      await tx`insert into stock_movements (product_id, order_id, movement_type, quantity) values (${item.productId}, ${orderId}, 'release', ${item.quantity})`
    }
    await tx`update reservations set status = 'released', reason = ${reason}, updated_at = now() where order_id = ${orderId}`
    log.info({ reason }, 'reservation released')
    await enqueue(tx, [orchestrated
      ? reply(orderId, 'RELEASE', 'RELEASED', { reason }, record)
      : { topic: 'inventory.released', value: { eventId: randomUUID(), orderId, customerId: r.customer_id, items: r.items, reason, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'inventory.released', 'choreography', record) }])
  })
}
