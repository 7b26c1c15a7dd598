import pino from 'pino'
import type { TopicSerde } from '@vitrine/contracts'
import { createAdmin } from '@vitrine/infra'
import type { TestEnv } from '@vitrine/infra/testing/saga'
import { ConsumerEngine, createRegistry, kitMetrics } from '../../src/index.ts'
import type { ConsumerEngineOptions } from '../../src/index.ts'

// What the engine's integration tests share: their topics on a broker, a ConsumerEngine with the
// options they do not test, a silent log and a serde that passes the bytes through.

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
