import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { kafkaLogin } from '../../../lib/kafka-login.ts'
import { PartitionsLab } from '../../../lib/lab-particoes.ts'
import { ErrorBody } from '../../../schemas/common.ts'
import { AddPartitionsBody, AddPartitionsResult, CreateLabTopicBody, LAB_PARTITIONS_MAX, LabTopicParams, PartitionsLabStateSchema, PartitionsLabTopicSchema, SendBody, SendResult } from '../../../schemas/lab-particoes.ts'
import type { GatewayConfigType } from '../../../config.ts'

/** The partitions lab: lab topics, records sent with chosen keys, the partition the broker gave each, partitions added live. */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const lab = new PartitionsLab({ console: fastify.kafkaConsole, reader: fastify.kafkaReader, brokers: config.KAFKA_BROKERS, prefix: config.TOPIC_PREFIX, security: kafkaLogin(config).rdkafka })
  fastify.addHook('onClose', async () => { await lab.close() })

  fastify.get('/topics', { schema: { response: { 200: Type.Object({ maxPartitions: Type.Integer(), topics: Type.Array(PartitionsLabTopicSchema) }) } } }, async () => {
    return { maxPartitions: LAB_PARTITIONS_MAX, topics: await lab.list() }
  })

  fastify.post('/topics', { schema: { body: CreateLabTopicBody, response: { 201: PartitionsLabTopicSchema, 400: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    const created = await lab.create(request.body.name, request.body.partitions)
    request.log.info({ topic: created.topic, partitions: created.partitions }, 'partitions lab: topic created')
    return await reply.code(201).send(created)
  })

  fastify.get('/topics/:name', { schema: { params: LabTopicParams, response: { 200: PartitionsLabStateSchema, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    return await lab.state(request.params.name)
  })

  fastify.post('/topics/:name/messages', { schema: { params: LabTopicParams, body: SendBody, response: { 200: SendResult, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    return await lab.send(request.params.name, request.body.keys)
  })

  fastify.post('/topics/:name/partitions', { schema: { params: LabTopicParams, body: AddPartitionsBody, response: { 200: AddPartitionsResult, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const result = await lab.addPartitions(request.params.name, request.body.partitions)
    request.log.info({ topic: lab.topicOf(request.params.name), before: result.before, after: result.after, moved: result.keys.filter(k => k.moved).length }, 'partitions lab: partitions added')
    return result
  })

  fastify.delete('/topics/:name', { schema: { params: LabTopicParams, response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    await lab.delete(request.params.name)
    return await reply.code(204).send(null)
  })
}

export default routes
