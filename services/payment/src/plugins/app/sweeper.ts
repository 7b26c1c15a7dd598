import fp from 'fastify-plugin'
import { periodic } from '@vitrine/service-kit'
import type { PaymentConfigType } from '../../config.ts'
import { decideDue } from '../../payments.ts'

/**
 * The simulated card network: every DECISION_POLL_MS, the charges whose delay has passed are
 * decided. Starts once the app is ready and stops, waiting for a sweep in progress, before the
 * database pool closes.
 */
export default fp<{ config: PaymentConfigType }>(async (fastify, { config }) => {
  periodic(fastify, {
    everyMs: config.DECISION_POLL_MS,
    run: async () => await decideDue(fastify, config, fastify.log),
    onError: err => fastify.log.error({ err }, 'deciding due charges failed')
  })
}, { name: 'payment-sweeper', dependencies: ['vitrine-postgres', 'vitrine-outbox'] })
