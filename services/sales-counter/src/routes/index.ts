import type { FastifyPluginAsync } from 'fastify'
import counter from './counter.ts'
import health from './health.ts'

/** Every sales-counter route; schemas are in ../schemas. */
const routes: FastifyPluginAsync = async (fastify) => {
  await fastify.register(health)
  await fastify.register(counter)
}

export default routes
