import fp from 'fastify-plugin'
import { TopicSerde, registryLogin } from '@vitrine/contracts'
import { RegistryBrowser } from '../../lib/registry-browser.ts'

declare module 'fastify' {
  interface FastifyInstance {
    serde: TopicSerde
    registryBrowser: RegistryBrowser
  }
}

/** Schema Registry: decoding by the schema id each record carries, and browsing subjects. The gateway registers nothing. */
export default fp(async (fastify) => {
  fastify.decorate('serde', new TopicSerde(fastify.config.SCHEMA_REGISTRY_URL, fastify.config.TOPIC_PREFIX, registryLogin(fastify.config)))
  fastify.decorate('registryBrowser', new RegistryBrowser(fastify.config.SCHEMA_REGISTRY_URL))
}, { name: 'gateway-registry', dependencies: ['vitrine-config'] })
