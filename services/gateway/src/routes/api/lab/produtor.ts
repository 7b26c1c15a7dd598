import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { kafkaLogin } from '../../../lib/kafka-login.ts'
import { ProducerLab } from '../../../lib/lab-produtor.ts'
import { ErrorBody } from '../../../schemas/common.ts'
import { CreateProducerTopicBody, ProducerLabParams, ProducerLabStateSchema, ProducerLabTopicSchema, ProducerRunBody, ProducerRunSchema } from '../../../schemas/lab-produtor.ts'
import type { GatewayConfigType } from '../../../config.ts'

/** The producer lab: lab topics, runs of a producer with chosen acks, linger, batch size and idempotence, the batches the broker stored. */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const login = kafkaLogin(config)
  const lab = new ProducerLab({ console: fastify.kafkaConsole, reader: fastify.kafkaReader, admin: fastify.kafkaConsole.admin, brokers: config.KAFKA_BROKERS, prefix: config.TOPIC_PREFIX, security: login.rdkafka, login: login.platformatic })
  fastify.addHook('onClose', async () => { await lab.close() })

  fastify.get('/topics', { schema: { response: { 200: Type.Object({ topics: Type.Array(ProducerLabTopicSchema) }) } } }, async () => ({ topics: await lab.list() }))

  fastify.post('/topics', { schema: { body: CreateProducerTopicBody, response: { 201: ProducerLabTopicSchema, 400: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    const created = await lab.create(request.body.name)
    request.log.info({ topic: created.topic }, 'producer lab: topic created')
    return await reply.code(201).send(created)
  })

  fastify.get('/topics/:name', { schema: { params: ProducerLabParams, response: { 200: ProducerLabStateSchema, 400: ErrorBody, 404: ErrorBody } } }, async (request) => await lab.state(request.params.name))

  fastify.post('/topics/:name/runs', { schema: { params: ProducerLabParams, body: ProducerRunBody, response: { 200: ProducerRunSchema, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const result = await lab.run(request.params.name, request.body)
    request.log.info({ topic: result.topic, run: result.run, settings: result.settings, batches: result.stored.batchCount, duplicates: result.duplicates.length }, 'producer lab: run')
    return result
  })

  fastify.delete('/topics/:name', { schema: { params: ProducerLabParams, response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    await lab.delete(request.params.name)
    return await reply.code(204).send(null)
  })
}

export default routes
