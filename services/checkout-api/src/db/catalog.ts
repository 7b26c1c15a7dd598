import type { Product } from '@vitrine/contracts'
import type { Db, Tx } from '@vitrine/service-kit'

// checkout-api's replica of products.catalog (event-carried state transfer): inventory publishes
// each product's whole state on a compacted topic; this table keeps the newest version of each,
// and orders are priced from it with no call to inventory on the order path.

export interface CatalogEntry { productId: string, name: string, priceCents: number, currency: string, active: boolean, version: number }

interface CatalogRow { product_id: string, name: string, price_cents: number, currency: string, active: boolean, version: number }

const entry = (r: CatalogRow): CatalogEntry => ({ productId: r.product_id, name: r.name, priceCents: r.price_cents, currency: r.currency, active: r.active, version: r.version })

/** Stores a product's state unless the replica holds this version or a newer one. True when it changed. */
export async function upsertProduct (sql: Db, p: Product): Promise<boolean> {
  const rows = await sql`insert into catalog_products (product_id, name, price_cents, currency, active, version)
    values (${p.productId}, ${p.name}, ${p.priceCents}, ${p.currency}, ${p.active}, ${p.version})
    on conflict (product_id) do update set name = excluded.name, price_cents = excluded.price_cents, currency = excluded.currency,
      active = excluded.active, version = excluded.version, updated_at = now()
    where catalog_products.version < excluded.version
    returning product_id`
  return rows.length === 1
}

/** The replica's entries for these products (inside the order's transaction, so one order sees one price). */
export async function catalogEntries (tx: Tx, productIds: readonly string[]): Promise<Map<string, CatalogEntry>> {
  const rows = await tx<CatalogRow[]>`select product_id, name, price_cents, currency, active, version from catalog_products where product_id = any(${[...new Set(productIds)]})`
  return new Map(rows.map(r => [r.product_id, entry(r)]))
}

export async function allCatalogEntries (sql: Db): Promise<CatalogEntry[]> {
  return (await sql<CatalogRow[]>`select product_id, name, price_cents, currency, active, version from catalog_products order by product_id`).map(entry)
}
