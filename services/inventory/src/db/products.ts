import type { Db, Tx } from '@vitrine/service-kit'

// The products table: what the catalog carries (name, price, active, version) and the stock
// counters the reservations move (db/stock.ts changes those, together with the ledger).

export interface ProductRow { id: string, name: string, price_cents: number, stock_quantity: number, reserved_quantity: number, active: boolean, version: number }

type Query = Db | Tx

export async function listProducts (sql: Query): Promise<ProductRow[]> {
  return await sql<ProductRow[]>`select id, name, price_cents, stock_quantity, reserved_quantity, active, version from products order by id`
}

export async function findProduct (sql: Query, id: string): Promise<ProductRow | undefined> {
  const [row] = await sql<ProductRow[]>`select id, name, price_cents, stock_quantity, reserved_quantity, active, version from products where id = ${id}`
  return row
}

/** Locks the product for a change of what the catalog carries. */
export async function lockProduct (tx: Tx, id: string): Promise<ProductRow | undefined> {
  const [row] = await tx<ProductRow[]>`select id, name, price_cents, stock_quantity, reserved_quantity, active, version from products where id = ${id} for update`
  return row
}

/** Undefined if the id is taken. */
export async function insertProduct (tx: Tx, p: { id: string, name: string, priceCents: number, stock: number }): Promise<ProductRow | undefined> {
  const [row] = await tx<ProductRow[]>`insert into products (id, name, price_cents, stock_quantity) values (${p.id}, ${p.name}, ${p.priceCents}, ${p.stock})
    on conflict (id) do nothing returning id, name, price_cents, stock_quantity, reserved_quantity, active, version`
  return row
}

/** A new price and active flag, as a new version of the product. */
export async function setCatalogFields (tx: Tx, id: string, priceCents: number, active: boolean): Promise<ProductRow> {
  const [row] = await tx<ProductRow[]>`update products set price_cents = ${priceCents}, active = ${active}, version = version + 1, updated_at = now()
    where id = ${id} returning id, name, price_cents, stock_quantity, reserved_quantity, active, version`
  return row!
}

/** Adds stock unless it would pass `max` (stock_quantity is a 32-bit column); undefined if unknown or over. */
export async function addStock (tx: Tx, id: string, quantity: number, max: number): Promise<ProductRow | undefined> {
  const [row] = await tx<ProductRow[]>`update products set stock_quantity = stock_quantity + ${quantity}
    where id = ${id} and stock_quantity::bigint + ${quantity} <= ${max} returning id, name, price_cents, stock_quantity, reserved_quantity, active, version`
  return row
}
