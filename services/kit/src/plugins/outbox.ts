import fp from 'fastify-plugin'
import { OutboxRelay } from '../outbox.ts'

declare module 'fastify' {
  interface FastifyInstance {
    outbox: OutboxRelay
  }
}

export default fp<{ service: string }>(async (fastify, opts) => {
  const relay = new OutboxRelay(fastify.sql, fastify.producer, fastify.serde, fastify.log, fastify.metrics.kit, 1000, { service: opts.service, schema: fastify.dbSchema })
  fastify.decorate('outbox', relay)
  fastify.addHook('onReady', async () => relay.start())
  fastify.addHook('onClose', async () => { await relay.stop() })
}, { name: 'vitrine-outbox', dependencies: ['vitrine-postgres', 'vitrine-producer', 'vitrine-registry', 'vitrine-metrics'] })
