import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { Gauge } from 'prom-client'
import { kit } from '@vitrine/service-kit'
import type { OrderCommand, Product } from '@vitrine/contracts'
import type { CheckoutConfigType } from './config.ts'
import { finishOrder, flagDeadLetters, flagMissingOutcomes, sweepDeadlines } from './orders.ts'
import ordersRoutes from './routes/orders.ts'
import catalogRoutes from './routes/catalog.ts'
import { applyCatalogRecord } from './catalog.ts'
import trafficRoutes from './routes/traffic.ts'
import { TrafficGenerator } from './traffic.ts'

/**
 * checkout-api owns orders. It accepts them over HTTP, prices them from its replica of
 * products.catalog, writes orders.new, and ends each order:
 * in choreography by reacting to the participants' events, in orchestration when the orchestrator
 * says so (orders.commands). Either way it alone writes orders.confirmed and orders.failed.
 */
const app: FastifyPluginAsync<{ config: CheckoutConfigType }> = async (fastify, { config }) => {
  await fastify.register(kit, { service: 'checkout-api', schema: 'checkout', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })

  fastify.consumers.add({
    group: 'checkout-api',
    topics: ['payments.failed', 'inventory.reserved', 'inventory.failed', 'orders.commands'],
    handler: async (record, log) => {
      const orderId = (record.value as { orderId: string }).orderId
      switch (record.topic) {
        case 'inventory.reserved':
          await finishOrder(fastify, record, orderId, { kind: 'confirm' }, log)
          break
        case 'payments.failed':
          await finishOrder(fastify, record, orderId, { kind: 'fail', reason: 'payment_failed', detail: (record.value as { reason: string }).reason }, log)
          break
        case 'inventory.failed': {
          const v = record.value as { reason: string, productId: string | null }
          await finishOrder(fastify, record, orderId, { kind: 'fail', reason: 'inventory_failed', detail: v.productId ? `${v.reason}: ${v.productId}` : v.reason }, log)
          break
        }
        case 'orders.commands': {
          const c = record.value as OrderCommand
          await finishOrder(fastify, record, orderId, c.command === 'CONFIRM' ? { kind: 'confirm' } : { kind: 'fail', reason: c.reason ?? 'saga_failed', detail: c.detail }, log)
          break
        }
      }
    }
  })

  // The catalog replica has its own group: a new group starts at offset 0 of the compacted topic and
  // so rebuilds every product's latest state, whatever the saga group has read.
  fastify.consumers.add({
    group: 'checkout-api-catalog',
    topics: ['products.catalog'],
    handler: async (record, log) => { await applyCatalogRecord(fastify.sql, record.value as Product, log) }
  })

  // One sweep at a time: it goes order by order, and overlapping ones would only compete for the pool.
  let sweeping = false
  const sweeper = setInterval(() => {
    if (sweeping) return
    sweeping = true
    Promise.all([
      sweepDeadlines(fastify, fastify.log as never).catch(err => fastify.log.error({ err }, 'deadline sweep failed')),
      flagMissingOutcomes(fastify, config.OUTCOME_GRACE_MS, fastify.log as never).catch(err => fastify.log.error({ err }, 'flagging orchestrated orders without outcome failed'))
    ]).finally(() => { sweeping = false })
  }, config.DEADLINE_SWEEP_MS)
  sweeper.unref()
  // One DLQ read at a time: a slow read must not pile up.
  let watching = false
  const dlqWatcher = setInterval(() => {
    if (watching) return
    watching = true
    flagDeadLetters(fastify, fastify.log as never).catch(err => fastify.log.warn({ err }, 'reading orders.dlq to flag orders failed')).finally(() => { watching = false })
  }, config.DLQ_WATCH_MS)
  dlqWatcher.unref()
  // One name across services (vitrine_<noun>, the service as a label), as observability dashboards expect.
  const needing = 'vitrine_orders_needing_operator'
  if (!fastify.metrics.registry.getSingleMetric(needing)) {
    const sql = fastify.sql
    // eslint-disable-next-line no-new
    new Gauge({
      name: needing,
      help: 'Orders flagged for an operator (an orchestrated order without outcome past its deadline, or a record of the order dead-lettered), read at scrape time',
      registers: [fastify.metrics.registry],
      async collect () {
        const [r] = await sql`select count(*)::int as n from orders where attention is not null`
        this.set(r?.n as number)
      }
    })
  }

  const traffic = new TrafficGenerator(fastify, config)
  fastify.addHook('onReady', async () => { if (config.TRAFFIC_RATE > 0) traffic.start({ rate: config.TRAFFIC_RATE }) })
  fastify.addHook('onClose', async () => {
    clearInterval(sweeper)
    clearInterval(dlqWatcher)
    traffic.stop()
  })

  await fastify.register(ordersRoutes, { config })
  await fastify.register(catalogRoutes)
  await fastify.register(trafficRoutes, { traffic })
}

export default app
