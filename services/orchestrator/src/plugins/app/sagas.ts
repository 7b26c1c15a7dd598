import fp from 'fastify-plugin'
import { periodic } from '@vitrine/service-kit'
import type { OrchestratorConfigType } from '../../config.ts'
import { orchestratorMetrics } from '../../metrics.ts'
import { sweep } from '../../sagas.ts'
import { extendDeadlines } from '../../db/sagas.ts'
import type { Orchestrator } from '../../sagas.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** What the saga handlers and the sweeper share: the app, the step timeouts and the saga metrics. */
    orchestrator: Orchestrator
  }
}

/**
 * The orchestrated sagas' runtime: their timeouts and metrics, and the step deadline sweeper, which
 * runs one sweep at a time (a sweep goes saga by saga; overlapping ones would only compete for the
 * pool) from ready to close.
 */
export default fp<{ config: OrchestratorConfigType }>(async (fastify, { config }) => {
  const o: Orchestrator = {
    app: fastify,
    timeouts: { paymentMs: config.PAYMENT_STEP_TIMEOUT_MS, inventoryMs: config.INVENTORY_STEP_TIMEOUT_MS, compensationMs: config.COMPENSATION_TIMEOUT_MS, resendMs: config.STEP_RESEND_MS, maxResends: config.MAX_STEP_RESENDS },
    metrics: orchestratorMetrics(fastify.metrics.registry, fastify.sql)
  }
  fastify.decorate('orchestrator', o)
  periodic(fastify, {
    everyMs: config.STEP_SWEEP_MS,
    run: async () => await sweep(o, fastify.log),
    onError: err => fastify.log.error({ err }, 'step deadline sweep failed'),
    // Frozen in the instructor's step mode; its end moves every running saga's deadlines by the time frozen (kit's plugins/step.ts).
    deadlines: true
  })
  fastify.step.onThaw(async frozenMs => {
    const n = await extendDeadlines(fastify.sql, frozenMs)
    fastify.log.info({ sagas: n, frozenMs }, 'running sagas\' deadlines moved forward by the step mode\'s frozen time')
  })
}, { name: 'orchestrator-sagas', dependencies: ['vitrine-postgres', 'vitrine-outbox', 'vitrine-metrics'] })
