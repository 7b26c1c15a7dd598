import fp from 'fastify-plugin'
import { periodic } from '@vitrine/service-kit'
import { sendPending } from '../../notify.ts'

/**
 * Sends the notifications a crash (or a failing channel) left recorded but unsent: they are sent
 * after their transaction commits, so a crash in between leaves them pending. Runs from ready to
 * close, one run at a time, and stops before the pool and the outbox relay close.
 */
export default fp<{ everyMs: number }>(async (fastify, { everyMs }) => {
  periodic(fastify, {
    everyMs,
    run: async () => await sendPending(fastify, fastify.log),
    onError: err => fastify.log.error({ err }, 'sending pending notifications failed')
  })
}, { name: 'notification-sweeper', dependencies: ['vitrine-postgres', 'vitrine-outbox'] })
