import Kafka from 'node-rdkafka'
import type { Admin } from '@platformatic/kafka'
import { ConfigResourceTypes } from '@platformatic/kafka'
import { ShopError } from '@vitrine/service-kit'
import type { KafkaReader, KafkaSecurity } from '@vitrine/service-kit'
import { CONSUMER_SERVICES, TOPICS } from '@vitrine/contracts'
import type { TopicSpec } from '@vitrine/contracts'
import type { GroupDetail, GroupPartition, GroupSummary, PartitionInfo, TopicDetail, TopicSummary } from '../wire.ts'
import type { FieldError, NewTopic } from './topic-validation.ts'
import { PROTECTION_REASON, isRegistryOwned, protectedReason, validateNewTopic } from './topic-validation.ts'

// What the console's Kafka page asks the broker: topics with their partitions and offsets,
// topic creation and deletion (node-rdkafka's admin client), consumer groups with their members,
// committed offsets and lag (@platformatic/kafka's Admin, which speaks the group APIs).

/** Topics the Schema Registry (Apicurio's kafkasql storage) keeps its data in. */
export const REGISTRY_TOPICS = ['kafkasql-journal', 'kafkasql-snapshots', 'registry-events', '_schemas']

export type { TopicSummary, PartitionInfo, TopicDetail, GroupSummary, GroupPartition, GroupDetail } from '../wire.ts'

const CONFIG_SOURCES: Record<number, string> = { 0: 'unknown', 1: 'topic', 2: 'broker-dynamic', 3: 'broker-default-dynamic', 4: 'broker-static', 5: 'default', 6: 'broker-logger', 7: 'client-metrics', 8: 'group' }

/**
 * A rule broken that a route schema cannot express (it depends on the cluster). It has the shape of
 * Fastify's validation errors, so the kit's error handler answers it like one: 400 with each field named.
 */
export class ValidationFailed extends Error {
  readonly statusCode = 400
  readonly code = 'SHOP_ERR_VALIDATION'
  readonly validationContext: string
  readonly validation: Array<{ instancePath: string, keyword: string, message: string }>

  constructor (readonly errors: FieldError[]) {
    super(errors.map(e => `${e.field} ${e.message}`).join('; '))
    this.validationContext = errors[0]?.field.split('.')[0] ?? 'body'
    this.validation = errors.map(e => {
      const [, ...path] = e.field.split('.')
      // Config names contain dots ("retention.ms"): everything after "configs" is one key.
      const i = path.indexOf('configs')
      const parts = i >= 0 && path.length > i + 1 ? [...path.slice(0, i + 1), path.slice(i + 1).join('.')] : path
      return { instancePath: parts.length > 0 ? '/' + parts.join('/') : '', keyword: e.rule, message: e.message }
    })
  }
}

export interface KafkaConsoleOptions {
  admin: Admin
  reader: KafkaReader
  brokers: string
  /** The gateway's Kafka login (lib/kafka-login.ts). */
  security?: KafkaSecurity
  prefix: string
  maxPartitions: number
}

export class KafkaConsole {
  private readonly rd: Kafka.IAdminClient
  private readonly catalog: Map<string, TopicSpec>

  constructor (private readonly o: KafkaConsoleOptions) {
    this.rd = Kafka.AdminClient.create({ 'metadata.broker.list': o.brokers, 'client.id': 'gateway-console', ...o.security })
    this.catalog = new Map(TOPICS.map(t => [o.prefix + t.name, t]))
  }

  get admin (): Admin {
    return this.o.admin
  }

  get maxPartitions (): number {
    return this.o.maxPartitions
  }

  async brokerCount (): Promise<number> {
    return (await this.o.admin.metadata({ topics: [], forceUpdate: true })).brokers.size
  }

