import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import type { InventoryFailed, OrderFailed } from '@vitrine/contracts'
import { kit } from '@vitrine/service-kit'
import type { NotificationConfigType } from './config.ts'
import { notify, sendPending } from './notify.ts'

/** Tells the customer how the order ended. It observes outcomes; it takes no part in the saga's decisions. */
const app: FastifyPluginAsync<{ config: NotificationConfigType }> = async (fastify, { config }) => {
  await fastify.register(kit, { service: 'notification', schema: 'notification', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })
  fastify.consumers.add({
    group: 'notification',
    topics: ['orders.confirmed', 'orders.failed', 'inventory.failed'],
    handler: async (record, log) => {
      if (record.topic === 'orders.confirmed') await notify(fastify, record, 'ORDER_CONFIRMED', undefined, log)
      else if (record.topic === 'orders.failed') await notify(fastify, record, 'ORDER_FAILED', (record.value as OrderFailed).reason, log)
      else {
        const f = record.value as InventoryFailed
        await notify(fastify, record, 'OUT_OF_STOCK', f.productId ?? undefined, log)
      }
    }
  })
  // Notifications a crash left recorded but unsent (they are sent after their transaction commits).
  const sweeper = setInterval(() => {
    sendPending(fastify, fastify.log as never).catch(err => fastify.log.error({ err }, 'sending pending notifications failed'))
  }, 5000)
  sweeper.unref()
  fastify.addHook('onClose', async () => clearInterval(sweeper))
}

export default app
