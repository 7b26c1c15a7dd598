import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { InventoryReply, Item, SagaMode } from '@vitrine/contracts'
import { compensate, enqueue, eventHeaders } from '@vitrine/service-kit'
import type { EventContext, Logger, OutboxEvent, Tx } from '@vitrine/service-kit'
import { availableUnits, confirmUnits, releaseUnits, reserveUnits } from './db/stock.ts'
import { firstDeliveryLockingReservation, insertReservation, lockReservation, setReservationStatus } from './db/reservations.ts'
import type { ReservationRow } from './db/reservations.ts'

// The business rules of inventory, shared by both saga modes: all items of an order are reserved
// in one transaction or none is; stock can never go negative; confirm and release happen at most
// once per order; an order cancelled before its reservation is never reserved afterwards.

const SERVICE = 'inventory'

/** Same product twice in an order counts once, with the quantities added; sorted so concurrent orders lock rows in one order (no deadlocks). */
export function mergeItems (items: readonly Item[]): Item[] {
  const byId = new Map<string, number>()
  for (const i of items) byId.set(i.productId, (byId.get(i.productId) ?? 0) + i.quantity)
  return [...byId.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([productId, quantity]) => ({ productId, quantity }))
}

function reply (orderId: string, command: InventoryReply['command'], outcome: InventoryReply['outcome'], extra: { reason?: string | null, productId?: string | null }, cause: EventContext): OutboxEvent<'inventory.replies'> {
  return {
    topic: 'inventory.replies',
    value: { eventId: randomUUID(), orderId, command, outcome, reason: extra.reason ?? null, productId: extra.productId ?? null, occurredAt: Date.now() },
    headers: eventHeaders(SERVICE, 'inventory.replies', 'orchestration', cause)
  }
}

class OutOfStock extends Error {
  constructor (readonly productId: string, readonly reason: 'insufficient_stock' | 'unknown_product', readonly requested: number, readonly available: number) {
    super(`${reason}: ${productId}`)
  }
}

export interface ReserveRequest { orderId: string, customerId: string, items: Item[], mode: SagaMode }

/** payments.approved (choreography) or RESERVE (orchestration). */
export async function reserve (app: FastifyInstance, cause: EventContext, req: ReserveRequest, log: Logger): Promise<void> {
  await app.tx(async tx => {
    const { first, row: existing } = await firstDeliveryLockingReservation(tx, cause, req.orderId)
    if (!first) return
    if (existing) {
      log.info({ status: existing.status }, 'reservation already decided for this order; not reserving again')
      if (req.mode === 'orchestration') {
        const outcome = existing.status === 'reserved' || existing.status === 'committed' ? 'RESERVED' : 'FAILED'
        await enqueue(tx, [reply(req.orderId, 'RESERVE', outcome, { reason: existing.status === 'cancelled' ? 'order_cancelled' : existing.reason }, cause)])
      }
      return
    }
    const items = mergeItems(req.items)
    const reserveAll = async (q: Tx): Promise<void> => {
      for (const item of items) {
        if (!(await reserveUnits(q, item.productId, req.orderId, item.quantity))) {
          const available = await availableUnits(q, item.productId)
          throw new OutOfStock(item.productId, available === undefined ? 'unknown_product' : 'insufficient_stock', item.quantity, available ?? 0)
        }
      }
    }
    try {
      // A savepoint: if any item is short, every update made for this order is undone. One item
      // needs none (its failed reserve changed nothing), which saves two round trips.
      if (items.length === 1) await reserveAll(tx)
      else await tx.savepoint(reserveAll)
    } catch (err) {
      if (!(err instanceof OutOfStock)) throw err
      await insertReservation(tx, { orderId: req.orderId, customerId: req.customerId, items, mode: req.mode, status: 'failed', reason: err.reason })
      log.info({ productId: err.productId, requested: err.requested, available: err.available }, 'reservation failed')
      await enqueue(tx, [req.mode === 'orchestration'
        ? reply(req.orderId, 'RESERVE', 'FAILED', { reason: err.reason, productId: err.productId }, cause)
        : { topic: 'inventory.failed', value: { eventId: randomUUID(), orderId: req.orderId, customerId: req.customerId, reason: err.reason, productId: err.productId, requested: err.requested, available: err.available, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'inventory.failed', 'choreography', cause) }])
      return
    }
    await insertReservation(tx, { orderId: req.orderId, customerId: req.customerId, items, mode: req.mode, status: 'reserved', reason: null })
    log.info({ items: items.length }, 'stock reserved')
    await enqueue(tx, [req.mode === 'orchestration'
      ? reply(req.orderId, 'RESERVE', 'RESERVED', {}, cause)
      : { topic: 'inventory.reserved', value: { eventId: randomUUID(), orderId: req.orderId, customerId: req.customerId, items, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'inventory.reserved', 'choreography', cause) }])
  })
}

/** orders.confirmed (choreography) or COMMIT (orchestration): the reservation becomes a sale. */
export async function commit (app: FastifyInstance, cause: EventContext, orderId: string, mode: SagaMode, log: Logger): Promise<void> {
  await app.tx(async tx => {
    const { first, row: r } = await firstDeliveryLockingReservation(tx, cause, orderId)
    if (!first) return
    if (r?.status === 'reserved') {
      for (const item of r.items) await confirmUnits(tx, item.productId, orderId, item.quantity)
      await setReservationStatus(tx, orderId, 'committed')
      log.info('reservation committed as a sale')
    }
    if (mode === 'orchestration') await enqueue(tx, [reply(orderId, 'COMMIT', 'COMMITTED', { reason: r?.status === 'reserved' || r?.status === 'committed' ? null : `reservation ${r?.status ?? 'missing'}` }, cause)])
  })
}

/**
 * Compensation: orders.failed (choreography) or RELEASE (orchestration). Returns reserved stock
 * exactly once; for an order not reserved yet, leaves a cancelled marker so it never will be.
 */
export async function release (app: FastifyInstance, cause: EventContext, orderId: string, customerId: string, reason: string, mode: SagaMode, log: Logger): Promise<void> {
  const orchestrated = mode === 'orchestration'
  await compensate<ReservationRow>(app, 'release', { eventId: cause.eventId, topic: cause.topic, mode }, {
    find: async tx => await lockReservation(tx, orderId),
    markCancelled: async tx => {
      await insertReservation(tx, { orderId, customerId, items: [], mode, status: 'cancelled', reason })
      log.info('order cancelled before any reservation; it will never be reserved')
      return orchestrated ? [reply(orderId, 'RELEASE', 'NOTHING_TO_RELEASE', { reason: 'no_reservation' }, cause)] : []
    },
    undoable: r => r.status === 'reserved',
    undo: async (tx, r) => {
      for (const item of r.items) await releaseUnits(tx, item.productId, orderId, item.quantity)
      await setReservationStatus(tx, orderId, 'released', reason)
      log.info({ reason }, 'reservation released')
      return [orchestrated
        ? reply(orderId, 'RELEASE', 'RELEASED', { reason }, cause)
        : { topic: 'inventory.released', value: { eventId: randomUUID(), orderId, customerId: r.customer_id, items: r.items, reason, occurredAt: Date.now() }, headers: eventHeaders(SERVICE, 'inventory.released', 'choreography', cause) }]
    },
    settled: r => orchestrated ? [reply(orderId, 'RELEASE', r.status === 'released' ? 'RELEASED' : 'NOTHING_TO_RELEASE', { reason: r.status }, cause)] : []
  })
}
