import pino from 'pino'
import { Type } from 'typebox'
import type { ServiceName, TopicSerde } from '@vitrine/contracts'
import { createAdmin } from '@vitrine/infra'
import { serviceEnv } from '@vitrine/infra/testing/saga'
import type { TestEnv } from '@vitrine/infra/testing/saga'
import { ConsumerEngine, buildApp, createRegistry, kit, kitMetrics, loadConfig, serviceConfig } from '../../src/index.ts'
import type { ConsumerEngineOptions, Consumers } from '../../src/index.ts'

// What the kit's Kafka integration tests share: their topics on a broker, a ConsumerEngine with the
// options they do not test, a service of kit alone with its consumers, a silent log and a serde that
// passes the bytes through.

/** Silent unless TEST_LOG_LEVEL says otherwise. */
export const testLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })

/** Hands the handler the record's bytes as they are: for tests that are not about Avro. */
export const bytesSerde = (prefix: string): TopicSerde => ({ prefix, decode: async (value: Buffer) => value }) as unknown as TopicSerde

type Where = Pick<TestEnv, 'brokers' | 'prefix'>
export interface TopicSpec { name: string, partitions?: number, configs?: Array<{ name: string, value: string }> }

/** Creates `prefix + name` for each topic (one replica; one partition unless said), in order. */
export async function createTopics (at: Where, topics: TopicSpec[]): Promise<void> {
  const admin = createAdmin(at.brokers, 'kit-test')
  try {
    for (const t of topics) await admin.createTopics({ topics: [at.prefix + t.name], partitions: t.partitions ?? 1, replicas: 1, ...(t.configs ? { configs: t.configs } : {}) })
  } finally {
    await admin.close()
  }
}

/** Deletes `prefix + name` for each name; one already gone is not an error. */
export async function deleteTopics (at: Where, names: string[]): Promise<void> {
  const admin = createAdmin(at.brokers, 'kit-test')
  try {
    await admin.deleteTopics({ topics: names.map(n => at.prefix + n) }).catch(() => {})
  } finally {
    await admin.close()
  }
}

type Given = Pick<ConsumerEngineOptions, 'service' | 'topics' | 'handler' | 'serde' | 'producer'> & Partial<ConsumerEngineOptions>

/**
 * An engine on the test's topics and its group (`<service><groupSuffix>`), with no retries and no
 * retry tiers, concurrency 2, the silent log and metrics in a registry of its own; `o` sets the rest
 * and overrides any of these.
 */
export function testEngine (env: Pick<TestEnv, 'brokers' | 'prefix' | 'groupSuffix'>, o: Given): ConsumerEngine {
  return new ConsumerEngine({
    groupId: `${o.service}${env.groupSuffix}`,
    brokers: env.brokers,
    prefix: env.prefix,
    log: testLog,
    metrics: kitMetrics(createRegistry(o.service)),
    concurrency: 2,
    retryAttempts: 0,
    retryBackoffMs: 0,
    retryTiers: [],
    ...o
  })
}

/**
 * A service of kit alone (no routes) on the test's topics, groups and database, its schema
 * `<schema><schemaSuffix>`; `consumers` adds its consumers. `vars` are its variables beyond serviceEnv.
 */
export async function kitServiceApp (env: TestEnv, o: { name: string, service: ServiceName, schema: string, vars?: Record<string, string | number> }, consumers: (c: Consumers) => void): Promise<Awaited<ReturnType<typeof buildApp>>> {
  const config = loadConfig(serviceConfig({ PORT: Type.Integer({ default: 0 }) }), serviceEnv(env, o.vars))
  return await buildApp(o.name, async (fastify, opts) => {
    await fastify.register(kit, { service: o.service, schema: o.schema, config: opts.config })
    consumers(fastify.consumers)
  }, config)
}
