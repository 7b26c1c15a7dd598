import type { FastifyPluginAsync } from 'fastify'
import payments from './payments.ts'

/** Every payment route; each file holds one resource, its schemas are in ../schemas. */
const routes: FastifyPluginAsync = async (fastify) => {
  await fastify.register(payments)
}

export default routes