  /**
   * The replication factor this cluster gives a new topic: the brokers' default.replication.factor
   * (the stack sets it to the broker count: 1, or 3 with BROKERS=3), never more than the brokers up.
   */
  async defaultReplicationFactor (): Promise<number> {
    const ids = [...(await this.o.admin.metadata({ topics: [], forceUpdate: true })).brokers.keys()].sort((a, b) => a - b)
    if (ids.length === 0) return 1
    const [described] = await this.o.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: String(ids[0]), configurationKeys: ['default.replication.factor'] }] })
    const configured = Number(described?.configs.find(c => c.name === 'default.replication.factor')?.value)
    return Math.max(1, Math.min(ids.length, Number.isInteger(configured) ? configured : 1))
  }

  async topicNames (): Promise<string[]> {
    return (await this.o.admin.listTopics({ includeInternals: true })).sort()
  }

  async exists (name: string): Promise<boolean> {
    return (await this.topicNames()).includes(name)
  }

  private summary (name: string, partitions: PartitionInfo[]): TopicSummary {
    const spec = this.catalog.get(name)
    return {
      name,
      internal: name.startsWith('__') || isRegistryOwned(name, REGISTRY_TOPICS),
      catalog: spec !== undefined,
      kind: spec?.kind ?? null,
      description: spec?.description ?? null,
      partitions: partitions.length,
      replicationFactor: partitions[0]?.replicas.length ?? 0,
      messages: partitions.reduce((n, p) => n + p.messages, 0),
      protected: protectedReason(name, new Set(this.catalog.keys()), REGISTRY_TOPICS)
    }
  }

  private async partitionInfo (names: string[]): Promise<Map<string, PartitionInfo[]>> {
    const out = new Map<string, PartitionInfo[]>()
    if (names.length === 0) return out
    // node-rdkafka's metadata includes Kafka's internal topics, which @platformatic/kafka's leaves out.
    const wanted = new Set(names)
    const meta = (await this.o.reader.metadata()).topics.filter(t => wanted.has(t.name))
    // Watermarks from node-rdkafka too: @platformatic/kafka's listOffsets cannot look up internal topics.
    const marks = new Map<string, { low: number, high: number }>()
    await Promise.all(meta.flatMap(t => t.partitions.map(async p => {
      const w = await this.o.reader.watermarks(t.name, p.id).catch(() => ({ low: 0, high: 0 }))
      marks.set(`${t.name}:${p.id}`, w)
    })))
    for (const t of meta) {
      out.set(t.name, [...t.partitions].sort((a, b) => a.id - b.id).map(p => {
        const { low, high } = marks.get(`${t.name}:${p.id}`) ?? { low: 0, high: 0 }
        const replicas = [...(p.replicas ?? [])]
        const isr = [...(p.isrs ?? [])]
        return { partition: p.id, leader: p.leader, replicas, isr, outOfSync: replicas.filter(r => !isr.includes(r)), low, high, messages: Math.max(0, high - low) }
      }))
    }
    return out
  }

  async listTopics (): Promise<TopicSummary[]> {
    const names = await this.topicNames()
    const info = await this.partitionInfo(names)
    return names.map(n => this.summary(n, info.get(n) ?? []))
  }

  async describeTopic (name: string): Promise<TopicDetail> {
    if (!(await this.exists(name))) throw new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `topic ${name} does not exist`, 404, { topic: name })
    const parts = (await this.partitionInfo([name])).get(name) ?? []
    const [described] = await this.o.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }] })
    const configs = (described?.configs ?? []).map(c => ({ name: c.name, value: c.isSensitive ? null : (c.value ?? null), source: CONFIG_SOURCES[c.configSource] ?? String(c.configSource), readOnly: c.readOnly })).sort((a, b) => a.name.localeCompare(b.name))
    return { ...this.summary(name, parts), partitionDetails: parts, configs }
  }

  async partitionCount (name: string): Promise<number> {
    if (!(await this.exists(name))) throw new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `topic ${name} does not exist`, 404, { topic: name })
    return (await this.o.reader.metadata()).topics.find(t => t.name === name)?.partitions.length ?? 0
  }

  async createTopic (asked: Omit<NewTopic, 'replicationFactor'> & { replicationFactor?: number | undefined }): Promise<TopicSummary> {
    const t: NewTopic = { ...asked, replicationFactor: asked.replicationFactor ?? await this.defaultReplicationFactor() }
    const existing = new Set(await this.topicNames())
    const errors = validateNewTopic(t, { brokers: await this.brokerCount(), maxPartitions: this.o.maxPartitions, existing })
    if (errors.length > 0) throw new ValidationFailed(errors)
    if (existing.has(t.name)) throw new ShopError('SHOP_ERR_TOPIC_EXISTS', `topic ${t.name} already exists`, 409, { topic: t.name })
    await new Promise<void>((resolve, reject) => {
      this.rd.createTopic({ topic: t.name, num_partitions: t.partitions, replication_factor: t.replicationFactor, config: t.configs ?? {} }, 15_000, err => (err ? reject(err) : resolve()))
    }).catch((err: Kafka.LibrdKafkaError) => { throw brokerError(err, t.name) })
    return this.summary(t.name, Array.from({ length: t.partitions }, (_, i) => ({ partition: i, leader: -1, replicas: new Array<number>(t.replicationFactor).fill(-1), isr: [], outOfSync: [], low: 0, high: 0, messages: 0 })))
  }

  /** Grows `name` to `total` partitions (Kafka never removes one); the broker places the new ones. */
  async addPartitions (name: string, total: number): Promise<void> {
    await new Promise<void>((resolve, reject) => this.rd.createPartitions(name, total, 15_000, err => (err ? reject(err) : resolve())))
      .catch((err: Kafka.LibrdKafkaError) => { throw brokerError(err, name) })
  }

  async deleteTopic (name: string): Promise<void> {
    if (!(await this.exists(name))) throw new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `topic ${name} does not exist`, 404, { topic: name })
    const reason = protectedReason(name, new Set(this.catalog.keys()), REGISTRY_TOPICS)
    if (reason) throw new ShopError('SHOP_ERR_TOPIC_PROTECTED', `topic ${name} cannot be deleted from the console: ${PROTECTION_REASON[reason]}`, 409, { topic: name, reason })
    await new Promise<void>((resolve, reject) => this.rd.deleteTopic(name, 15_000, err => (err ? reject(err) : resolve())))
      .catch((err: Kafka.LibrdKafkaError) => { throw brokerError(err, name) })
  }

  async listGroups (): Promise<GroupSummary[]> {
    const groups = await this.o.admin.listGroups()
    return [...groups.values()].map(g => ({ id: g.id, state: g.state, protocolType: g.protocolType, groupType: g.groupType, internal: isRegistryOwned(g.id) })).sort((a, b) => a.id.localeCompare(b.id))
  }

  async describeGroup (id: string): Promise<GroupDetail> {
    // Mid-rebalance a member's assignment is empty and the admin client's decoding of it throws
    // outside any promise (the process would die): such a group is shown without its members.
    const summary = (await this.listGroups()).find(g => g.id === id)
    if (summary && summary.state !== 'STABLE' && summary.state !== 'EMPTY' && summary.state !== 'DEAD') {
      const partitions = (await this.committedLag(id)).map(p => ({ ...p, member: null }))
      return { id, state: summary.state, protocol: '', protocolType: summary.protocolType, members: [], partitions, totalLag: partitions.reduce((n, p) => n + p.lag, 0) }
    }
    const described = (await this.o.admin.describeGroups({ groups: [id] })).get(id)
    if (!described || described.state === 'DEAD') throw new ShopError('SHOP_ERR_GROUP_NOT_FOUND', `consumer group ${id} does not exist`, 404, { group: id })
    const members = [...described.members.values()].map(m => ({
      id: m.id,
      clientId: m.clientId,
      host: m.clientHost,
      assignments: [...(m.assignments?.values() ?? [])].map(a => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) }))
    }))
    const owner = new Map<string, string>()
    for (const m of members) for (const a of m.assignments) for (const p of a.partitions) owner.set(`${a.topic}:${p}`, m.clientId)
    const [committed] = await this.o.admin.listConsumerGroupOffsets({ groups: [id] })
    const keys = new Map<string, { topic: string, partition: number, committed: number | null }>()
    for (const t of committed?.topics ?? []) {
      for (const p of t.partitions) keys.set(`${t.name}:${p.partitionIndex}`, { topic: t.name, partition: p.partitionIndex, committed: p.committedOffset >= 0n ? Number(p.committedOffset) : null })
    }
    for (const k of owner.keys()) {
      if (keys.has(k)) continue
      const i = k.lastIndexOf(':')
      keys.set(k, { topic: k.slice(0, i), partition: Number(k.slice(i + 1)), committed: null })
    }
    const existing = new Set(await this.topicNames())
    const topics = [...new Set([...keys.values()].map(k => k.topic))].filter(t => existing.has(t))
    const info = await this.partitionInfo(topics)
    const earliest = readsFromEarliest(id)
    const partitions: GroupPartition[] = [...keys.values()]
      .filter(k => existing.has(k.topic))
      .map(k => {
        const { low, high: end } = info.get(k.topic)?.[k.partition] ?? { low: 0, high: 0 }
        return { ...k, end, lag: lagOf(k.committed, low, end, earliest), member: owner.get(`${k.topic}:${k.partition}`) ?? null }
      })
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    return {
      id,
      state: described.state,
      protocol: described.protocol,
      protocolType: described.protocolType,
      members,
      partitions,
      totalLag: partitions.reduce((n, p) => n + (p.lag ?? 0), 0)
    }
  }

  /**
   * A group's committed offsets against the partitions' ends, without describing its members: the
   * admin client's decoding of member metadata throws outside any promise on some groups (a member
   * mid-rebalance with an empty assignment), which would take the process down. For the lag metric.
   */
  async committedLag (id: string): Promise<Array<{ topic: string, partition: number, committed: number, end: number, lag: number }>> {
    const [committed] = await this.o.admin.listConsumerGroupOffsets({ groups: [id] })
    const rows: Array<{ topic: string, partition: number, committed: number }> = []
    for (const t of committed?.topics ?? []) {
      for (const p of t.partitions) if (p.committedOffset >= 0n) rows.push({ topic: t.name, partition: p.partitionIndex, committed: Number(p.committedOffset) })
    }
    const existing = new Set(await this.topicNames())
    const info = await this.partitionInfo([...new Set(rows.map(r => r.topic))].filter(t => existing.has(t)))
    return rows
      .filter(r => info.has(r.topic))
      .map(r => {
        const end = info.get(r.topic)?.[r.partition]?.high ?? 0
        return { ...r, end, lag: Math.max(0, end - r.committed) }
      })
  }

  close (): void {
    this.rd.disconnect()
  }
}

