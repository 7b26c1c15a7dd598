import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ValidationFailed } from '../../lib/kafka-console.ts'
import { toLiveEvent } from '../../lib/live-event.ts'
import { ErrorBody } from '../../schemas/common.ts'
import { BrowseParams, BrowseQuery, BrowseResult, CreateTopicBody, TopicDetailSchema, TopicParams, TopicSummarySchema } from '../../schemas/kafka.ts'

/** Topics as the broker has them: list, detail with partitions, create, delete, and a partition's messages. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const kc = fastify.kafkaConsole

  fastify.get('/topics', {
    schema: {
      response: {
        200: Type.Object({
          brokers: Type.Integer(),
          maxPartitions: Type.Integer(),
          defaultReplicationFactor: Type.Integer({ description: 'what a new topic gets without replicationFactor: the brokers\' default.replication.factor, at most the brokers up' }),
          topics: Type.Array(TopicSummarySchema)
        })
      }
    }
  }, async () => {
    const [brokers, defaultReplicationFactor, topics] = await Promise.all([kc.brokerCount(), kc.defaultReplicationFactor(), kc.listTopics()])
    return { brokers, maxPartitions: kc.maxPartitions, defaultReplicationFactor, topics }
  })

  fastify.get('/topics/:name', { schema: { params: TopicParams, response: { 200: TopicDetailSchema, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    return await kc.describeTopic(request.params.name)
  })

  fastify.post('/topics', { schema: { body: CreateTopicBody, response: { 201: TopicSummarySchema, 400: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    const created = await kc.createTopic(request.body)
    request.log.info({ topic: created.name, partitions: created.partitions, replicationFactor: created.replicationFactor }, 'topic created from the console')
    return await reply.code(201).header('location', `/api/topics/${encodeURIComponent(created.name)}`).send(created)
  })

  fastify.delete('/topics/:name', { schema: { params: TopicParams, response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } }, async (request, reply) => {
    await kc.deleteTopic(request.params.name)
    request.log.info({ topic: request.params.name }, 'topic deleted from the console')
    return await reply.code(204).send(null)
  })

  fastify.get('/topics/:name/partitions/:partition/messages', {
    schema: { params: BrowseParams, querystring: BrowseQuery, response: { 200: BrowseResult, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const { name, partition } = request.params
    const count = await kc.partitionCount(name)
    if (partition >= count) throw new ValidationFailed([{ field: 'params.partition', rule: 'maximum', message: `must be less than ${count} (topic ${name} has ${count} partition${count === 1 ? '' : 's'})` }])
    const { limit } = request.query
    const reader = fastify.kafkaReader
    const marks = await reader.watermarks(name, partition)
    const from = request.query.offset ?? Math.max(marks.low, marks.high - limit)
    const { watermarks, records } = await reader.readPartition(name, partition, from, limit)
    const decode = async (v: Buffer): Promise<unknown> => await fastify.serde.decode(v)
    const messages = []
    for (const r of records) messages.push(await toLiveEvent({ ...r, headers: [r.headers] }, fastify.config.TOPIC_PREFIX, decode))
    return { topic: name, partition, low: watermarks.low, high: watermarks.high, from: Math.max(from, watermarks.low), messages }
  })
}

export default routes
