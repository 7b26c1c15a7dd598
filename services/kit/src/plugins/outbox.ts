import fp from 'fastify-plugin'
import { OutboxRelay } from '../outbox.ts'

declare module 'fastify' {
  interface FastifyInstance {
    outbox: OutboxRelay
  }
}

export default fp(async (fastify) => {
  const relay = new OutboxRelay(fastify.sql, fastify.producer, fastify.serde, fastify.log as never, fastify.metrics.kit)
  fastify.decorate('outbox', relay)
  fastify.addHook('onReady', async () => relay.start())
  fastify.addHook('onClose', async () => { await relay.stop() })
}, { name: 'vitrine-outbox', dependencies: ['vitrine-postgres', 'vitrine-producer', 'vitrine-registry', 'vitrine-metrics'] })
