import { randomUUID } from 'node:crypto'
import Kafka from 'node-rdkafka'
import { ShopError } from '../errors.ts'
import { headersOf } from './consumer.ts'
import type { KafkaSecurity } from './security.ts'
import { envKafkaSecurity } from './security.ts'

// The one way Vitrine reads stored records: a consumer that joins no group, is assigned offsets,
// reads forward and commits nothing, so it takes no partition from anyone. The gateway's message
// browser and trace, the DLQ tools, the tests and the bench all read through it.

export interface StoredRecord { topic: string, partition: number, offset: number, key: string | null, value: Buffer | null, headers: Record<string, string>, timestamp: number }
export interface PartitionOffset { topic: string, partition: number, offset: number }
export interface Watermarks { low: number, high: number }

/** Where to read: from `offset` up to `until` (exclusive), or on as records arrive when `until` is absent. */
export interface ReadRange extends PartitionOffset { until?: number }

export interface ReadOptions {
  /** Gives up after this long, returning what was read. */
  timeoutMs: number
  /** Which records to keep (e.g. one order's key); the others are read past. */
  keep?: (r: StoredRecord) => boolean
  /** Ends the read as soon as the records kept so far are enough. */
  done?: (kept: readonly StoredRecord[]) => boolean | Promise<boolean>
  /** Called with each record kept, as it is read (for a caller that times arrivals). */
  onRecord?: (r: StoredRecord) => void
  /** Ends the read when aborted (a follower that runs until its owner stops it). */
  signal?: AbortSignal
}

// Where a key's records are (every producer of ours uses murmur2, as Kafka's Java clients do).
export { PARTITIONER, murmur2, partitionOf } from './partitioner.ts'

/** librdkafka's logical offset for "the first record the partition still holds". */
export const FROM_BEGINNING = -2

export function toStoredRecord (m: Kafka.Message): StoredRecord {
  return { topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ? m.key.toString() : null, value: m.value ?? null, headers: headersOf(m), timestamp: m.timestamp ?? 0 }
}

const tp = (topic: string, partition: number): string => `${topic}\u0000${partition}`

/**
 * A reader that stays connected and reads one range at a time (calls queue up). Open one per
 * long-lived user (the gateway); the functions below open one per call.
 */
export class KafkaReader {
  private consumer: Kafka.KafkaConsumer | null = null
  private connecting: Promise<Kafka.KafkaConsumer> | null = null
  private queue: Promise<unknown> = Promise.resolve()
  private closed = false

  /**
   * `isolation`: read_uncommitted also shows records of open and aborted transactions (the sales-counter's viewer).
   * `security`: the principal's credentials (kit's rdkafkaSecurity of a service's config); the process's KAFKA_SASL_* when left out.
   */
  constructor (private readonly brokers: string, private readonly clientId = 'vitrine-reader', private readonly isolation: 'read_committed' | 'read_uncommitted' = 'read_committed', private readonly security: KafkaSecurity = envKafkaSecurity()) {}

  private async client (): Promise<Kafka.KafkaConsumer> {
    if (this.closed) throw new Error('the Kafka reader is closed')
    if (this.consumer?.isConnected()) return this.consumer
    this.connecting ??= (async () => {
      const c = new Kafka.KafkaConsumer({
        'metadata.broker.list': this.brokers,
        // A group id is required by the client, never joined: assign() does not use it.
        'group.id': `${this.clientId}-${randomUUID()}`,
        'client.id': this.clientId,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'isolation.level': this.isolation,
        // A record written now is fetched within tens of milliseconds.
        'fetch.wait.max.ms': 50,
        ...this.security
      } as Kafka.ConsumerGlobalConfig, {})
      // Broker hiccups are retried by librdkafka; a read that cannot finish ends at its timeout.
      c.on('event.error', () => {})
      await new Promise<void>((resolve, reject) => c.connect({ timeout: 10_000 }, err => (err ? reject(err) : resolve())))
      c.setDefaultConsumeTimeout(50)
      this.consumer = c
      return c
    })().finally(() => { this.connecting = null })
    return await this.connecting
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return await run
  }

  /** Cluster metadata: every topic (Kafka's internal ones included), or just `topic`. */
  async metadata (topic?: string): Promise<Kafka.Metadata> {
    const c = await this.client()
    const opts = (topic ? { topic, timeout: 10_000 } : { allTopics: true, timeout: 10_000 }) as Kafka.MetadataOptions
    return await new Promise((resolve, reject) => c.getMetadata(opts, (err, m) => (err ? reject(err) : resolve(m))))
  }

