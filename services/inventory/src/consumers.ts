import fp from 'fastify-plugin'
import { commit, release, reserve } from './stock.ts'

/**
 * What inventory does with each topic it reads: choreography events, and the orchestrator's
 * commands. Each event is typed from the catalog; a topic inventory does not read fails to compile.
 */
export default fp(async (fastify) => {
  fastify.consumers.add({
    reader: 'inventory',
    group: 'inventory',
    on: {
      'payments.approved': async (p, ctx) => {
        await reserve(fastify, ctx, { orderId: p.orderId, customerId: p.customerId, items: p.items, mode: 'choreography' }, ctx.log)
      },
      // In orchestration the orchestrator sends COMMIT itself.
      'orders.confirmed': async (o, ctx) => {
        if (ctx.mode === 'choreography') await commit(fastify, ctx, o.orderId, ctx.mode, ctx.log)
      },
      'orders.failed': async (f, ctx) => {
        if (ctx.mode === 'choreography') await release(fastify, ctx, f.orderId, f.customerId, f.reason, ctx.mode, ctx.log)
      },
      'inventory.commands': async (c, ctx) => {
        if (c.command === 'RESERVE') await reserve(fastify, ctx, { orderId: c.orderId, customerId: c.customerId, items: c.items, mode: 'orchestration' }, ctx.log)
        else if (c.command === 'COMMIT') await commit(fastify, ctx, c.orderId, 'orchestration', ctx.log)
        else await release(fastify, ctx, c.orderId, c.customerId, c.reason ?? 'saga_compensation', 'orchestration', ctx.log)
      }
    }
  })
}, { name: 'inventory-consumers', dependencies: ['vitrine-consumers'] })
