import { randomUUID } from 'node:crypto'
import Kafka from 'node-rdkafka'
import type { Logger } from 'pino'
import { TOPICS } from '@vitrine/contracts'
import { headersOf } from '@vitrine/service-kit'

// Reads what Kafka actually holds for an order, for POST /compare: no group, no commits, every
// partition of every catalog topic assigned from a point in time. Nothing here is inferred; a
// record is in a trace because it is on a topic with the order's id as its key.

export interface TraceRecord {
  /** Catalog name (the topic prefix removed). */
  topic: string
  partition: number
  offset: number
  key: string | null
  /** CreateTime set by the producer (epoch ms). */
  timestamp: number
  headers: Record<string, string>
  value: Buffer | null
}

const connect = async (c: Kafka.KafkaConsumer): Promise<void> => {
  await new Promise<void>((resolve, reject) => c.connect({ timeout: 10_000 }, err => (err ? reject(err) : resolve())))
}
const disconnect = async (c: Kafka.KafkaConsumer): Promise<void> => {
  if (c.isConnected()) await new Promise<void>(resolve => c.disconnect(() => resolve()))
}

export class TraceReader {
  private readonly byKey = new Map<string, TraceRecord[]>()
  private readonly lastAt = new Map<string, number>()
  private running = true
  private pumping: Promise<void> = Promise.resolve()

  private constructor (private readonly consumer: Kafka.KafkaConsumer, private readonly prefix: string, private readonly log: Logger) {}

  /** Starts reading every catalog topic from `fromMs` (producer timestamps) onwards, in the background. */
  static async open (brokers: string, prefix: string, fromMs: number, log: Logger): Promise<TraceReader> {
    const consumer = new Kafka.KafkaConsumer({
      'metadata.broker.list': brokers,
      // Required by librdkafka, never joined: assign() takes partitions without a group, and nothing is committed.
      'group.id': `orchestrator-trace-${randomUUID()}`,
      'client.id': 'orchestrator-trace',
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'fetch.wait.max.ms': 50
    } as Kafka.ConsumerGlobalConfig, {})
    await connect(consumer)
    try {
      const meta = await new Promise<Kafka.Metadata>((resolve, reject) => consumer.getMetadata({ timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))))
      const wanted = new Set(TOPICS.map(t => prefix + t.name))
      const toppars = meta.topics.filter(t => wanted.has(t.name)).flatMap(t => t.partitions.map(p => ({ topic: t.name, partition: p.id, offset: fromMs })))
      const found = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) => consumer.offsetsForTimes(toppars, 10_000, (err, tp) => (err ? reject(err) : resolve(tp))))
      // No record at or after fromMs yet: start at the current end, read now, so nothing produced later is skipped.
      const start = await Promise.all(found.map(async tp => tp.offset >= 0
        ? tp
        : { ...tp, offset: (await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => consumer.queryWatermarkOffsets(tp.topic, tp.partition, 5000, (err, w) => (err ? reject(err) : resolve(w))))).highOffset }))
      consumer.assign(start)
    } catch (err) {
      await disconnect(consumer)
      throw err
    }
    const reader = new TraceReader(consumer, prefix, log)
    reader.pumping = reader.pump()
    return reader
  }

  private async pump (): Promise<void> {
    while (this.running) {
      const messages = await new Promise<Kafka.Message[]>(resolve => {
        this.consumer.consume(500, (err, msgs) => {
          if (err) this.log.warn({ err }, 'trace reader: consume failed')
          resolve(msgs ?? [])
        })
      })
      for (const m of messages) {
        const key = m.key ? m.key.toString() : null
        if (key === null) continue
        const list = this.byKey.get(key) ?? []
        list.push({
          topic: m.topic.startsWith(this.prefix) ? m.topic.slice(this.prefix.length) : m.topic,
          partition: m.partition,
          offset: m.offset,
          key,
          timestamp: m.timestamp ?? 0,
          headers: headersOf(m),
          value: m.value ?? null
        })
        this.byKey.set(key, list)
        this.lastAt.set(key, Date.now())
      }
      if (messages.length === 0) await new Promise(resolve => setTimeout(resolve, 20))
    }
  }

  /** Every record read so far whose key is `key`. */
  recordsFor (key: string): TraceRecord[] {
    return [...(this.byKey.get(key) ?? [])]
  }

  /** When the last record for `key` was read (epoch ms), or undefined. */
  lastReadAt (key: string): number | undefined {
    return this.lastAt.get(key)
  }

  async close (): Promise<void> {
    this.running = false
    await this.pumping
    await disconnect(this.consumer)
  }
}

/**
 * The committed offsets of consumer groups, as Kafka reports them (OffsetFetch): a record was
 * consumed by a group when the group's committed offset is past it. A client with the group's id
 * that never subscribes does not join the group, so asking does not disturb its members.
 */
export class CommittedOffsets {
  private readonly clients = new Map<string, Promise<Kafka.KafkaConsumer>>()

  constructor (private readonly brokers: string) {}

  private async client (group: string): Promise<Kafka.KafkaConsumer> {
    let c = this.clients.get(group)
    if (!c) {
      c = (async () => {
        const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': this.brokers, 'group.id': group, 'enable.auto.commit': false } as Kafka.ConsumerGlobalConfig, {})
        await connect(consumer)
        return consumer
      })()
      this.clients.set(group, c)
    }
    return await c
  }

  /** `topic:partition` (raw topic names) → the next offset the group will read; absent when it committed nothing. */
  async of (group: string, toppars: Array<{ topic: string, partition: number }>): Promise<Map<string, number>> {
    if (toppars.length === 0) return new Map()
    const c = await this.client(group)
    const tp = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) => c.committed(toppars, 5000, (err, r) => (err ? reject(err) : resolve(r))))
    return new Map(tp.filter(x => x.offset >= 0).map(x => [`${x.topic}:${x.partition}`, x.offset]))
  }

  async close (): Promise<void> {
    for (const c of this.clients.values()) await disconnect(await c).catch(() => {})
    this.clients.clear()
  }
}

export interface Causal { eventId: string | null, causationId: string | null, timestamp: number, rank: number, partition: number, offset: number }

/**
 * Orders records so that each comes after the record that caused it (its causation-id is that
 * record's eventId), and otherwise by producer timestamp, then by the topic's place in the catalog.
 * Timestamps alone can tie or, across producers, disagree with causality; the headers cannot.
 */
export function causalOrder<T extends Causal> (items: readonly T[]): T[] {
  const base = [...items].sort((a, b) => a.timestamp - b.timestamp || a.rank - b.rank || a.partition - b.partition || a.offset - b.offset)
  const firstWithId = new Map<string, T>()
  for (const it of base) if (it.eventId && !firstWithId.has(it.eventId)) firstWithId.set(it.eventId, it)
  const parentOf = (it: T): T | undefined => {
    const p = it.causationId ? firstWithId.get(it.causationId) : undefined
    return p === it ? undefined : p
  }
  const placed = new Set<T>()
  const out: T[] = []
  while (out.length < base.length) {
    const next = base.find(it => !placed.has(it) && (parentOf(it) === undefined || placed.has(parentOf(it)!))) ??
      base.find(it => !placed.has(it))!
    placed.add(next)
    out.push(next)
  }
  return out
}

export function topicRank (topic: string): number {
  const i = TOPICS.findIndex(t => t.name === topic)
  return i < 0 ? TOPICS.length : i
}
