import type { TopicSpec } from './topics.ts'
import { SERVICES } from './services.ts'
import { schemaNames } from './schemas.ts'

// Topic-level configs Kafka 4.x accepts. A typo here would otherwise surface as a broker error
// far from the catalog line that caused it.
export const KNOWN_TOPIC_CONFIGS = new Set([
  'cleanup.policy', 'compression.type', 'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms',
  'follower.replication.throttled.replicas', 'index.interval.bytes', 'leader.replication.throttled.replicas',
  'local.retention.bytes', 'local.retention.ms', 'max.compaction.lag.ms', 'max.message.bytes',
  'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.type',
  'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate',
  'remote.storage.enable', 'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.index.bytes',
  'segment.jitter.ms', 'segment.ms', 'unclean.leader.election.enable'
])

export interface CatalogProblem {
  topic: string
  key: string
  rule: string
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/

/** Every rule a catalog entry must satisfy, each problem naming the topic and the key at fault. */
export function validateCatalog (topics: readonly TopicSpec[]): CatalogProblem[] {
  const problems: CatalogProblem[] = []
  const seen = new Set<string>()
  const schemas = new Set(schemaNames())
  for (const t of topics) {
    const name = typeof t.name === 'string' ? t.name : String(t.name)
    if (!TOPIC_NAME.test(name) || name === '.' || name === '..') problems.push({ topic: name, key: 'name', rule: 'must be 1-249 characters of a-z, A-Z, 0-9, ".", "_" or "-"' })
    if (seen.has(name)) problems.push({ topic: name, key: 'name', rule: 'appears more than once in the catalog' })
    seen.add(name)
    if (!Number.isInteger(t.partitions) || t.partitions <= 0) problems.push({ topic: name, key: 'partitions', rule: `must be a positive integer, got ${String(t.partitions)}` })
    if (!Number.isInteger(t.replicationFactor) || t.replicationFactor <= 0) problems.push({ topic: name, key: 'replicationFactor', rule: `must be a positive integer, got ${String(t.replicationFactor)}` })
    for (const [key, value] of Object.entries(t.config ?? {})) {
      if (!KNOWN_TOPIC_CONFIGS.has(key)) problems.push({ topic: name, key: `config.${key}`, rule: 'is not a Kafka topic config' })
      else if (typeof value !== 'string' || value === '') problems.push({ topic: name, key: `config.${key}`, rule: 'must be a non-empty string' })
    }
    const writers = typeof t.writer === 'string' ? [t.writer] : t.writer
    if (!Array.isArray(writers) || writers.length === 0) problems.push({ topic: name, key: 'writer', rule: 'must name the service that writes it' })
    for (const w of writers ?? []) if (!(SERVICES as readonly string[]).includes(w)) problems.push({ topic: name, key: 'writer', rule: `unknown service "${w}"` })
    for (const r of t.readers ?? []) if (!(SERVICES as readonly string[]).includes(r)) problems.push({ topic: name, key: 'readers', rule: `unknown service "${r}"` })
    if (t.schema !== null && !schemas.has(t.schema)) problems.push({ topic: name, key: 'schema', rule: `no file contracts/schemas/${t.schema}.v<N>.avsc` })
  }
  return problems
}

export function formatProblems (problems: CatalogProblem[]): string {
  return problems.map(p => `topic "${p.topic}": ${p.key} ${p.rule}`).join('\n')
}
