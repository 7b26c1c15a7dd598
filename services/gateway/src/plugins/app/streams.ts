import fp from 'fastify-plugin'
import { KpiFollower } from '../../lib/kpi-feed.ts'
import type { KpiSnapshot } from '../../lib/kpi-feed.ts'
import type { GatewayConfigType } from '../../config.ts'
import { kafkaLogin } from '../../lib/kafka-login.ts'

declare module 'fastify' {
  interface FastifyInstance {
    kpis: { follower: KpiFollower, snapshot: () => KpiSnapshot }
  }
}

/**
 * The KPI panel's feed: follows the Flink jobs' output topics and pushes the panel's state to the
 * browsers over socket.io as `kpis` (at most every KPI_PUSH_MS; a browser gets it on connecting too).
 */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  const io = fastify.io
  let timer: NodeJS.Timeout | null = null
  const follower = new KpiFollower({
    brokers: config.KAFKA_BROKERS,
    security: kafkaLogin(config).rdkafka,
    prefix: config.TOPIC_PREFIX,
    clientId: `${config.GATEWAY_GROUP}-kpis`,
    decode: async (value, topic) => await fastify.serde.decode(value, topic),
    log: fastify.log.child({ component: 'kpi-feed' }),
    // Flink writes a window's rows together (one checkpoint): one push for all of them.
    onChange: () => {
      timer ??= setTimeout(() => {
        timer = null
        io.emit('kpis', follower.state.snapshot())
      }, config.KPI_PUSH_MS)
    }
  })
  fastify.decorate('kpis', { follower, snapshot: () => follower.state.snapshot() })
  io.on('connection', socket => { socket.emit('kpis', follower.state.snapshot()) })
  fastify.addHook('onReady', async () => { follower.start() })
  fastify.addHook('preClose', async () => {
    if (timer) clearTimeout(timer)
    await follower.stop()
  })
}, { name: 'gateway-streams', dependencies: ['vitrine-config', 'gateway-registry', 'gateway-socket'] })
