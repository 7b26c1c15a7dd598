import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HEADERS, SAGA_MODES, SERVICES, TOPICS, writersOf } from '@vitrine/contracts'

const TopicEntry = Type.Object({
  name: Type.String(),
  description: Type.String(),
  partitions: Type.Integer(),
  replicationFactor: Type.Integer(),
  key: Type.String(),
  schema: Type.Union([Type.String(), Type.Null()]),
  writers: Type.Array(Type.String()),
  readers: Type.Array(Type.String()),
  kind: Type.String(),
  config: Type.Record(Type.String(), Type.String())
})

const Catalog = Type.Object({
  prefix: Type.String(),
  services: Type.Array(Type.String()),
  modes: Type.Array(Type.String()),
  headers: Type.Record(Type.String(), Type.String()),
  topics: Type.Array(TopicEntry)
})

/** The topic catalog from contracts/: what the flow graph draws (writers → topic → readers). */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/catalog', { schema: { response: { 200: Catalog } } }, async () => ({
    prefix: fastify.config.TOPIC_PREFIX,
    services: [...SERVICES],
    modes: [...SAGA_MODES],
    headers: { ...HEADERS },
    topics: TOPICS.map(t => ({
      name: t.name,
      description: t.description,
      partitions: t.partitions,
      replicationFactor: t.replicationFactor,
      key: t.key,
      schema: t.schema,
      writers: [...writersOf(t)],
      readers: [...t.readers],
      kind: t.kind,
      config: { ...t.config }
    }))
  }))
}

export default routes
