import type { FastifyPluginAsync } from 'fastify'
import products from './products.ts'
import reservations from './reservations.ts'
import stock from './stock.ts'

/** Every inventory route; each file holds one resource, its schemas are in ../schemas. */
const routes: FastifyPluginAsync = async (fastify) => {
  await fastify.register(products)
  await fastify.register(reservations)
  await fastify.register(stock)
}

export default routes
