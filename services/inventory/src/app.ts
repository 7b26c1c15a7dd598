import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { kit } from '@vitrine/service-kit'
import type { InventoryConfigType } from './config.ts'
import { INVENTORY_ACCESS } from './access.ts'
import consumers from './consumers.ts'
import catalogSync from './plugins/app/catalog-sync.ts'
import routes from './routes/index.ts'

// The first lines of its OpenAPI document (GET /openapi.json, listed on the gateway's /api/docs).
const DESCRIPTION = 'Dono do catálogo e do estoque: produtos, preços (publicados em products.catalog), reservas e liberações de estoque de cada pedido.'

/**
 * Inventory: owns products and their stock. Reserves, sells and releases stock for both saga
 * modes and publishes the product catalog on products.catalog.
 */
const app: FastifyPluginAsync<{ config: InventoryConfigType }> = async (fastify, { config }) => {
  // external: the kit's clients (config, metrics, database, registry, producer, outbox, consumers, health)
  await fastify.register(kit, { service: 'inventory', description: DESCRIPTION, access: INVENTORY_ACCESS, schema: 'inventory', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })
  // app: the topic → handler map and the catalog's start-time check
  await fastify.register(consumers)
  await fastify.register(catalogSync)
  // routes
  await fastify.register(routes)
}

export default app
