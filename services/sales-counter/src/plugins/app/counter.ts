import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import { TopicSerde, registryLogin } from '@vitrine/contracts'
import { rdkafkaSecurity, single } from '@vitrine/service-kit'
import type { SalesCounterConfigType } from '../../config.ts'
import { SalesCounter } from '../../counter.ts'
import { Truth } from '../../truth.ts'

declare module 'fastify' {
  interface FastifyInstance {
    salesCounter: SalesCounter
    truth: Truth
  }
}

/** The counter and the recount it is compared with; the counter stops (consumer, then producers) on close. */
export default fp<{ config: SalesCounterConfigType }>(async (fastify, { config }) => {
  const serde = new TopicSerde(config.SCHEMA_REGISTRY_URL, config.TOPIC_PREFIX, registryLogin(config))
  await serde.register('sales.totals')
  const registers = [fastify.metrics.registry]
  const batches = single(fastify.metrics.registry, 'vitrine_counter_batches_total', () => new Counter({ name: 'vitrine_counter_batches_total', help: 'Batches of the sales-counter, by outcome (committed; aborted: a transaction aborted or a batch read again)', labelNames: ['outcome'] as const, registers }))
  const counter = new SalesCounter({
    brokers: config.KAFKA_BROKERS,
    security: rdkafkaSecurity(config),
    prefix: config.TOPIC_PREFIX,
    groupSuffix: config.KAFKA_GROUP_SUFFIX,
    instanceId: config.SALES_COUNTER_INSTANCE,
    mode: config.SALES_COUNTER_MODE,
    batchMax: config.SALES_COUNTER_BATCH_MAX,
    commitMs: config.SALES_COUNTER_COMMIT_MS,
    crashArmed: config.SALES_COUNTER_CRASH_POINT,
    crashFile: config.SALES_COUNTER_CRASH_FILE,
    serde,
    log: fastify.log,
    onBatch: outcome => batches.inc({ outcome })
  })
  const truth = new Truth(config.KAFKA_BROKERS, counter.source, serde, rdkafkaSecurity(config))
  await counter.start()
  fastify.decorate('salesCounter', counter)
  fastify.decorate('truth', truth)
  fastify.addHook('onClose', async () => {
    await counter.stop()
    await truth.close()
  })
}, { name: 'sales-counter', dependencies: ['vitrine-config', 'vitrine-metrics'] })
