import fp from 'fastify-plugin'
import { TopicSerde, topicsWrittenBy } from '@vitrine/contracts'
import type { ServiceName } from '@vitrine/contracts'

declare module 'fastify' {
  interface FastifyInstance {
    serde: TopicSerde
  }
}

/** Schema Registry client; registers the schemas of the topics this service writes at boot. */
export default fp<{ service: ServiceName }>(async (fastify, opts) => {
  const serde = new TopicSerde(fastify.config.SCHEMA_REGISTRY_URL, fastify.config.TOPIC_PREFIX)
  const topics = topicsWrittenBy(opts.service).filter(t => t.schema !== null).map(t => t.name)
  await serde.registerAll(topics)
  fastify.decorate('serde', serde)
}, { name: 'vitrine-registry', dependencies: ['vitrine-config'] })
