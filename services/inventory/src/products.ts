import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { HEADERS } from '@vitrine/contracts'
import { enqueue, readTopicNow } from '@vitrine/service-kit'
import type { Logger, OutboxEvent, Tx } from '@vitrine/service-kit'
import { addStock, insertProduct, listProducts, lockProduct, setCatalogFields } from './db/products.ts'
import type { ProductRow } from './db/products.ts'
import { addMovement } from './db/stock.ts'

// Products as inventory owns them, and their publication on products.catalog. Every change of
// what the catalog carries (name, price, active) bumps `version` and enqueues the product's new
// state in the same transaction (outbox), so the topic can never miss or reorder a change.
// Stock is not published: it moves at every reservation and is decided here, at reservation time.

const SERVICE = 'inventory'

/** The catalog record for a product's current state. Not a saga event: no saga-mode header. */
export function catalogRecord (p: ProductRow): OutboxEvent<'products.catalog'> {
  return {
    topic: 'products.catalog',
    value: { eventId: randomUUID(), productId: p.id, name: p.name, priceCents: p.price_cents, currency: 'BRL', active: p.active, version: p.version, occurredAt: Date.now() },
    headers: { [HEADERS.eventType]: 'products.catalog', [HEADERS.producer]: SERVICE, [HEADERS.correlationId]: p.id }
  }
}

/** A new product with its initial stock (as a restock movement); undefined if the id is taken. */
export async function createProduct (tx: Tx, p: { id: string, name: string, priceCents: number, stock: number }): Promise<ProductRow | undefined> {
  const row = await insertProduct(tx, p)
  if (!row) return undefined
  if (p.stock > 0) await addMovement(tx, { productId: p.id, orderId: null, type: 'restock', quantity: p.stock })
  await enqueue(tx, [catalogRecord(row)])
  return row
}

/** A new price (or active flag); the same value again changes nothing and publishes nothing. */
export async function updateProduct (tx: Tx, id: string, change: { priceCents?: number, active?: boolean }): Promise<ProductRow | undefined> {
  const current = await lockProduct(tx, id)
  if (!current) return undefined
  const priceCents = change.priceCents ?? current.price_cents
  const active = change.active ?? current.active
  if (priceCents === current.price_cents && active === current.active) return current
  const row = await setCatalogFields(tx, id, priceCents, active)
  await enqueue(tx, [catalogRecord(row)])
  return row
}

/**
 * Makes sure products.catalog holds every product at its current version: reads the topic as it
 * is now and enqueues the products it lacks or holds at an older version (after the seed, a
 * topic that was recreated, a change made by hand in the database). Running it again publishes
 * nothing new, so it is safe at every start.
 */
export async function publishMissingProducts (app: FastifyInstance, log: Logger): Promise<number> {
  const topicName = app.config.TOPIC_PREFIX + 'products.catalog'
  const published = new Map<string, number>()
  for (const r of await readTopicNow(app.config.KAFKA_BROKERS, topicName)) {
    if (!r.key || !r.value) continue
    const v = await app.serde.decode(r.value, 'products.catalog')
    published.set(r.key, Math.max(published.get(r.key) ?? 0, v.version))
  }
  const n = await app.tx(async tx => {
    const rows = await listProducts(tx)
    const missing = rows.filter(p => (published.get(p.id) ?? 0) < p.version)
    await enqueue(tx, missing.map(catalogRecord))
    return missing.length
  })
  log.info({ published: n, alreadyOnTopic: published.size }, 'catalog checked against products.catalog')
  return n
}

// stock_quantity is a 32-bit integer column: a cap well below 2^31 turns an overflowing restock into a 400.
export const MAX_STOCK = 1_000_000_000

/** More stock, as a restock movement; undefined if the product is unknown or would pass MAX_STOCK. */
export async function restock (tx: Tx, id: string, quantity: number): Promise<ProductRow | undefined> {
  const row = await addStock(tx, id, quantity, MAX_STOCK)
  if (row) await addMovement(tx, { productId: id, orderId: null, type: 'restock', quantity })
  return row
}
