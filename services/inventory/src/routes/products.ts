import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody, ShopError, invalidInput, notFound } from '@vitrine/service-kit'
import { findProduct, listProducts } from '../db/products.ts'
import { MAX_STOCK, createProduct, restock, updateProduct } from '../products.ts'
import { ActiveChange, NewProduct, PriceChange, Product, ProductList, ProductParams, Restock, productView } from '../schemas/products.ts'

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/products', { schema: { response: { 200: ProductList } } }, async () => {
    return { products: (await listProducts(fastify.sql)).map(productView) }
  })

  fastify.get('/products/:id', { schema: { params: ProductParams, response: { 200: Product, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const p = await findProduct(fastify.sql, request.params.id)
    if (!p) throw notFound('product', request.params.id)
    return productView(p)
  })

  // For the teacher (and the tests): a new product with its initial stock, as a restock movement.
  fastify.post('/products', { schema: { body: NewProduct, response: { 201: Product, 400: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    const created = await fastify.tx(async tx => await createProduct(tx, request.body))
    if (!created) throw new ShopError('SHOP_ERR_PRODUCT_EXISTS', `product ${request.body.id} already exists`, 409, { id: request.body.id })
    return await reply.code(201).send(productView(created))
  })

  // The catalog's price and active flag: each change goes out on products.catalog, and checkout-api
  // charges the new price from its next order on. Orders already placed keep the price they had.
  // TODO(auth): instructor-only once authentication exists.
  fastify.put('/products/:id/price', { schema: { params: ProductParams, body: PriceChange, response: { 200: Product, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const p = await fastify.tx(async tx => await updateProduct(tx, request.params.id, { priceCents: request.body.priceCents }))
    if (!p) throw notFound('product', request.params.id)
    return productView(p)
  })

  // An inactive product stays in the catalog (and in old orders) but cannot be ordered.
  // TODO(auth): instructor-only once authentication exists.
  fastify.put('/products/:id/active', { schema: { params: ProductParams, body: ActiveChange, response: { 200: Product, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const p = await fastify.tx(async tx => await updateProduct(tx, request.params.id, { active: request.body.active }))
    if (!p) throw notFound('product', request.params.id)
    return productView(p)
  })

  fastify.post('/products/:id/restock', { schema: { params: ProductParams, body: Restock, response: { 200: Product, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const { id } = request.params
    const { quantity } = request.body
    const p = await fastify.tx(async tx => await restock(tx, id, quantity))
    if (p) return productView(p)
    const current = await findProduct(fastify.sql, id)
    if (!current) throw notFound('product', id)
    const room = MAX_STOCK - current.stock_quantity
    throw invalidInput([{ field: 'body.quantity', rule: 'maximum', message: `must be <= ${room}: product ${id} has ${current.stock_quantity} in stock and holds at most ${MAX_STOCK}` }])
  })
}

export default routes
