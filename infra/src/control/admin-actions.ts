import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import pino from 'pino'
import { DlqReplayRequest, DlqReplayResult, ElectLeadersRequest, ElectionResult, ErrorBody, EventProducer, ReplayError, connect, invalidInput, replayDeadLetters } from '@vitrine/service-kit'
import { electPreferredLeaders } from './elect-leaders.ts'
import type { ControlPlane } from './plane.ts'

// Instructor actions that need the Kafka admin (kit's control-actions.ts says why the gateway's
// principal may not do them): the gateway relays the replication lab's preferred-leader election
// and the DLQ page's reprocess here. With KAFKA_AUTH=none the same code runs, with no login.

export interface AdminActionsOptions { plane: ControlPlane }

const adminActions: FastifyPluginAsyncTypebox<AdminActionsOptions> = async (fastify, { plane }) => {
  fastify.post('/kafka/elect-leaders', {
    schema: { body: ElectLeadersRequest, response: { 200: ElectionResult, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 500: ErrorBody } }
  }, async (request) => {
    const admin = plane.kafkaAdmin('vitrine-control-elect')
    try {
      return await electPreferredLeaders(admin, request.body.topics)
    } finally {
      await admin.close().catch(() => {})
    }
  })

  // kit's replayDeadLetters, as `make dlq-replay` runs it: the same replay ledger, so a record goes
  // back once unless `force`. Its reader and producer log in from this process's environment, which
  // is the admin's (apps.ts starts the control plane with it; as-admin.ts does the same for make).
  fastify.post('/dlq/replay', {
    schema: { body: DlqReplayRequest, response: { 200: DlqReplayResult, 400: ErrorBody, 500: ErrorBody } }
  }, async (request) => {
    const sql = connect(plane.databaseUrl(), 'vitrine_ops', 1)
    const producer = new EventProducer(plane.kafkaBrokers(), 'control-dlq-replay', pino({ level: 'warn' }))
    try {
      await producer.connect()
      const result = await replayDeadLetters(plane.kafkaBrokers(), producer, sql, { prefix: plane.shopEnv().prefix, offsets: request.body.offsets, force: request.body.force ?? false })
      request.log.info({ sent: result.sent.map(i => i.offset), alreadyReplayed: result.alreadyReplayed.map(i => i.offset) }, 'dead letters replayed')
      return result
    } catch (err) {
      if (err instanceof ReplayError) throw invalidInput([{ field: 'body.offsets', rule: 'exists', message: err.message }])
      throw err
    } finally {
      await producer.close()
      await sql.end({ timeout: 5 })
    }
  })
}

export default adminActions
