import fp from 'fastify-plugin'
import { DLQ_RETENTION_MS, DLQ_TOPIC, RETRY_TIERS } from '@vitrine/contracts'
import { DlqWatch } from '../kafka/dlq-watch.ts'
import { ConsumerEngine } from '../kafka/consumer.ts'
import type { Handler } from '../kafka/consumer.ts'

export interface ConsumerSpec {
  /** Group id without the suffix; the config's KAFKA_GROUP_SUFFIX is appended. */
  group: string
  topics: readonly string[]
  handler: Handler
  concurrency?: number
}

declare module 'fastify' {
  interface FastifyInstance {
    consumers: { add: (spec: ConsumerSpec) => void, engines: ConsumerEngine[], dlq: DlqWatch }
  }
}

/** Consumers start once the app is ready and stop (intake, in-flight, commit, leave) before the producer closes. */
export default fp<{ service: string }>(async (fastify, opts) => {
  const engines: ConsumerEngine[] = []
  const c = fastify.config
  // The retry topics stay the catalog's; only their delays are configurable (short in tests).
  const delays = c.RETRY_TIER_DELAYS_MS.split(',').map(Number)
  const retryTiers = RETRY_TIERS.map((t, i) => ({ topic: t.topic, delayMs: delays[i] ?? t.delayMs }))
  // Every consumer may dead-letter: each service warns before the DLQ's oldest record expires.
  const dlq = new DlqWatch(c.KAFKA_BROKERS, c.TOPIC_PREFIX + DLQ_TOPIC, DLQ_RETENTION_MS)
  fastify.metrics.kit.dlq.check = async () => await dlq.check()
  fastify.metrics.kit.dlq.retentionMs = DLQ_RETENTION_MS
  fastify.decorate('consumers', {
    engines,
    dlq,
    add: (spec: ConsumerSpec) => {
      engines.push(new ConsumerEngine({
        service: opts.service,
        groupId: spec.group + c.KAFKA_GROUP_SUFFIX,
        brokers: c.KAFKA_BROKERS,
        topics: spec.topics,
        prefix: c.TOPIC_PREFIX,
        handler: spec.handler,
        serde: fastify.serde,
        producer: fastify.producer,
        log: fastify.log as never,
        metrics: fastify.metrics.kit,
        concurrency: spec.concurrency ?? c.CONSUMER_CONCURRENCY,
        retryAttempts: c.RETRY_ATTEMPTS,
        retryBackoffMs: c.RETRY_BACKOFF_MS,
        retryTiers
      }))
    }
  })
  fastify.addHook('onReady', async () => { await Promise.all(engines.map(async e => await e.start())) })
  fastify.addHook('onClose', async () => { await Promise.all(engines.map(async e => await e.stop())) })
}, { name: 'vitrine-consumers', dependencies: ['vitrine-producer', 'vitrine-registry', 'vitrine-metrics'] })
