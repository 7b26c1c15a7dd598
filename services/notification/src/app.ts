import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { kit } from '@vitrine/service-kit'
import type { NotificationConfigType } from './config.ts'
import consumers from './consumers.ts'
import sweeper from './plugins/app/sweeper.ts'

// The first lines of its OpenAPI document (GET /openapi.json, listed on the gateway's /api/docs).
const DESCRIPTION = 'Notificações simuladas (e-mail, SMS, push) dos pedidos encerrados; só tem as rotas de saúde.'

/** Tells the customer how the order ended. It observes outcomes; it takes no part in the saga's decisions. */
const app: FastifyPluginAsync<{ config: NotificationConfigType }> = async (fastify, { config }) => {
  // external: the kit's clients (config, metrics, PostgreSQL, registry, producer, outbox relay, consumers, health)
  await fastify.register(kit, { service: 'notification', description: DESCRIPTION, schema: 'notification', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })
  // app: what it reads, and the sweeper of notifications left pending
  await fastify.register(consumers)
  await fastify.register(sweeper, { everyMs: 5000 })
  // routes: none of its own; /health and /metrics come from the kit
}

export default app
