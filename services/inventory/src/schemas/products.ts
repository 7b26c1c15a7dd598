import { Type } from 'typebox'
import type { Static } from 'typebox'
import type { ProductRow } from '../db/products.ts'

export const Product = Type.Object({ id: Type.String(), name: Type.String(), priceCents: Type.Integer(), active: Type.Boolean(), version: Type.Integer(), stock: Type.Integer(), reserved: Type.Integer(), available: Type.Integer() }, {
  examples: [{ id: 'caneca-kafka', name: 'Caneca Kafka', priceCents: 4990, active: true, version: 3, stock: 120, reserved: 4, available: 116 }]
})
export type ProductType = Static<typeof Product>

export const ProductList = Type.Object({ products: Type.Array(Product) })

export const PriceCents = Type.Integer({ minimum: 1, maximum: 100_000_000 })
export const ProductId = Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9_.-]+$' })
// A name shows on pages and in events: no control character at all (the kit already refuses NUL everywhere).
export const ProductName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })

export const ProductParams = Type.Object({ id: ProductId })
export const NewProduct = Type.Object({ id: ProductId, name: ProductName, priceCents: PriceCents, stock: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }, { additionalProperties: false, examples: [{ id: 'caneca-kafka', name: 'Caneca Kafka', priceCents: 4990, stock: 120 }] })
export const PriceChange = Type.Object({ priceCents: PriceCents }, { additionalProperties: false })
export const ActiveChange = Type.Object({ active: Type.Boolean() }, { additionalProperties: false })
export const Restock = Type.Object({ quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, { additionalProperties: false })

export const productView = (p: ProductRow): ProductType => ({
  id: p.id,
  name: p.name,
  priceCents: p.price_cents,
  active: p.active,
  version: p.version,
  stock: p.stock_quantity,
  reserved: p.reserved_quantity,
  available: p.stock_quantity - p.reserved_quantity
})
