import type { Db, Tx } from '@vitrine/service-kit'

// Stock as a ledger: every change of a product's stock or reserved counter is a row in
// stock_movements, in the same transaction, so the counters can always be recomputed from them.

export type MovementType = 'restock' | 'reserve' | 'confirm' | 'release'

export async function addMovement (tx: Tx, m: { productId: string, orderId: string | null, type: MovementType, quantity: number }): Promise<void> {
  await tx`insert into stock_movements (product_id, order_id, movement_type, quantity) values (${m.productId}, ${m.orderId}, ${m.type}, ${m.quantity})`
}

/**
 * Reserves units if that many are free, with its ledger row, in one statement. The row lock and the
 * check are one statement, so two orders for the last unit cannot both win. False if the product is
 * short or unknown (then nothing changed).
 */
export async function reserveUnits (tx: Tx, productId: string, orderId: string, quantity: number): Promise<boolean> {
  const rows = await tx`with moved as (update products set reserved_quantity = reserved_quantity + ${quantity}
      where id = ${productId} and stock_quantity - reserved_quantity >= ${quantity} returning id)
    insert into stock_movements (product_id, order_id, movement_type, quantity) select id, ${orderId}, 'reserve', ${quantity} from moved returning product_id`
  return rows.length === 1
}

/** Units free to reserve; undefined for an unknown product. */
export async function availableUnits (tx: Tx, productId: string): Promise<number | undefined> {
  const [row] = await tx<Array<{ available: number }>>`select stock_quantity - reserved_quantity as available from products where id = ${productId}`
  return row?.available
}

/** A reservation becomes a sale: the units leave stock and the reserved counter; with its ledger row, in one statement. */
export async function confirmUnits (tx: Tx, productId: string, orderId: string, quantity: number): Promise<void> {
  await tx`with moved as (update products set stock_quantity = stock_quantity - ${quantity}, reserved_quantity = reserved_quantity - ${quantity} where id = ${productId} returning id)
    insert into stock_movements (product_id, order_id, movement_type, quantity) select id, ${orderId}, 'confirm', ${quantity} from moved`
}

/** Reserved units go back; with its ledger row, in one statement. */
export async function releaseUnits (tx: Tx, productId: string, orderId: string, quantity: number): Promise<void> {
  await tx`with moved as (update products set reserved_quantity = reserved_quantity - ${quantity} where id = ${productId} returning id)
    insert into stock_movements (product_id, order_id, movement_type, quantity) select id, ${orderId}, 'release', ${quantity} from moved`
}

export interface LedgerMismatch { productId: string, stock: number, expectedStock: number, reserved: number, expectedReserved: number }

/** Products whose counters differ from what their movements add up to (none, when all is well). */
export async function ledgerMismatches (sql: Db | Tx): Promise<LedgerMismatch[]> {
  const rows = await sql<Array<{ id: string, stock_quantity: number, reserved_quantity: number, expected_stock: string, expected_reserved: string }>>`
    select p.id, p.stock_quantity, p.reserved_quantity,
      coalesce(sum(m.quantity) filter (where m.movement_type = 'restock'), 0) - coalesce(sum(m.quantity) filter (where m.movement_type = 'confirm'), 0) as expected_stock,
      coalesce(sum(m.quantity) filter (where m.movement_type = 'reserve'), 0) - coalesce(sum(m.quantity) filter (where m.movement_type = 'release'), 0) - coalesce(sum(m.quantity) filter (where m.movement_type = 'confirm'), 0) as expected_reserved
    from products p left join stock_movements m on m.product_id = p.id
    group by p.id`
  return rows
    .filter(r => Number(r.expected_stock) !== r.stock_quantity || Number(r.expected_reserved) !== r.reserved_quantity)
    .map(r => ({ productId: r.id, stock: r.stock_quantity, expectedStock: Number(r.expected_stock), reserved: r.reserved_quantity, expectedReserved: Number(r.expected_reserved) }))
}