  /** The partition ids of `topic`; none for a topic the broker does not have. */
  async partitions (topic: string): Promise<number[]> {
    return (await this.metadata(topic)).topics.find(t => t.name === topic)?.partitions.map(p => p.id) ?? []
  }

  async watermarks (topic: string, partition: number): Promise<Watermarks> {
    const c = await this.client()
    return await new Promise((resolve, reject) => c.queryWatermarkOffsets(topic, partition, 10_000, (err, w) => (err ? reject(err) : resolve({ low: w.lowOffset, high: w.highOffset }))))
  }

  /** The end (high watermark) of every partition of `topics` now; a topic the broker lacks is left out. */
  async endOffsets (topics: readonly string[]): Promise<PartitionOffset[]> {
    const wanted = new Set(topics)
    const parts = (await this.metadata()).topics.filter(t => wanted.has(t.name)).flatMap(t => t.partitions.map(p => ({ topic: t.name, partition: p.id })))
    return await Promise.all(parts.map(async p => ({ ...p, offset: (await this.watermarks(p.topic, p.partition)).high })))
  }

  /**
   * Reads the ranges forward. Ends when every range has an `until` and all are read, when `done`
   * says the records kept are enough (checked as soon as one arrives, not after a quiet spell), or
   * at the timeout.
   */
  async read (ranges: readonly ReadRange[], options: ReadOptions): Promise<{ records: StoredRecord[], done: boolean }> {
    const kept: StoredRecord[] = []
    const enough = async (): Promise<boolean> => (options.done ? await options.done(kept) : false)
    const open = ranges.filter(r => r.until === undefined || r.offset < r.until)
    const bounded = open.length > 0 && open.every(r => r.until !== undefined)
    if (await enough()) return { records: kept, done: true }
    if (open.length === 0) return { records: kept, done: !options.done }
    return await this.serial(async () => {
      const c = await this.client()
      const pending = new Map(open.filter(r => r.until !== undefined).map(r => [tp(r.topic, r.partition), r.until!]))
      c.assign(open.map(r => ({ topic: r.topic, partition: r.partition, offset: r.offset })))
      try {
        const deadline = Date.now() + options.timeoutMs
        // Wait for one record when idle, then take what is already fetched without waiting (as kit's
        // consumer does): a record is handed over as soon as it arrives, which the bench times.
        let idle = true
        while (Date.now() < deadline && !options.signal?.aborted) {
          c.setDefaultConsumeTimeout(idle ? 50 : 0)
          const msgs = await new Promise<Kafka.Message[]>((resolve, reject) => c.consume(idle ? 1 : 500, (err, m) => {
            // A topic this principal may see but not read: said, never shown as an empty topic.
            if (err?.code === Kafka.CODES.ERRORS.ERR_TOPIC_AUTHORIZATION_FAILED) reject(new ShopError('SHOP_ERR_KAFKA_READ_REFUSED', `kafka refused to let this principal read ${open.map(r => r.topic).filter((t, i, a) => a.indexOf(t) === i).join(', ')}: TOPIC_AUTHORIZATION_FAILED (no READ ACL)`, 403))
            else resolve(m ?? [])
          }))
          idle = msgs.length === 0
          let added = false
          for (const m of msgs) {
            const until = pending.get(tp(m.topic, m.partition))
            const range = open.find(r => r.topic === m.topic && r.partition === m.partition)
            if (!range || m.offset < range.offset) continue
            if (range.until !== undefined && m.offset >= range.until) continue
            if (until !== undefined && m.offset >= until - 1) pending.delete(tp(m.topic, m.partition))
            const r = toStoredRecord(m)
            if (options.keep && !options.keep(r)) continue
            kept.push(r)
            options.onRecord?.(r)
            added = true
          }
          if (added && await enough()) return { records: kept, done: true }
          if (msgs.length === 0 && pending.size > 0) {
            // Offsets can have gaps (compaction, transaction markers): the fetch position says when a range is past them.
            for (const p of c.position(open.map(r => ({ topic: r.topic, partition: r.partition })))) {
              const until = pending.get(tp(p.topic, p.partition))
              if (until !== undefined && typeof p.offset === 'number' && p.offset >= until) pending.delete(tp(p.topic, p.partition))
            }
          }
          if (bounded && pending.size === 0) return { records: kept, done: options.done ? await enough() : true }
        }
        return { records: kept, done: await enough() }
      } finally {
        c.unassign()
      }
    })
  }

