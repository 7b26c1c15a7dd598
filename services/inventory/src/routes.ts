import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { ErrorBody, ShopError, invalidInput, notFound } from '@vitrine/service-kit'
import { createProduct, updateProduct } from './products.ts'

const Product = Type.Object({ id: Type.String(), name: Type.String(), priceCents: Type.Integer(), active: Type.Boolean(), version: Type.Integer(), stock: Type.Integer(), reserved: Type.Integer(), available: Type.Integer() })
const PriceCents = Type.Integer({ minimum: 1, maximum: 100_000_000 })
const ProductId = Type.String({ minLength: 1, maxLength: 50, pattern: '^[A-Za-z0-9_.-]+$' })
// A name shows on pages and in events: no control character at all (the kit already refuses NUL everywhere).
const ProductName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })
// stock_quantity is a 32-bit integer column: a cap well below 2^31 turns an overflowing restock into a 400.
export const MAX_STOCK = 1_000_000_000

const view = (p: Record<string, unknown>): Static<typeof Product> => ({
  id: p.id as string,
  name: p.name as string,
  priceCents: p.price_cents as number,
  active: p.active as boolean,
  version: p.version as number,
  stock: p.stock_quantity as number,
  reserved: p.reserved_quantity as number,
  available: (p.stock_quantity as number) - (p.reserved_quantity as number)
})

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/products', { schema: { response: { 200: Type.Object({ products: Type.Array(Product) }) } } }, async () => {
    const rows = await fastify.sql`select * from products order by id`
    return { products: rows.map(view) }
  })

  fastify.get('/products/:id', { schema: { params: Type.Object({ id: ProductId }), response: { 200: Product, 404: ErrorBody } } }, async (request) => {
    const [p] = await fastify.sql`select * from products where id = ${request.params.id}`
    if (!p) throw notFound('product', request.params.id)
    return view(p)
  })

  // For the teacher (and the tests): a new product with its initial stock, as a restock movement.
  fastify.post('/products', {
    schema: {
      body: Type.Object({ id: ProductId, name: ProductName, priceCents: PriceCents, stock: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }, { additionalProperties: false }),
      response: { 201: Product, 400: ErrorBody, 409: ErrorBody }
    }
  }, async (request, reply) => {
    const created = await fastify.tx(async tx => await createProduct(tx, request.body))
    if (!created) throw new ShopError('SHOP_ERR_PRODUCT_EXISTS', `product ${request.body.id} already exists`, 409, { id: request.body.id })
    return await reply.code(201).send(view(created as never))
  })

  // The catalog's price and active flag: each change goes out on products.catalog, and checkout-api
  // charges the new price from its next order on. Orders already placed keep the price they had.
  // TODO(auth): instructor-only once authentication exists.
  fastify.put('/products/:id/price', {
    schema: { params: Type.Object({ id: ProductId }), body: Type.Object({ priceCents: PriceCents }, { additionalProperties: false }), response: { 200: Product, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const p = await fastify.tx(async tx => await updateProduct(tx, request.params.id, { priceCents: request.body.priceCents }))
    if (!p) throw notFound('product', request.params.id)
    return view(p as never)
  })

  // An inactive product stays in the catalog (and in old orders) but cannot be ordered.
  // TODO(auth): instructor-only once authentication exists.
  fastify.put('/products/:id/active', {
    schema: { params: Type.Object({ id: ProductId }), body: Type.Object({ active: Type.Boolean() }, { additionalProperties: false }), response: { 200: Product, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const p = await fastify.tx(async tx => await updateProduct(tx, request.params.id, { active: request.body.active }))
    if (!p) throw notFound('product', request.params.id)
    return view(p as never)
  })

  fastify.post('/products/:id/restock', {
    schema: { params: Type.Object({ id: ProductId }), body: Type.Object({ quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, { additionalProperties: false }), response: { 200: Product, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const { id } = request.params
    const { quantity } = request.body
    const p = await fastify.sql.begin(async tx => {
      const [row] = await tx`update products set stock_quantity = stock_quantity + ${quantity} where id = ${id} and stock_quantity::bigint + ${quantity} <= ${MAX_STOCK} returning *`
      if (row) await tx`insert into stock_movements (product_id, movement_type, quantity) values (${id}, 'restock', ${quantity})`
      return row
    })
    if (p) return view(p)
    const [current] = await fastify.sql`select stock_quantity from products where id = ${id}`
    if (!current) throw notFound('product', id)
    const room = MAX_STOCK - (current.stock_quantity as number)
    throw invalidInput([{ field: 'body.quantity', rule: 'maximum', message: `must be <= ${room}: product ${id} has ${current.stock_quantity as number} in stock and holds at most ${MAX_STOCK}` }])
  })

  // The inventory's part of a saga's state (POST /compare on the orchestrator shows it): one reservation per order.
  const Reservation = Type.Object({ orderId: Type.String(), status: Type.String(), mode: Type.String(), reason: Type.Union([Type.String(), Type.Null()]), items: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer() })) })
  fastify.get('/reservations/:orderId', {
    schema: { params: Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 64 }) }), response: { 200: Reservation, 404: ErrorBody } }
  }, async (request) => {
    const [r] = await fastify.sql`select * from reservations where order_id = ${request.params.orderId}`
    if (!r) throw notFound('reservation for order', request.params.orderId)
    return { orderId: r.order_id as string, status: r.status as string, mode: r.mode as string, reason: (r.reason as string | null) ?? null, items: r.items as Array<{ productId: string, quantity: number }> }
  })

  // The ledger check a class can run at any time: products must equal what the movements add up to.
  fastify.get('/stock/check', {
    schema: { response: { 200: Type.Object({ consistent: Type.Boolean(), mismatches: Type.Array(Type.Object({ productId: Type.String(), stock: Type.Integer(), expectedStock: Type.Integer(), reserved: Type.Integer(), expectedReserved: Type.Integer() })) }) } }
  }, async () => {
    const rows = await fastify.sql`
      select p.id, p.stock_quantity, p.reserved_quantity,
        coalesce(sum(m.quantity) filter (where m.movement_type = 'restock'), 0) - coalesce(sum(m.quantity) filter (where m.movement_type = 'confirm'), 0) as expected_stock,
        coalesce(sum(m.quantity) filter (where m.movement_type = 'reserve'), 0) - coalesce(sum(m.quantity) filter (where m.movement_type = 'release'), 0) - coalesce(sum(m.quantity) filter (where m.movement_type = 'confirm'), 0) as expected_reserved
      from products p left join stock_movements m on m.product_id = p.id
      group by p.id`
    const mismatches = rows
      .filter(r => Number(r.expected_stock) !== r.stock_quantity || Number(r.expected_reserved) !== r.reserved_quantity)
      .map(r => ({ productId: r.id as string, stock: r.stock_quantity as number, expectedStock: Number(r.expected_stock), reserved: r.reserved_quantity as number, expectedReserved: Number(r.expected_reserved) }))
    return { consistent: mismatches.length === 0, mismatches }
  })
}

export default routes
