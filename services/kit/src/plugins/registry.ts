import fp from 'fastify-plugin'
import { TopicSerde, registryLogin, topicsWrittenBy } from '@vitrine/contracts'
import type { ServiceName } from '@vitrine/contracts'

export interface RegistryStatus {
  /** The schemas of the topics this service writes are registered (their ids known). */
  registered: boolean
  error: string | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    serde: TopicSerde
    registryStatus: RegistryStatus
  }
}

/**
 * Schema Registry client; registers the schemas of the topics this service writes. A registry that
 * cannot be reached at boot does not stop the service: it starts not ready (see /health) and keeps
 * trying with backoff. Encoding and decoding meanwhile fail as transient errors the callers retry.
 */
export default fp<{ service: ServiceName }>(async (fastify, opts) => {
  // The service's own Kafka principal (KAFKA_AUTH=scram): the registry lets it change only its topics' subjects.
  const serde = new TopicSerde(fastify.config.SCHEMA_REGISTRY_URL, fastify.config.TOPIC_PREFIX, registryLogin(fastify.config))
  const topics = topicsWrittenBy(opts.service).filter(t => t.schema !== null).map(t => t.name)
  const status: RegistryStatus = { registered: false, error: undefined }
  let timer: NodeJS.Timeout | undefined
  let closed = false
  const register = async (attempt: number): Promise<void> => {
    try {
      await serde.registerAll(topics)
      status.registered = true
      status.error = undefined
      if (attempt > 0) fastify.log.info({ attempt }, 'schemas registered: the registry is back')
    } catch (err) {
      status.error = (err as Error).message
      fastify.log.warn({ err, attempt }, 'schema registry unreachable at start; retrying')
      if (!closed) timer = setTimeout(() => { register(attempt + 1).catch(() => {}) }, Math.min(10_000, 500 * 2 ** attempt))
    }
  }
  await register(0)
  fastify.decorate('serde', serde)
  fastify.decorate('registryStatus', status)
  fastify.addHook('onClose', async () => {
    closed = true
    clearTimeout(timer)
  })
}, { name: 'vitrine-registry', dependencies: ['vitrine-config'] })
