import fp from 'fastify-plugin'
import { HEADERS, sagaModeOf } from '@vitrine/contracts'
import type { EventTopicsReadBy, SagaMode, TopicValues } from '@vitrine/contracts'
import type { FastifyBaseLogger } from 'fastify'
import type { ConsumedRecord, EventCause } from '@vitrine/service-kit'
import { commit, release, reserve } from './stock.ts'

type Handler<T extends EventTopicsReadBy<'inventory'>> = (event: TopicValues[T], cause: EventCause, mode: SagaMode, log: FastifyBaseLogger) => Promise<void>

/** What inventory does with each topic it reads (choreography events and the orchestrator's commands). */
export default fp(async (fastify) => {
  const on: { [T in EventTopicsReadBy<'inventory'>]: Handler<T> } = {
    'payments.approved': async (p, cause, _mode, log) => {
      await reserve(fastify, cause, { orderId: p.orderId, customerId: p.customerId, items: p.items, mode: 'choreography' }, log)
    },
    // In orchestration the orchestrator sends COMMIT itself.
    'orders.confirmed': async (o, cause, mode, log) => {
      if (mode === 'choreography') await commit(fastify, cause, o.orderId, mode, log)
    },
    'orders.failed': async (f, cause, mode, log) => {
      if (mode === 'choreography') await release(fastify, cause, f.orderId, f.customerId, f.reason, mode, log)
    },
    'inventory.commands': async (c, cause, _mode, log) => {
      if (c.command === 'RESERVE') await reserve(fastify, cause, { orderId: c.orderId, customerId: c.customerId, items: c.items, mode: 'orchestration' }, log)
      else if (c.command === 'COMMIT') await commit(fastify, cause, c.orderId, 'orchestration', log)
      else await release(fastify, cause, c.orderId, c.customerId, c.reason ?? 'saga_compensation', 'orchestration', log)
    }
  }
  fastify.consumers.add({
    group: 'inventory',
    topics: Object.keys(on),
    handler: async (record: ConsumedRecord, log) => {
      const value = record.value as { eventId: string }
      const cause = { topic: record.topic, eventId: value.eventId, correlationId: record.headers[HEADERS.correlationId] ?? '' }
      await (on[record.topic as EventTopicsReadBy<'inventory'>] as Handler<EventTopicsReadBy<'inventory'>>)(value as never, cause, sagaModeOf(record.headers), log)
    }
  })
}, { name: 'inventory-consumers', dependencies: ['vitrine-consumers'] })
