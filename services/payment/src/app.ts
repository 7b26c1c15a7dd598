import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { kit } from '@vitrine/service-kit'
import type { PaymentConfigType } from './config.ts'
import { PAYMENT_ACCESS } from './access.ts'
import consumers from './consumers.ts'
import sweeper from './plugins/app/sweeper.ts'
import routes from './routes/index.ts'

// The first lines of its OpenAPI document (GET /openapi.json, listed on the gateway's /api/docs).
const DESCRIPTION = 'Cobranças e estornos simulados de cada pedido; GET /payments/:orderId mostra a cobrança de um pedido.'

/**
 * Payment: owns the charges. Charges at most once per order through a simulated card network,
 * refunds at most once, for both saga modes.
 */
const app: FastifyPluginAsync<{ config: PaymentConfigType }> = async (fastify, { config }) => {
  // external: the kit's clients (config, metrics, database, registry, producer, outbox, consumers, health)
  await fastify.register(kit, { service: 'payment', description: DESCRIPTION, access: PAYMENT_ACCESS, schema: 'payment', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })
  // app: the topic → handler map and the card network's sweeper
  await fastify.register(consumers, { config })
  await fastify.register(sweeper, { config })
  // routes
  await fastify.register(routes)
}

export default app
