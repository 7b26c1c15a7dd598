import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { kit } from '@vitrine/service-kit'
import type { CheckoutConfigType } from './config.ts'
import { CHECKOUT_ACCESS } from './access.ts'
import consumers from './consumers.ts'
import metricsPlugin from './plugins/app/metrics.ts'
import sweepers from './plugins/app/sweepers.ts'
import traffic from './plugins/app/traffic.ts'
import ordersRoutes from './routes/orders.ts'
import catalogRoutes from './routes/catalog.ts'
import trafficRoutes from './routes/traffic.ts'

// The first lines of its OpenAPI document (GET /openapi.json, listed on the gateway's /api/docs).
const DESCRIPTION = 'Recebe os pedidos (POST /orders, com Idempotency-Key), precifica pela sua réplica de products.catalog, grava orders.new pela outbox e encerra cada pedido (orders.confirmed / orders.failed). Também o gerador de tráfego.'

/**
 * checkout-api owns orders. It accepts them over HTTP, prices them from its replica of
 * products.catalog, writes orders.new, and ends each order (consumers.ts). It alone writes
 * orders.confirmed and orders.failed.
 */
const app: FastifyPluginAsync<{ config: CheckoutConfigType }> = async (fastify, { config }) => {
  // external: the kit's clients (config, metrics, PostgreSQL, registry, producer, outbox relay, consumers, health)
  await fastify.register(kit, { service: 'checkout-api', description: DESCRIPTION, access: CHECKOUT_ACCESS, schema: 'checkout', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })
  // app: what checkout-api reads, its sweepers, the traffic generator and its gauges
  await fastify.register(consumers)
  await fastify.register(sweepers, { config })
  await fastify.register(traffic, { config })
  await fastify.register(metricsPlugin)
  // routes
  await fastify.register(ordersRoutes, { config })
  await fastify.register(catalogRoutes)
  await fastify.register(trafficRoutes)
}

export default app