/** Groups of Vitrine's own consumers (the kit's, `<service>` or `<service>-…`, and the sales-counter's): they start at the earliest offset. */
export function readsFromEarliest (group: string): boolean {
  return [...CONSUMER_SERVICES, 'sales-counter'].some(s => group === s || group.startsWith(`${s}-`))
}

/**
 * A partition's lag for a group: log end − committed offset. With no commit yet, where the group
 * starts is its consumers' auto.offset.reset. On a partition that holds no record (end = start:
 * never written, or all of it deleted by retention) every policy starts at the end, so the lag
 * is 0, not unknown. On one that holds records, Vitrine's consumers (kit, sales-counter) start
 * at the earliest retained offset, so all of them, end − start, are still to read; a foreign
 * group reading with `latest` would start at the end instead, and `kafka-consumer-groups
 * --describe` shows "-" there: that case stays null (unknown) unless the group is ours.
 */
export function lagOf (committed: number | null, low: number, end: number, earliest: boolean): number | null {
  if (committed !== null) return Math.max(0, end - committed)
  if (end <= low) return 0
  return earliest ? end - low : null
}

/** Maps the broker's refusal to the field it is about (400), or to a conflict (409). */
export function brokerError (err: Kafka.LibrdKafkaError, topic: string): ShopError {
  const E = Kafka.CODES.ERRORS
  const message = err.message || String(err)
  switch (err.code) {
    case E.ERR_TOPIC_ALREADY_EXISTS: return new ShopError('SHOP_ERR_TOPIC_EXISTS', `topic ${topic} already exists`, 409, { topic })
    case E.ERR_UNKNOWN_TOPIC_OR_PART: return new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `topic ${topic} does not exist`, 404, { topic })
    case E.ERR_INVALID_REPLICATION_FACTOR: return new ValidationFailed([{ field: 'body.replicationFactor', rule: 'broker', message }])
    case E.ERR_INVALID_PARTITIONS: return new ValidationFailed([{ field: 'body.partitions', rule: 'broker', message }])
    case E.ERR_INVALID_CONFIG: return new ValidationFailed([{ field: 'body.configs', rule: 'broker', message }])
    case E.ERR_TOPIC_EXCEPTION: return new ValidationFailed([{ field: 'body.name', rule: 'broker', message }])
    case E.ERR_POLICY_VIOLATION: return new ValidationFailed([{ field: 'body', rule: 'policy', message }])
    default: return new ShopError('SHOP_ERR_KAFKA', `the broker refused: ${message}`, 502, { topic, code: err.code })
  }
}
