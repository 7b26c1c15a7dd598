import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import { HEADERS } from '@vitrine/contracts'
import { kit } from '@vitrine/service-kit'
import type { OrchestratorConfigType } from './config.ts'
import { orchestratorMetrics } from './metrics.ts'
import { onReply, startSaga, sweep } from './sagas.ts'
import type { Orchestrator } from './sagas.ts'
import sagaRoutes from './routes/sagas.ts'

/**
 * The orchestrator owns the orchestrated sagas: it turns orders.new into commands for payment and
 * inventory, reacts to their replies, compensates on failure or timeout, and tells checkout-api how
 * the order ended. Choreographed orders pass by untouched.
 */
const app: FastifyPluginAsync<{ config: OrchestratorConfigType }> = async (fastify, { config }) => {
  await fastify.register(kit, { service: 'orchestrator', schema: 'orchestrator', migrationsDir: fileURLToPath(new URL('../migrations/', import.meta.url)), config })

  const o: Orchestrator = {
    app: fastify,
    timeouts: { paymentMs: config.PAYMENT_STEP_TIMEOUT_MS, inventoryMs: config.INVENTORY_STEP_TIMEOUT_MS, compensationMs: config.COMPENSATION_TIMEOUT_MS, resendMs: config.STEP_RESEND_MS, maxResends: config.MAX_STEP_RESENDS },
    metrics: orchestratorMetrics(fastify.metrics.registry, fastify.sql)
  }

  fastify.consumers.add({
    group: 'orchestrator',
    topics: ['orders.new', 'payments.replies', 'inventory.replies'],
    handler: async (record, log) => {
      if (record.topic === 'orders.new') {
        if (record.headers[HEADERS.sagaMode] !== 'orchestration') return
        await startSaga(o, record, log)
      } else {
        await onReply(o, record, log)
      }
    }
  })

  // One sweep at a time: a sweep goes saga by saga, and overlapping ones would only compete for the pool.
  let sweeping = false
  const sweeper = setInterval(() => {
    if (sweeping) return
    sweeping = true
    sweep(o, fastify.log as never).catch(err => fastify.log.error({ err }, 'step deadline sweep failed')).finally(() => { sweeping = false })
  }, config.STEP_SWEEP_MS)
  sweeper.unref()
  fastify.addHook('onClose', async () => clearInterval(sweeper))

  await fastify.register(sagaRoutes)
}

export default app
