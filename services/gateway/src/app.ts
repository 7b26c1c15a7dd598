import type { FastifyPluginAsync } from 'fastify'
import { authPlugin, configPlugin, doorsPlugin, errorsPlugin, metricsPlugin, openapiPlugin } from '@vitrine/service-kit'
import { GATEWAY_ACCESS } from './access.ts'
import authRoutes from './routes/api/auth.ts'
import type { GatewayConfigType } from './config.ts'
import kafkaPlugin from './plugins/external/kafka.ts'
import registryPlugin from './plugins/external/registry.ts'
import socketPlugin from './plugins/external/socket.ts'
import livePlugin from './plugins/app/live.ts'
import observabilityPlugin from './plugins/app/observability.ts'
import comparePlugin from './plugins/app/compare.ts'
import exercisesPlugin from './plugins/app/exercises.ts'
import chaosPlugin from './plugins/app/chaos.ts'
import replayPlugin from './plugins/app/replay.ts'
import streamsPlugin from './plugins/app/streams.ts'
import healthRoutes from './routes/health.ts'
import apiRoutes from './routes/api/index.ts'
import salesCounterRoutes from './routes/api/sales-counter.ts'
import streamsRoutes from './routes/api/streams.ts'

/**
 * The gateway: the browser's one door into Vitrine. It watches every catalog topic and pushes
 * what happens to the browsers (socket.io), answers the console's questions about the broker,
 * the consumer groups and the Schema Registry, and forwards shop calls to the services.
 * It writes nothing to Kafka except the topics a teacher creates or deletes from the console.
 */
const GATEWAY_DESCRIPTION = `A porta do navegador na Vitrine: o console do broker (tópicos, consumer groups, Schema Registry),
o feed ao vivo, a comparação coreografia × orquestração, as métricas do Prometheus e as chamadas à loja, repassadas
aos serviços donos delas. Os documentos dos outros serviços estão no seletor acima.`

/**
 * Routes that cost the machine (a comparison runs two sagas, a check runs an exercise's checker, a
 * topic is created or deleted on the broker) or that an instructor uses a few times a class: each gets
 * this share of RATE_LIMIT_MAX per client, counted apart (1200/min by default: 30, 10, 6...).
 */
const ROUTE_SHARES: Record<string, number> = {
  'POST /api/compare': 1 / 120,
  'POST /api/topics': 1 / 40,
  'DELETE /api/topics/:name': 1 / 40,
  'PUT /api/shop/traffic': 1 / 60,
  'POST /api/streams/sql': 1 / 40,
  'POST /api/exercises/:n/check': 1 / 40,
  'POST /api/chaos/drills': 1 / 120,
  'POST /api/admin/reset': 1 / 240,
  'POST /api/dlq/replay': 1 / 40,
  'POST /api/orders/:orderId/replay': 1 / 40,
  'POST /api/shop/orders': 1 / 4
}

const app: FastifyPluginAsync<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  // external: configuration, errors, metrics and the clients of Kafka, the registry and the browsers
  await fastify.register(errorsPlugin)
  // Before any route and the token check: Host and Origin allow-lists and rate limits, with costly routes' own shares (issue 16).
  await fastify.register(doorsPlugin, { config, routeShares: ROUTE_SHARES })
  // Before any route: every route gets its token check (HTTP_AUTH=jwt) from access.ts.
  await fastify.register(authPlugin, { config, policy: GATEWAY_ACCESS })
  // Before any route: the OpenAPI document (GET /openapi.json, and the docs page at /api/docs) comes from the routes' schemas.
  await fastify.register(openapiPlugin, { service: 'gateway', description: GATEWAY_DESCRIPTION })
  await fastify.register(configPlugin, { config })
  await fastify.register(metricsPlugin, { service: 'gateway' })
  await fastify.register(kafkaPlugin, { config })
  await fastify.register(registryPlugin)
  await fastify.register(socketPlugin, { config })
  // app: the live feed, the comparison of the two saga styles, the exercises' scoreboard
  await fastify.register(livePlugin, { config })
  await fastify.register(observabilityPlugin, { config })
  await fastify.register(comparePlugin, { config })
  await fastify.register(exercisesPlugin, { config })
  await fastify.register(chaosPlugin, { config })
  // An order's records re-read from the topics and played into the live view (instructor), pushed as `order-replay`.
  await fastify.register(replayPlugin, { config })
  // The Flink jobs' KPIs, followed from their output topics and pushed as `kpis`.
  await fastify.register(streamsPlugin, { config })
  // routes
  await fastify.register(healthRoutes)
  await fastify.register(apiRoutes, { prefix: '/api', config })
  // The dev issuer the UI signs in with (POST /api/auth/token).
  await fastify.register(authRoutes, { prefix: '/api', config })
  // The Exactly-once page's calls, forwarded to the sales-counter.
  await fastify.register(salesCounterRoutes, { prefix: '/api', config })
  // The KPI panel and the SQL page (Flink's SQL Gateway, read-only).
  await fastify.register(streamsRoutes, { prefix: '/api', config })
}

export default app
