import fp from 'fastify-plugin'
import { periodic } from '@vitrine/service-kit'
import type { CheckoutConfigType } from '../../config.ts'
import { flagDeadLetters, flagMissingOutcomes, sweepDeadlines } from '../../orders.ts'
import { extendDeadlines } from '../../db/orders.ts'

/**
 * checkout-api's periodic work, each one run at a time, from ready to close:
 * - the deadline sweep cancels choreographed orders past their deadline and flags orchestrated
 *   ones still without an outcome (the orchestrator alone may end those);
 * - the DLQ watch reads orders.dlq and flags each order a dead letter is about.
 * The deadline sweep is frozen while the instructor's step mode is on; when it ends, every pending
 * order's deadline moves forward by the time frozen (kit's plugins/step.ts says why).
 */
export default fp<{ config: CheckoutConfigType }>(async (fastify, { config }) => {
  const log = fastify.log
  periodic(fastify, {
    everyMs: config.DEADLINE_SWEEP_MS,
    run: async () => await Promise.all([
      sweepDeadlines(fastify, log).catch(err => log.error({ err }, 'deadline sweep failed')),
      flagMissingOutcomes(fastify, config.OUTCOME_GRACE_MS, log).catch(err => log.error({ err }, 'flagging orchestrated orders without outcome failed'))
    ]),
    onError: err => log.error({ err }, 'deadline sweep failed'),
    deadlines: true
  })
  fastify.step.onThaw(async frozenMs => {
    const n = await extendDeadlines(fastify.sql, frozenMs)
    log.info({ orders: n, frozenMs }, 'pending orders\' deadlines moved forward by the step mode\'s frozen time')
  })
  // A slow DLQ read skips ticks rather than piling up.
  periodic(fastify, {
    everyMs: config.DLQ_WATCH_MS,
    run: async () => await flagDeadLetters(fastify, log),
    onError: err => log.warn({ err }, 'reading orders.dlq to flag orders failed')
  })
}, { name: 'checkout-sweepers', dependencies: ['vitrine-postgres', 'vitrine-outbox'] })
