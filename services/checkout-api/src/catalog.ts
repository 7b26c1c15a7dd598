import type { Logger } from 'pino'
import type { Product } from '@vitrine/contracts'
import type { Db, Tx } from '@vitrine/service-kit'

// checkout-api's replica of products.catalog: event-carried state transfer. Inventory publishes
// each product's whole state on a compacted topic; this service keeps the newest version of each
// in its own table and prices orders from it, with no call to inventory on the order path.

export interface CatalogEntry { productId: string, name: string, priceCents: number, currency: string, active: boolean, version: number }

/** Applies one catalog record. An older or equal version (a redelivery, a republish) changes nothing. */
export async function applyCatalogRecord (sql: Db, p: Product, log: Logger): Promise<boolean> {
  const rows = await sql`insert into catalog_products (product_id, name, price_cents, currency, active, version)
    values (${p.productId}, ${p.name}, ${p.priceCents}, ${p.currency}, ${p.active}, ${p.version})
    on conflict (product_id) do update set name = excluded.name, price_cents = excluded.price_cents, currency = excluded.currency,
      active = excluded.active, version = excluded.version, updated_at = now()
    where catalog_products.version < excluded.version
    returning product_id`
  if (rows.length === 1) log.info({ productId: p.productId, version: p.version, priceCents: p.priceCents, active: p.active }, 'catalog replica updated')
  return rows.length === 1
}

const entry = (r: Record<string, unknown>): CatalogEntry => ({
  productId: r.product_id as string,
  name: r.name as string,
  priceCents: r.price_cents as number,
  currency: r.currency as string,
  active: r.active as boolean,
  version: r.version as number
})

/** The replica's entries for these products (inside the order's transaction, so one order sees one price). */
export async function catalogEntries (tx: Tx, productIds: readonly string[]): Promise<Map<string, CatalogEntry>> {
  const rows = await tx`select * from catalog_products where product_id = any(${[...new Set(productIds)]})`
  return new Map(rows.map(r => [r.product_id as string, entry(r)]))
}

export async function allCatalogEntries (sql: Db): Promise<CatalogEntry[]> {
  return (await sql`select * from catalog_products order by product_id`).map(entry)
}
