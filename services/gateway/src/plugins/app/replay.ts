import fp from 'fastify-plugin'
import { OrderReplayer } from '../../lib/order-replay.ts'
import type { GatewayConfigType } from '../../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    orderReplay: OrderReplayer
  }
}

/** How long reading an order's records may take (one partition of each order topic, from its start). */
const READ_TIMEOUT_MS = 20_000

/**
 * The instructor's replay of an order (issue 17): its records re-read from the topics and pushed to
 * every browser as `order-replay`, one per 1/pace seconds, beside (never into) the live feed. A
 * browser that connects mid-replay is told where it stands.
 */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  const io = fastify.io
  const replayer = new OrderReplayer({
    reader: fastify.kafkaReader,
    prefix: config.TOPIC_PREFIX,
    decode: async value => await fastify.serde.decode(value),
    emit: push => { io.emit('order-replay', push) },
    readTimeoutMs: READ_TIMEOUT_MS
  })
  io.on('connection', socket => {
    const status = replayer.status
    if (status?.state === 'running') socket.emit('order-replay', { replay: true, status, seq: null, event: null })
  })
  fastify.decorate('orderReplay', replayer)
  fastify.addHook('preClose', async () => { replayer.close() })
}, { name: 'gateway-order-replay', dependencies: ['vitrine-config', 'gateway-kafka', 'gateway-registry', 'gateway-socket'] })
