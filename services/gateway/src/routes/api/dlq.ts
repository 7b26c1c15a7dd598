import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DLQ_TOPIC } from '@vitrine/contracts'
import { listDeadLetters } from '@vitrine/service-kit'
import type { GatewayConfigType } from '../../config.ts'
import { adminAction } from '../../lib/chaos.ts'
import { ErrorBody } from '../../schemas/common.ts'
import { DeadLetterList, DlqReplayRequest, ReplayResult } from '../../schemas/dlq.ts'

/**
 * The dead-letter topic for the console: its records with their original bytes, and a replay of
 * chosen ones to the group that gave up on them, done by the control plane (POST /dlq/replay there:
 * kit's replayDeadLetters, the same path and replay ledger as `make dlq-replay`, so a record goes
 * back once unless `force`).
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const dlq = config.TOPIC_PREFIX + DLQ_TOPIC

  fastify.get('/dlq', { schema: { response: { 200: DeadLetterList, 502: ErrorBody } } }, async () => {
    return { topic: dlq, records: await listDeadLetters(config.KAFKA_BROKERS, fastify.serde, config.TOPIC_PREFIX) }
  })

  // The control plane replays, as the Kafka admin: the gateway's principal may not write to the shop's
  // topics (the admin surface could forge events). Its 400 (an offset not in the DLQ) comes back as is.
  fastify.post('/dlq/replay', {
    schema: { body: DlqReplayRequest, response: { 200: ReplayResult, 400: ErrorBody, 502: ErrorBody } }
  }, async (request, reply) => {
    const { status, body } = await adminAction(config.CONTROL_URL, '/dlq/replay', request.body, config.CONTROL_TIMEOUT_MS, 'the DLQ replay')
    if (status === 200) request.log.info({ offsets: request.body.offsets, force: request.body.force ?? false }, 'dead letters replayed through the control plane')
    return await (reply as FastifyReply).code(status).send(body)
  })
}

export default routes
