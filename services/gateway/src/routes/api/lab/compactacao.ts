import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { kafkaLogin } from '../../../lib/kafka-login.ts'
import { CompactionLab } from '../../../lib/lab-compaction.ts'
import { ErrorBody } from '../../../schemas/common.ts'
import { CompactionLabParams, CompactionLabRecordSchema, CompactionLabStateSchema, CompactionLabTopicSchema, CompactionWriteBody, CreateCompactionTopicBody } from '../../../schemas/lab-compaction.ts'
import type { GatewayConfigType } from '../../../config.ts'

/** The compaction and retention lab: lab topics, keys written, overwritten and deleted, the log as the broker serves it. */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const lab = new CompactionLab({ console: fastify.kafkaConsole, reader: fastify.kafkaReader, brokers: config.KAFKA_BROKERS, prefix: config.TOPIC_PREFIX, security: kafkaLogin(config).rdkafka })
  fastify.addHook('onClose', async () => { await lab.close() })

  fastify.get('/topics', { schema: { response: { 200: Type.Object({ topics: Type.Array(CompactionLabTopicSchema) }) } } }, async () => ({ topics: await lab.list() }))

  fastify.post('/topics', { schema: { body: CreateCompactionTopicBody, response: { 201: CompactionLabTopicSchema, 400: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    const created = await lab.create(request.body.name, request.body.policy)
    request.log.info({ topic: created.topic, policy: created.policy }, 'compaction lab: topic created')
    return await reply.code(201).send(created)
  })

  fastify.get('/topics/:name', { schema: { params: CompactionLabParams, response: { 200: CompactionLabStateSchema, 400: ErrorBody, 404: ErrorBody } } }, async (request) => await lab.state(request.params.name))

  fastify.post('/topics/:name/records', { schema: { params: CompactionLabParams, body: CompactionWriteBody, response: { 200: CompactionLabRecordSchema, 400: ErrorBody, 404: ErrorBody } } }, async (request) =>
    await lab.write(request.params.name, request.body.key, request.body.value, request.body.count))

  fastify.delete('/topics/:name', { schema: { params: CompactionLabParams, response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    await lab.delete(request.params.name)
    return await reply.code(204).send(null)
  })
}

export default routes
