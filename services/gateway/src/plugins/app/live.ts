import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram } from 'prom-client'
import { TOPICS } from '@vitrine/contracts'
import { LiveConsumer } from '../../lib/live-consumer.ts'
import { LiveFeed } from '../../lib/live-feed.ts'
import type { LiveEvent } from '../../lib/live-event.ts'
import { toLiveEvent } from '../../lib/live-event.ts'
import type { GatewayConfigType } from '../../config.ts'
import { kafkaLogin } from '../../lib/kafka-login.ts'
import type { FeedStatus } from '../../wire.ts'

declare module 'fastify' {
  interface FastifyInstance {
    live: { feed: LiveFeed, consumer: LiveConsumer, status: () => FeedStatus }
  }
}

export type { FeedStatus } from '../../wire.ts'

/**
 * The live feed: reads every catalog topic, decodes each record through the registry, and pushes
 * batches to every browser over socket.io. A browser that connects gets `hello`, then the recent
 * `history`, then `events` batches as they come; `stats` and `status` follow every second.
 */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  const { registry } = fastify.metrics
  const pushed = new Counter({ name: 'vitrine_live_pushed_events_total', help: 'Events pushed to browsers (each counted once, whatever the number of browsers)', labelNames: ['topic', 'outcome'] as const, registers: [registry] })
  const batchSize = new Histogram({ name: 'vitrine_live_push_batch_events', help: 'Events per pushed batch', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: [registry] })
  const decodeErrors = new Counter({ name: 'vitrine_decode_errors_total', help: 'Records whose value could not be decoded (shown as such, never dropped)', labelNames: ['topic'] as const, registers: [registry] })
  const clients = new Gauge({ name: 'vitrine_live_socket_clients', help: 'Browsers connected over socket.io', registers: [registry] })

  const io = fastify.io
  const feed = new LiveFeed({
    historySize: config.HISTORY_SIZE,
    orderIndexSize: config.ORDER_INDEX_SIZE,
    pushIntervalMs: config.PUSH_INTERVAL_MS,
    pushMaxBatch: config.PUSH_MAX_BATCH,
    push: (batch: LiveEvent[]) => {
      batchSize.observe(batch.length)
      for (const e of batch) pushed.inc({ topic: e.topic, outcome: e.outcome })
      io.emit('events', batch)
    }
  })

  const serde = fastify.serde
  const decode = async (value: Buffer): Promise<unknown> => await serde.decode(value)
  const consumer = new LiveConsumer({
    brokers: config.KAFKA_BROKERS,
    security: kafkaLogin(config).rdkafka,
    groupId: config.GATEWAY_GROUP + config.KAFKA_GROUP_SUFFIX,
    topics: TOPICS.map(t => config.TOPIC_PREFIX + t.name),
    log: fastify.log.child({ component: 'live-consumer' }),
    onRecords: async (records) => {
      const events: LiveEvent[] = []
      for (const r of records) {
        const e = await toLiveEvent(r, config.TOPIC_PREFIX, decode)
        if (e.decodeError) {
          decodeErrors.inc({ topic: e.topic })
          fastify.log.warn({ topic: e.topic, partition: e.partition, offset: e.offset, orderId: e.orderId, err: e.decodeError }, 'record could not be decoded')
        }
        events.push(e)
      }
      feed.ingest(events)
    }
  })

  const status = (): FeedStatus => ({
    startedAt: feed.startedAt,
    prefix: config.TOPIC_PREFIX,
    kafka: { connected: consumer.isRunning, partitions: consumer.partitions.length, records: consumer.records, error: consumer.error },
    clients: io.engine.clientsCount,
    historySize: config.HISTORY_SIZE,
    pushIntervalMs: config.PUSH_INTERVAL_MS,
    batches: feed.batcher.batches,
    teachingMode: config.TEACHING_MODE
  })

  io.on('connection', socket => {
    clients.set(io.engine.clientsCount)
    socket.emit('hello', status())
    socket.emit('history', feed.history.toArray())
    socket.emit('stats', feed.stats.snapshot())
    socket.on('disconnect', () => clients.set(io.engine.clientsCount))
  })

  let ticker: NodeJS.Timeout | null = null
  fastify.decorate('live', { feed, consumer, status })
  fastify.addHook('onReady', async () => {
    await consumer.start()
    ticker = setInterval(() => {
      if (io.engine.clientsCount === 0) return
      io.emit('stats', feed.stats.snapshot())
      io.emit('status', status())
    }, 1000)
    ticker.unref()
  })
  fastify.addHook('preClose', async () => {
    if (ticker) clearInterval(ticker)
    await consumer.stop()
    feed.close()
  })
}, { name: 'gateway-live', dependencies: ['vitrine-config', 'vitrine-metrics', 'gateway-registry', 'gateway-socket'] })
