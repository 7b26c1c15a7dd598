import type { FastifyPluginAsync } from 'fastify'
import { authPlugin, configPlugin, errorsPlugin, metricsPlugin, openapiPlugin } from '@vitrine/service-kit'
import type { SalesCounterConfigType } from './config.ts'
import { SALES_COUNTER_ACCESS } from './access.ts'
import counter from './plugins/app/counter.ts'
import routes from './routes/index.ts'

// The first lines of its OpenAPI document (GET /openapi.json, listed on the gateway's /api/docs).
const DESCRIPTION = `Conta os pedidos confirmados e a receita (orders.confirmed → sales.totals, compactado), em
at-least-once ou em exactly-once com transações Kafka; o ponto de crash, o zumbi cercado e os dois leitores
(read_uncommitted × read_committed) da página Exactly-once.`

/**
 * Kafka-to-Kafka processing with no database: its only state is its last committed record on
 * sales.totals. So it takes the kit's config, errors, metrics and OpenAPI, not its PostgreSQL,
 * outbox or consumer engine (which commit offsets apart from what they produce).
 */
const app: FastifyPluginAsync<{ config: SalesCounterConfigType }> = async (fastify, { config }) => {
  // external: errors, OpenAPI, configuration, metrics
  await fastify.register(errorsPlugin)
  // Before any route: every route gets its token check (HTTP_AUTH=jwt) from access.ts.
  await fastify.register(authPlugin, { config, policy: SALES_COUNTER_ACCESS })
  await fastify.register(openapiPlugin, { service: 'sales-counter', description: DESCRIPTION })
  await fastify.register(configPlugin, { config })
  await fastify.register(metricsPlugin, { service: 'sales-counter' })
  // app: the counter (its consumer and producers) and the recount
  await fastify.register(counter, { config })
  // routes
  await fastify.register(routes)
}

export default app
