import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { sagaModeOf } from '@vitrine/contracts'
import type { InventoryCommand, OrderFailed, PaymentApproved } from '@vitrine/contracts'
import { kit } from '@vitrine/service-kit'
import type { InventoryConfigType } from './config.ts'
import { commit, release, reserve } from './stock.ts'
import productRoutes from './routes.ts'
import { publishMissingProducts } from './products.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Settles with how many products the start-time check published on products.catalog. */
    catalogCheck: Promise<number>
  }
}

const app: FastifyPluginAsync<{ config: InventoryConfigType }> = async (fastify, { config }) => {
  await fastify.register(kit, { service: 'inventory', schema: 'inventory', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })

  fastify.consumers.add({
    group: 'inventory',
    topics: ['payments.approved', 'orders.confirmed', 'orders.failed', 'inventory.commands'],
    handler: async (record, log) => {
      const mode = sagaModeOf(record.headers)
      switch (record.topic) {
        case 'payments.approved': {
          const p = record.value as PaymentApproved
          await reserve(fastify, record, { orderId: p.orderId, customerId: p.customerId, items: p.items, mode: 'choreography' }, log)
          return
        }
        case 'orders.confirmed':
          // In orchestration the orchestrator sends COMMIT itself.
          if (mode === 'choreography') await commit(fastify, record, (record.value as { orderId: string }).orderId, mode, log)
          return
        case 'orders.failed': {
          if (mode !== 'choreography') return
          const f = record.value as OrderFailed
          await release(fastify, record, f.orderId, f.customerId, f.reason, mode, log)
          return
        }
        case 'inventory.commands': {
          const c = record.value as InventoryCommand
          if (c.command === 'RESERVE') await reserve(fastify, record, { orderId: c.orderId, customerId: c.customerId, items: c.items, mode: 'orchestration' }, log)
          else if (c.command === 'COMMIT') await commit(fastify, record, c.orderId, 'orchestration', log)
          else await release(fastify, record, c.orderId, c.customerId, c.reason ?? 'saga_compensation', 'orchestration', log)
        }
      }
    }
  })

  // At every start, products.catalog is brought up to date with the products table (the seed on a
  // first run). In the background, retried: the service serves stock while the broker catches up.
  let catalogTimer: NodeJS.Timeout | undefined
  let closing = false
  let checked!: (published: number) => void
  fastify.decorate('catalogCheck', new Promise<number>(resolve => { checked = resolve }))
  const syncCatalog = (attempt: number): void => {
    publishMissingProducts(fastify, fastify.log as never).then(checked, err => {
      if (closing) return
      fastify.log.warn({ err, attempt }, 'could not check products.catalog; retrying')
      catalogTimer = setTimeout(() => syncCatalog(attempt + 1), Math.min(30_000, 1000 * 2 ** attempt))
      catalogTimer.unref()
    })
  }
  fastify.addHook('onReady', async () => syncCatalog(1))
  fastify.addHook('onClose', async () => { closing = true; clearTimeout(catalogTimer) })

  await fastify.register(productRoutes)
}

export default app
