import fp from 'fastify-plugin'
import { Counter, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import { createRegistry, kitMetrics } from '../metrics.ts'
import type { KitMetrics } from '../metrics.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry, kit: KitMetrics }
  }
}

/** One prom-client registry per app instance (tests build many apps in one process), served on /metrics. */
export default fp<{ service: string }>(async (fastify, opts) => {
  const registry = createRegistry(opts.service)
  fastify.decorate('metrics', { registry, kit: kitMetrics(registry) })
  const registers = [registry]
  const requests = new Counter({ name: 'vitrine_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status', labelNames: ['method', 'route', 'status'] as const, registers })
  const duration = new Histogram({ name: 'vitrine_http_request_duration_seconds', help: 'Time from request to response sent, by method and route pattern', labelNames: ['method', 'route'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers })
  // The route pattern, never the raw URL (an order id per series would grow without bound); unmatched URLs share one label.
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    if (route === '/metrics') return
    const method = request.method
    requests.inc({ method, route, status: String(reply.statusCode) })
    duration.observe({ method, route }, reply.elapsedTime / 1000)
  })
  fastify.get('/metrics', { schema: { hide: true, response: { 200: { type: 'string' } } } }, async (_req, reply) => {
    reply.type(registry.contentType)
    return await registry.metrics()
  })
  fastify.addHook('onClose', async () => registry.clear())
}, { name: 'vitrine-metrics' })
