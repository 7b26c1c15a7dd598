import fp from 'fastify-plugin'
import { Gauge } from 'prom-client'
import { single } from '@vitrine/service-kit'
import { countNeedingOperator, countPending } from '../../db/orders.ts'

/** checkout-api's gauges, read from its tables at scrape time (one name across services, the service as a label). */
export default fp(async (fastify) => {
  const { registry } = fastify.metrics
  const sql = fastify.sql
  single(registry, 'vitrine_orders_needing_operator', () => new Gauge({
    name: 'vitrine_orders_needing_operator',
    help: 'Orders flagged for an operator (an orchestrated order without outcome past its deadline, or a record of the order dead-lettered), read at scrape time',
    registers: [registry],
    async collect () { this.set(await countNeedingOperator(sql)) }
  }))
  single(registry, 'vitrine_sagas_in_flight', () => new Gauge({
    name: 'vitrine_sagas_in_flight',
    help: 'Sagas started and not yet completed or failed, read at scrape time (choreography: pending orders)',
    labelNames: ['mode'] as const,
    registers: [registry],
    async collect () { this.set({ mode: 'choreography' }, await countPending(sql, 'choreography')) }
  }))
}, { name: 'checkout-metrics', dependencies: ['vitrine-postgres', 'vitrine-metrics'] })
