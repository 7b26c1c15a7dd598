// Compiled by `pnpm typecheck`, never run: each `@ts-expect-error` below must meet an error, or the
// typecheck fails. It shows that the consumer API takes its topics and event types from the catalog.
import type { FastifyInstance } from 'fastify'
import type { OrderConfirmed } from '@vitrine/contracts'
import type { Logger } from '../../src/index.ts'

export function consumers (fastify: FastifyInstance): void {
  fastify.consumers.add({
    reader: 'notification',
    group: 'types',
    on: {
      'orders.confirmed': async (event, ctx) => {
        const confirmed: OrderConfirmed = event
        const total: number = event.totalCents
        const topic: 'orders.confirmed' = ctx.topic
        const fromCtx: OrderConfirmed = ctx.value
        const log: Logger = ctx.log
        log.info({ confirmed, total, topic, fromCtx, eventId: ctx.eventId, mode: ctx.mode, offset: ctx.offset, owned: ctx.owned(), aborted: ctx.signal.aborted })
        // @ts-expect-error OrderConfirmed has no `reason` (orders.failed has)
        log.info(event.reason)
      },
      'orders.failed': async (event) => {
        const reason: string = event.reason
        // @ts-expect-error OrderFailed has no `totalCents`
        fastify.log.info({ reason, total: event.totalCents })
      },
      'inventory.failed': async (event) => {
        // productId is nullable in the schema: using it as a string needs a check.
        // @ts-expect-error string | null is not a string
        const id: string = event.productId
        fastify.log.info(id)
      }
    }
  })

  fastify.consumers.add({
    reader: 'notification',
    group: 'types',
    on: {
      // @ts-expect-error a topic not in the catalog (misspelled)
      'orders.confirmd': async () => {}
    }
  })

  fastify.consumers.add({
    reader: 'notification',
    group: 'types',
    on: {
      // @ts-expect-error in the catalog, but notification is not among its readers
      'payments.approved': async () => {}
    }
  })

  fastify.consumers.add({
    reader: 'inventory',
    group: 'types',
    on: {
      'payments.approved': async (event) => { fastify.log.info(event.items.map(i => i.productId)) }
    }
  })

  fastify.consumers.add({
    // @ts-expect-error not a service of the catalog
    reader: 'billing',
    group: 'types',
    on: {}
  })

  fastify.consumers.pause('operator')
  fastify.consumers.resume('step')
  // @ts-expect-error backpressure is the engine's own pause, not one a caller may ask for
  fastify.consumers.pause('backpressure')
  // @ts-expect-error nor is the step mode's hold of a partition (consumers.step turns the step mode on)
  fastify.consumers.resume('step-hold')
}