  /** Up to `limit` records of one partition from `offset` (bounded by the watermarks): the console's message browser. */
  async readPartition (topic: string, partition: number, offset: number, limit: number, timeoutMs = 5_000): Promise<{ watermarks: Watermarks, records: StoredRecord[] }> {
    const watermarks = await this.watermarks(topic, partition)
    const from = Math.max(offset, watermarks.low)
    const until = Math.min(from + limit, watermarks.high)
    const { records } = await this.read([{ topic, partition, offset: from, until }], { timeoutMs })
    return { watermarks, records }
  }

  /** Every record `topic` holds now, up to the high watermarks taken when the call starts, by partition and offset. */
  async readTopicNow (topic: string, timeoutMs = 30_000): Promise<StoredRecord[]> {
    const ranges: ReadRange[] = []
    for (const partition of await this.partitions(topic)) {
      const w = await this.watermarks(topic, partition)
      if (w.high > w.low) ranges.push({ topic, partition, offset: w.low, until: w.high })
    }
    const { records } = await this.read(ranges, { timeoutMs })
    return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  }

  async close (): Promise<void> {
    this.closed = true
    await this.queue
    const c = this.consumer ?? (this.connecting ? await this.connecting.catch(() => null) : null)
    this.consumer = null
    if (c?.isConnected()) await new Promise<void>(resolve => c.disconnect(() => resolve()))
  }
}

async function once<T> (brokers: string, fn: (reader: KafkaReader) => Promise<T>, security?: KafkaSecurity): Promise<T> {
  const reader = new KafkaReader(brokers, undefined, undefined, security)
  try {
    return await fn(reader)
  } finally {
    await reader.close()
  }
}

/**
 * Every record a topic holds right now, partition by partition, up to the high watermarks taken
 * when the call starts. For tools that look at a topic as it is (the DLQ, a saga's trace, tests).
 */
export async function readTopicNow (brokers: string, topic: string, timeoutMs = 30_000, security?: KafkaSecurity): Promise<StoredRecord[]> {
  return await once(brokers, async r => await r.readTopicNow(topic, timeoutMs), security)
}

/**
 * Reads a topic from its first record on, as records arrive, until `until` is satisfied by what was
 * read or the timeout passes; returns what it read. For asserting what services wrote to Kafka.
 */
export async function readTopic (brokers: string, topic: string, until: (records: readonly StoredRecord[]) => boolean, timeoutMs = 30_000): Promise<StoredRecord[]> {
  return await once(brokers, async r => {
    const ranges = (await r.partitions(topic)).map(partition => ({ topic, partition, offset: FROM_BEGINNING }))
    return (await r.read(ranges, { timeoutMs, done: until })).records
  })
}

/**
 * The first record still held by each partition of a topic (at or past its low watermark), or none
 * for an empty partition: how old the oldest record is, without reading the rest.
 */
export async function firstRecords (brokers: string, topic: string, timeoutMs = 10_000, security?: KafkaSecurity): Promise<StoredRecord[]> {
  return await once(brokers, async r => {
    const ranges: ReadRange[] = []
    for (const partition of await r.partitions(topic)) {
      const w = await r.watermarks(topic, partition)
      if (w.high > w.low) ranges.push({ topic, partition, offset: w.low, until: w.high })
    }
    const first = new Map<number, StoredRecord>()
    await r.read(ranges, {
      timeoutMs,
      keep: rec => !first.has(rec.partition),
      onRecord: rec => { first.set(rec.partition, rec) },
      done: () => first.size === ranges.length
    })
    return [...first.values()]
  }, security)
}

/**
 * The end (high watermark) of every partition of `topics` now; a topic the broker does not have is
 * left out. Reading from these offsets shows only what is written after the call.
 */
export async function endOffsets (brokers: string, topics: readonly string[], security?: KafkaSecurity): Promise<PartitionOffset[]> {
  return await once(brokers, async r => await r.endOffsets(topics), security)
}

/**
 * Reads forward from the given offsets, as records arrive, until `done` says the records kept so
 * far are enough or `timeoutMs` passes. For a reader that waits for records still being written
 * (a saga's trace, read by key from known offsets): it returns as soon as the last one it needs
 * is read, not after a quiet spell.
 */
export async function readFrom (brokers: string, from: readonly PartitionOffset[], done: (kept: readonly StoredRecord[]) => boolean | Promise<boolean>, options: { timeoutMs: number, keep?: (r: StoredRecord) => boolean, security?: KafkaSecurity }): Promise<{ records: StoredRecord[], done: boolean }> {
  if (await done([])) return { records: [], done: true }
  const { security, ...read } = options
  return await once(brokers, async r => await r.read(from.map(p => ({ topic: p.topic, partition: p.partition, offset: p.offset })), { ...read, done }), security)
}
