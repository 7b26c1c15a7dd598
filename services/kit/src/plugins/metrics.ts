import fp from 'fastify-plugin'
import type { Registry } from 'prom-client'
import { createRegistry, kitMetrics } from '../metrics.ts'
import type { KitMetrics } from '../metrics.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry, kit: KitMetrics, prefix: string }
  }
}

/** One prom-client registry per app instance (tests build many apps in one process), served on /metrics. */
export default fp<{ service: string }>(async (fastify, opts) => {
  const registry = createRegistry(opts.service)
  fastify.decorate('metrics', { registry, kit: kitMetrics(registry, opts.service), prefix: opts.service.replace(/[^a-zA-Z0-9]/g, '_') })
  fastify.get('/metrics', { schema: { hide: true, response: { 200: { type: 'string' } } } }, async (_req, reply) => {
    reply.type(registry.contentType)
    return await registry.metrics()
  })
  fastify.addHook('onClose', async () => registry.clear())
}, { name: 'vitrine-metrics' })
