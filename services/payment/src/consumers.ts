import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import { HEADERS, sagaModeOf } from '@vitrine/contracts'
import type { EventTopicsReadBy, SagaMode, TopicValues } from '@vitrine/contracts'
import type { ConsumedRecord, EventCause } from '@vitrine/service-kit'
import type { PaymentConfigType } from './config.ts'
import { refund, requestCharge } from './payments.ts'

type Handler<T extends EventTopicsReadBy<'payment'>> = (event: TopicValues[T], cause: EventCause, mode: SagaMode, log: FastifyBaseLogger) => Promise<void>

/** What payment does with each topic it reads (choreography events and the orchestrator's commands). */
export default fp<{ config: PaymentConfigType }>(async (fastify, { config }) => {
  const on: { [T in EventTopicsReadBy<'payment'>]: Handler<T> } = {
    // Orchestrated orders wait for the orchestrator's CHARGE command instead.
    'orders.new': async (o, cause, mode, log) => {
      if (mode !== 'choreography') return
      await requestCharge(fastify, config, cause, { orderId: o.orderId, customerId: o.customerId, amountCents: o.totalCents, items: o.items.map(i => ({ productId: i.productId, quantity: i.quantity })), mode }, log)
    },
    'inventory.failed': async (e, cause, mode, log) => {
      if (mode === 'choreography') await refund(fastify, cause, e.orderId, e.customerId, 'inventory_failed', mode, log)
    },
    'orders.failed': async (e, cause, mode, log) => {
      if (mode === 'choreography') await refund(fastify, cause, e.orderId, e.customerId, e.reason, mode, log)
    },
    'payments.commands': async (c, cause, _mode, log) => {
      if (c.command === 'CHARGE') await requestCharge(fastify, config, cause, { orderId: c.orderId, customerId: c.customerId, amountCents: c.amountCents, items: c.items, mode: 'orchestration' }, log)
      else await refund(fastify, cause, c.orderId, c.customerId, c.reason ?? 'saga_compensation', 'orchestration', log)
    }
  }
  fastify.consumers.add({
    group: 'payment',
    topics: Object.keys(on),
    handler: async (record: ConsumedRecord, log) => {
      const value = record.value as { eventId: string }
      const cause = { topic: record.topic, eventId: value.eventId, correlationId: record.headers[HEADERS.correlationId] ?? '' }
      await (on[record.topic as EventTopicsReadBy<'payment'>] as Handler<EventTopicsReadBy<'payment'>>)(value as never, cause, sagaModeOf(record.headers), log)
    }
  })
}, { name: 'payment-consumers', dependencies: ['vitrine-consumers'] })
