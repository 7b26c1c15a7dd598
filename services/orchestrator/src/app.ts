import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { kit } from '@vitrine/service-kit'
import type { OrchestratorConfigType } from './config.ts'
import { ORCHESTRATOR_ACCESS } from './access.ts'
import sagas from './plugins/app/sagas.ts'
import consumers from './consumers.ts'
import sagaRoutes from './routes/sagas.ts'

// The first lines of its OpenAPI document (GET /openapi.json, listed on the gateway's /api/docs).
const DESCRIPTION = 'O orquestrador da saga no modo orquestrado: comanda pagamento e estoque e mostra cada saga (GET /sagas).'

/**
 * The orchestrator owns the orchestrated sagas: it turns orders.new into commands for payment and
 * inventory, reacts to their replies, compensates on failure or timeout, and tells checkout-api how
 * the order ended. Choreographed orders pass by untouched. It only runs sagas: the comparison of
 * the two styles is the gateway's, which observes.
 */
const app: FastifyPluginAsync<{ config: OrchestratorConfigType }> = async (fastify, { config }) => {
  // external: the kit's clients (config, metrics, PostgreSQL, registry, producer, outbox relay, consumers, health)
  await fastify.register(kit, { service: 'orchestrator', description: DESCRIPTION, access: ORCHESTRATOR_ACCESS, schema: 'orchestrator', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })
  // app: the sagas' runtime and step sweeper, then what the orchestrator reads
  await fastify.register(sagas, { config })
  await fastify.register(consumers)
  // routes
  await fastify.register(sagaRoutes)
}

export default app
