import fp from 'fastify-plugin'
import { notify } from './notify.ts'

/**
 * What notification reads, topic → handler (each event typed from contracts' catalog). It tells the
 * customer how the order ended; it takes no part in the saga's decisions.
 */
export default fp(async (fastify) => {
  fastify.consumers.add({
    reader: 'notification',
    group: 'notification',
    on: {
      'orders.confirmed': async (event, ctx) => { await notify(fastify, event, ctx, 'ORDER_CONFIRMED') },
      'orders.failed': async (event, ctx) => { await notify(fastify, event, ctx, 'ORDER_FAILED', event.reason) },
      'inventory.failed': async (event, ctx) => { await notify(fastify, event, ctx, 'OUT_OF_STOCK', event.productId ?? undefined) }
    }
  })
}, { name: 'notification-consumers', dependencies: ['vitrine-consumers', 'vitrine-postgres'] })
