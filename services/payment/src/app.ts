import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { sagaModeOf } from '@vitrine/contracts'
import type { InventoryFailed, OrderCreated, OrderFailed, PaymentCommand } from '@vitrine/contracts'
import { kit } from '@vitrine/service-kit'
import type { PaymentConfigType } from './config.ts'
import { decideDue, refund, requestCharge } from './payments.ts'
import routes from './routes.ts'

const app: FastifyPluginAsync<{ config: PaymentConfigType }> = async (fastify, { config }) => {
  await fastify.register(kit, { service: 'payment', schema: 'payment', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })

  fastify.consumers.add({
    group: 'payment',
    topics: ['orders.new', 'inventory.failed', 'orders.failed', 'payments.commands'],
    handler: async (record, log) => {
      const mode = sagaModeOf(record.headers)
      switch (record.topic) {
        case 'orders.new': {
          // Orchestrated orders wait for the orchestrator's CHARGE command instead.
          if (mode !== 'choreography') return
          const o = record.value as OrderCreated
          await requestCharge(fastify, config, record, { orderId: o.orderId, customerId: o.customerId, amountCents: o.totalCents, items: o.items.map(i => ({ productId: i.productId, quantity: i.quantity })), mode }, log)
          return
        }
        case 'inventory.failed': {
          if (mode !== 'choreography') return
          const e = record.value as InventoryFailed
          await refund(fastify, record, e.orderId, e.customerId, 'inventory_failed', mode, log)
          return
        }
        case 'orders.failed': {
          if (mode !== 'choreography') return
          const e = record.value as OrderFailed
          await refund(fastify, record, e.orderId, e.customerId, e.reason, mode, log)
          return
        }
        case 'payments.commands': {
          const c = record.value as PaymentCommand
          if (c.command === 'CHARGE') await requestCharge(fastify, config, record, { orderId: c.orderId, customerId: c.customerId, amountCents: c.amountCents, items: c.items, mode: 'orchestration' }, log)
          else await refund(fastify, record, c.orderId, c.customerId, c.reason ?? 'saga_compensation', 'orchestration', log)
        }
      }
    }
  })

  // One sweep at a time: a sweep goes row by row, and overlapping ones would only compete for the pool.
  let deciding = false
  const decider = setInterval(() => {
    if (deciding) return
    deciding = true
    decideDue(fastify, config, fastify.log as never).catch(err => fastify.log.error({ err }, 'deciding due charges failed')).finally(() => { deciding = false })
  }, config.DECISION_POLL_MS)
  decider.unref()
  fastify.addHook('onClose', async () => clearInterval(decider))

  await fastify.register(routes)
}

export default app
