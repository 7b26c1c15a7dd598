import fp from 'fastify-plugin'
import type { PaymentConfigType } from './config.ts'
import { refund, requestCharge } from './payments.ts'

/**
 * What payment does with each topic it reads: choreography events, and the orchestrator's
 * commands. Each event is typed from the catalog; a topic payment does not read fails to compile.
 */
export default fp<{ config: PaymentConfigType }>(async (fastify, { config }) => {
  fastify.consumers.add({
    reader: 'payment',
    group: 'payment',
    on: {
      // Orchestrated orders wait for the orchestrator's CHARGE command instead.
      'orders.new': async (o, ctx) => {
        if (ctx.mode !== 'choreography') return
        await requestCharge(fastify, config, ctx, { orderId: o.orderId, customerId: o.customerId, amountCents: o.totalCents, items: o.items.map(i => ({ productId: i.productId, quantity: i.quantity })), mode: ctx.mode }, ctx.log)
      },
      'inventory.failed': async (e, ctx) => {
        if (ctx.mode === 'choreography') await refund(fastify, ctx, e.orderId, e.customerId, 'inventory_failed', ctx.mode, ctx.log)
      },
      'orders.failed': async (e, ctx) => {
        if (ctx.mode === 'choreography') await refund(fastify, ctx, e.orderId, e.customerId, e.reason, ctx.mode, ctx.log)
      },
      'payments.commands': async (c, ctx) => {
        if (c.command === 'CHARGE') await requestCharge(fastify, config, ctx, { orderId: c.orderId, customerId: c.customerId, amountCents: c.amountCents, items: c.items, mode: 'orchestration' }, ctx.log)
        else await refund(fastify, ctx, c.orderId, c.customerId, c.reason ?? 'saga_compensation', 'orchestration', ctx.log)
      }
    }
  })
}, { name: 'payment-consumers', dependencies: ['vitrine-consumers'] })
