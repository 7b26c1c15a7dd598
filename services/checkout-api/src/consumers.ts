import fp from 'fastify-plugin'
import { upsertProduct } from './db/catalog.ts'
import { finishOrder } from './orders.ts'

/**
 * What checkout-api reads, topic → handler (types from contracts' catalog). It ends each order:
 * in choreography from the participants' events, in orchestration when the orchestrator says so
 * (orders.commands). Either way it alone writes orders.confirmed and orders.failed.
 */
export default fp(async (fastify) => {
  fastify.consumers.add({
    reader: 'checkout-api',
    group: 'checkout-api',
    on: {
      'inventory.reserved': async (event, ctx) => { await finishOrder(fastify, ctx, event.orderId, { kind: 'confirm' }, ctx.log) },
      'payments.failed': async (event, ctx) => {
        await finishOrder(fastify, ctx, event.orderId, { kind: 'fail', reason: 'payment_failed', detail: event.reason }, ctx.log)
      },
      'inventory.failed': async (event, ctx) => {
        await finishOrder(fastify, ctx, event.orderId, { kind: 'fail', reason: 'inventory_failed', detail: event.productId ? `${event.reason}: ${event.productId}` : event.reason }, ctx.log)
      },
      'orders.commands': async (command, ctx) => {
        await finishOrder(fastify, ctx, command.orderId, command.command === 'CONFIRM' ? { kind: 'confirm' } : { kind: 'fail', reason: command.reason ?? 'saga_failed', detail: command.detail }, ctx.log)
      }
    }
  })

  // The catalog replica has its own group: a new group starts at offset 0 of the compacted topic and
  // so rebuilds every product's latest state, whatever the saga group has read.
  fastify.consumers.add({
    reader: 'checkout-api',
    group: 'checkout-api-catalog',
    on: {
      'products.catalog': async (p, ctx) => {
        // An older or equal version (a redelivery, a republish) changes nothing.
        if (await upsertProduct(fastify.sql, p)) ctx.log.info({ productId: p.productId, version: p.version, priceCents: p.priceCents, active: p.active }, 'catalog replica updated')
      }
    }
  })
}, { name: 'checkout-consumers', dependencies: ['vitrine-consumers', 'vitrine-postgres'] })
