// Checks a "create topic" request before it reaches the broker, so a student gets every broken
// rule at once, each naming its field, instead of the broker's first error.

import type { FieldError } from '../wire.ts'

export type { FieldError } from '../wire.ts'

export interface NewTopic {
  name: string
  partitions: number
  replicationFactor: number
  configs?: Record<string, string> | undefined
}

/** Kafka's own rule for topic names (legal characters, at most 249 of them). */
export const TOPIC_NAME_PATTERN = '^[a-zA-Z0-9._-]+$'
export const TOPIC_NAME_MAX = 249

/** Topic-level configs a Kafka 4.1 broker accepts (`kafka-configs --describe --all` on a topic). */
export const TOPIC_CONFIGS: readonly string[] = [
  'cleanup.policy', 'compression.type', 'compression.gzip.level', 'compression.lz4.level', 'compression.zstd.level',
  'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms',
  'follower.replication.throttled.replicas', 'leader.replication.throttled.replicas',
  'index.interval.bytes', 'local.retention.bytes', 'local.retention.ms',
  'max.compaction.lag.ms', 'max.message.bytes', 'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms',
  'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate',
  'remote.storage.enable', 'remote.log.copy.disable', 'remote.log.delete.on.disable',
  'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms',
  'unclean.leader.election.enable'
]

const INTEGER = /^-?\d+$/
const BOOLEAN = new Set(['true', 'false'])
const CLEANUP = new Set(['delete', 'compact', 'compact,delete', 'delete,compact'])
const COMPRESSION = new Set(['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'])

function configRule (key: string, value: string, replicationFactor: number): FieldError | null {
  const field = `body.configs.${key}`
  if (key === 'cleanup.policy' && !CLEANUP.has(value.replace(/\s/g, ''))) return { field, rule: 'enum', message: 'must be delete, compact or compact,delete' }
  if (key === 'compression.type' && !COMPRESSION.has(value)) return { field, rule: 'enum', message: `must be one of ${[...COMPRESSION].join(', ')}` }
  if (key === 'message.timestamp.type' && value !== 'CreateTime' && value !== 'LogAppendTime') return { field, rule: 'enum', message: 'must be CreateTime or LogAppendTime' }
  if (['preallocate', 'unclean.leader.election.enable', 'remote.storage.enable', 'remote.log.copy.disable', 'remote.log.delete.on.disable'].includes(key) && !BOOLEAN.has(value)) {
    return { field, rule: 'type', message: 'must be true or false' }
  }
  if (key === 'min.cleanable.dirty.ratio') {
    const n = Number(value)
    return value.trim() !== '' && n >= 0 && n <= 1 ? null : { field, rule: 'range', message: 'must be a number between 0 and 1' }
  }
  if (/(\.ms|\.bytes|\.messages|\.level)$/.test(key) || key === 'min.insync.replicas') {
    if (!INTEGER.test(value)) return { field, rule: 'type', message: 'must be an integer' }
    if (key === 'min.insync.replicas') {
      const n = Number(value)
      if (n < 1 || n > replicationFactor) return { field, rule: 'range', message: `must be between 1 and the replication factor (${replicationFactor})` }
    } else if (Number(value) < -2) {
      return { field, rule: 'range', message: 'must be -1 (unlimited) or more' }
    }
  }
  return null
}

export interface TopicRules { brokers: number, maxPartitions: number, existing?: ReadonlySet<string> }

/** Every rule the request breaks; empty when the broker should accept it. */
export function validateNewTopic (t: NewTopic, rules: TopicRules): FieldError[] {
  const errors: FieldError[] = []
  const name = t.name
  if (typeof name !== 'string' || name.length === 0) {
    errors.push({ field: 'body.name', rule: 'required', message: 'must not be empty' })
  } else {
    if (name.length > TOPIC_NAME_MAX) errors.push({ field: 'body.name', rule: 'maxLength', message: `must have at most ${TOPIC_NAME_MAX} characters` })
    if (!new RegExp(TOPIC_NAME_PATTERN).test(name)) errors.push({ field: 'body.name', rule: 'pattern', message: 'may only contain letters, digits, ".", "_" and "-"' })
    if (name === '.' || name === '..') errors.push({ field: 'body.name', rule: 'pattern', message: 'cannot be "." or ".."' })
    if (name.startsWith('__')) errors.push({ field: 'body.name', rule: 'reserved', message: 'names starting with "__" are reserved for Kafka\'s internal topics' })
    if (rules.existing) {
      // Kafka treats "." and "_" as the same character in metric names, so it refuses names that differ only there.
      const norm = (s: string): string => s.replace(/\./g, '_')
      const clash = [...rules.existing].find(e => e !== name && norm(e) === norm(name))
      if (clash) errors.push({ field: 'body.name', rule: 'collision', message: `collides with existing topic "${clash}" ("." and "_" are interchangeable in Kafka metric names)` })
    }
  }
  if (!Number.isInteger(t.partitions) || t.partitions < 1 || t.partitions > rules.maxPartitions) {
    errors.push({ field: 'body.partitions', rule: 'range', message: `must be an integer from 1 to ${rules.maxPartitions}` })
  }
  if (!Number.isInteger(t.replicationFactor) || t.replicationFactor < 1 || t.replicationFactor > rules.brokers) {
    errors.push({ field: 'body.replicationFactor', rule: 'range', message: `must be an integer from 1 to the number of brokers (${rules.brokers})` })
  }
  for (const [key, value] of Object.entries(t.configs ?? {})) {
    if (!TOPIC_CONFIGS.includes(key)) {
      errors.push({ field: `body.configs.${key}`, rule: 'unknown', message: 'is not a topic config Kafka knows' })
      continue
    }
    const rf = Number.isInteger(t.replicationFactor) && t.replicationFactor > 0 ? Math.min(t.replicationFactor, rules.brokers) : rules.brokers
    const broken = configRule(key, String(value), rf)
    if (broken) errors.push(broken)
  }
  return errors
}

export type Protection = 'internal' | 'registry' | 'catalog'

export const PROTECTION_REASON: Record<Protection, string> = {
  internal: 'it is one of Kafka\'s internal topics',
  registry: 'the Schema Registry stores its schemas in it',
  catalog: 'it is in the topic catalog: the saga services read and write it'
}

// Apicurio's kafkasql storage names its topics and consumer groups with these (kafkasql-journal, apicurio-registry-…).
const REGISTRY_PREFIXES = ['kafkasql-', 'apicurio-']

/** A topic or consumer group the Schema Registry keeps for itself: `registryTopics` by name, or a registry prefix. */
export function isRegistryOwned (name: string, registryTopics: readonly string[] = []): boolean {
  return registryTopics.includes(name) || REGISTRY_PREFIXES.some(p => name.startsWith(p))
}

/** Topics the console refuses to delete: Kafka's internal ones and those the system itself runs on. */
export function protectedReason (name: string, catalogNames: ReadonlySet<string>, registryTopics: readonly string[]): Protection | null {
  if (name.startsWith('__')) return 'internal'
  if (isRegistryOwned(name, registryTopics)) return 'registry'
  if (catalogNames.has(name)) return 'catalog'
  return null
}
