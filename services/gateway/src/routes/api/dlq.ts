import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import pino from 'pino'
import { Type } from 'typebox'
import { DLQ_TOPIC } from '@vitrine/contracts'
import { EventProducer, ReplayError, connect, listDeadLetters, replayDeadLetters } from '@vitrine/service-kit'
import type { GatewayConfigType } from '../../config.ts'
import { kafkaLogin } from '../../lib/kafka-login.ts'
import { ValidationFailed } from '../../lib/kafka-console.ts'
import { ErrorBody } from '../../schemas/common.ts'
import { DeadLetterList, ReplayResult } from '../../schemas/dlq.ts'

/**
 * The dead-letter topic for the console: its records with their original bytes, and a replay of
 * chosen ones to the group that gave up on them (kit's replayDeadLetters: the same path and replay
 * ledger as `make dlq-replay`, so a record goes back once unless `force`).
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const dlq = config.TOPIC_PREFIX + DLQ_TOPIC

  fastify.get('/dlq', { schema: { response: { 200: DeadLetterList, 502: ErrorBody } } }, async () => {
    return { topic: dlq, records: await listDeadLetters(config.KAFKA_BROKERS, fastify.serde, config.TOPIC_PREFIX) }
  })

  fastify.post('/dlq/replay', {
    schema: {
      body: Type.Object({
        offsets: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 100, uniqueItems: true, description: 'offsets of orders.dlq to send back' }),
        force: Type.Optional(Type.Boolean({ description: 'send again what the ledger says was replayed already' }))
      }, { additionalProperties: false }),
      response: { 200: ReplayResult, 400: ErrorBody, 502: ErrorBody, 503: ErrorBody }
    }
  }, async (request) => {
    // A rare operator action: its database connection and producer live for this request only.
    const sql = connect(config.DATABASE_URL, 'vitrine_ops', 1)
    const producer = new EventProducer(config.KAFKA_BROKERS, 'gateway-dlq-replay', pino({ level: 'warn' }), undefined, { security: kafkaLogin(config).rdkafka })
    try {
      await producer.connect()
      const result = await replayDeadLetters(config.KAFKA_BROKERS, producer, sql, { prefix: config.TOPIC_PREFIX, offsets: request.body.offsets, force: request.body.force ?? false })
      request.log.info({ sent: result.sent.map(i => i.offset), alreadyReplayed: result.alreadyReplayed.map(i => i.offset) }, 'dead letters replayed from the console')
      return result
    } catch (err) {
      if (err instanceof ReplayError) throw new ValidationFailed([{ field: 'body.offsets', rule: 'exists', message: err.message }])
      throw err
    } finally {
      await producer.close()
      await sql.end({ timeout: 5 })
    }
  })
}

export default routes
