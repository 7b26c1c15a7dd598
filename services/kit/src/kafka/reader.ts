import { randomUUID } from 'node:crypto'
import Kafka from 'node-rdkafka'
import { headersOf } from './consumer.ts'

export interface StoredRecord { topic: string, partition: number, offset: number, key: string | null, value: Buffer | null, headers: Record<string, string>, timestamp: number }

async function connected (brokers: string): Promise<Kafka.KafkaConsumer> {
  // No group membership: assign() reads without taking partitions from anyone and commits nothing.
  const c = new Kafka.KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': `reader-${randomUUID()}`, 'enable.auto.commit': false }, {})
  await new Promise<void>((resolve, reject) => c.connect({ timeout: 10_000 }, err => (err ? reject(err) : resolve())))
  return c
}

/**
 * Every record a topic holds right now, partition by partition, up to the high watermarks taken
 * when the call starts. For tools that look at a topic as it is (the DLQ, a saga's trace).
 */
export async function readTopicNow (brokers: string, topic: string, timeoutMs = 30_000): Promise<StoredRecord[]> {
  const c = await connected(brokers)
  try {
    const meta = await new Promise<Kafka.Metadata>((resolve, reject) => c.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))))
    const partitions = meta.topics.find(t => t.name === topic)?.partitions.map(p => p.id) ?? []
    const ends = new Map<number, { low: number, high: number }>()
    for (const p of partitions) {
      const w = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => c.queryWatermarkOffsets(topic, p, 5000, (err, o) => (err ? reject(err) : resolve(o))))
      if (w.highOffset > w.lowOffset) ends.set(p, { low: w.lowOffset, high: w.highOffset })
    }
    if (ends.size === 0) return []
    c.assign([...ends.entries()].map(([partition, w]) => ({ topic, partition, offset: w.low })))
    c.setDefaultConsumeTimeout(200)
    const out: StoredRecord[] = []
    const reached = new Map<number, number>()
    const deadline = Date.now() + timeoutMs
    while ([...ends.entries()].some(([p, w]) => (reached.get(p) ?? w.low - 1) < w.high - 1) && Date.now() < deadline) {
      const msgs = await new Promise<Kafka.Message[]>(resolve => c.consume(1000, (_err, m) => resolve(m ?? [])))
      for (const m of msgs) {
        const end = ends.get(m.partition)
        if (!end || m.offset >= end.high) continue
        reached.set(m.partition, Math.max(reached.get(m.partition) ?? -1, m.offset))
        out.push({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ? m.key.toString() : null, value: m.value ?? null, headers: headersOf(m), timestamp: m.timestamp ?? 0 })
      }
    }
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  } finally {
    await new Promise<void>(resolve => c.disconnect(() => resolve()))
  }
}

/**
 * The first record still held by each partition of a topic (at its low watermark), or none for an
 * empty partition: how old the oldest record is, without reading the rest.
 */
export async function firstRecords (brokers: string, topic: string, timeoutMs = 10_000): Promise<StoredRecord[]> {
  const c = await connected(brokers)
  try {
    const meta = await new Promise<Kafka.Metadata>((resolve, reject) => c.getMetadata({ topic, timeout: timeoutMs }, (err, m) => (err ? reject(err) : resolve(m))))
    const lows = new Map<number, number>()
    for (const p of meta.topics.find(t => t.name === topic)?.partitions ?? []) {
      const w = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => c.queryWatermarkOffsets(topic, p.id, 5000, (err, o) => (err ? reject(err) : resolve(o))))
      if (w.highOffset > w.lowOffset) lows.set(p.id, w.lowOffset)
    }
    if (lows.size === 0) return []
    c.assign([...lows.entries()].map(([partition, offset]) => ({ topic, partition, offset })))
    c.setDefaultConsumeTimeout(200)
    const out = new Map<number, StoredRecord>()
    const deadline = Date.now() + timeoutMs
    while (out.size < lows.size && Date.now() < deadline) {
      const msgs = await new Promise<Kafka.Message[]>(resolve => c.consume(lows.size, (_err, m) => resolve(m ?? [])))
      for (const m of msgs) {
        if (!out.has(m.partition)) out.set(m.partition, { topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ? m.key.toString() : null, value: m.value ?? null, headers: headersOf(m), timestamp: m.timestamp ?? 0 })
      }
    }
    return [...out.values()]
  } finally {
    await new Promise<void>(resolve => c.disconnect(() => resolve()))
  }
}

export interface PartitionOffset { topic: string, partition: number, offset: number }

/**
 * The end (high watermark) of every partition of `topics` now; a topic the broker does not have is
 * left out. Reading from these offsets shows only what is written after the call.
 */
export async function endOffsets (brokers: string, topics: readonly string[]): Promise<PartitionOffset[]> {
  const c = await connected(brokers)
  try {
    const meta = await new Promise<Kafka.Metadata>((resolve, reject) => c.getMetadata({ timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))))
    const wanted = new Set(topics)
    const toppars = meta.topics.filter(t => wanted.has(t.name)).flatMap(t => t.partitions.map(p => ({ topic: t.name, partition: p.id })))
    return await Promise.all(toppars.map(async tp => ({
      ...tp,
      offset: (await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => c.queryWatermarkOffsets(tp.topic, tp.partition, 5000, (err, w) => (err ? reject(err) : resolve(w))))).highOffset
    })))
  } finally {
    await new Promise<void>(resolve => c.disconnect(() => resolve()))
  }
}

/**
 * Reads forward from the given offsets, as records arrive, until `done` says the records kept so
 * far are enough or `timeoutMs` passes. For a reader that waits for records still being written
 * (a saga's trace): it returns as soon as the last one it needs is read, not after a quiet spell.
 */
export async function readFrom (brokers: string, from: readonly PartitionOffset[], done: (kept: readonly StoredRecord[]) => boolean | Promise<boolean>, options: { timeoutMs: number, keep?: (r: StoredRecord) => boolean }): Promise<{ records: StoredRecord[], done: boolean }> {
  const kept: StoredRecord[] = []
  if (await done(kept)) return { records: kept, done: true }
  const c = await connected(brokers)
  try {
    c.assign(from.map(p => ({ topic: p.topic, partition: p.partition, offset: p.offset })))
    // A short wait per call: a record is seen within tens of milliseconds of being written.
    c.setDefaultConsumeTimeout(50)
    const deadline = Date.now() + options.timeoutMs
    while (Date.now() < deadline) {
      const msgs = await new Promise<Kafka.Message[]>(resolve => c.consume(500, (_err, m) => resolve(m ?? [])))
      let added = false
      for (const m of msgs) {
        const r: StoredRecord = { topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ? m.key.toString() : null, value: m.value ?? null, headers: headersOf(m), timestamp: m.timestamp ?? 0 }
        if (options.keep && !options.keep(r)) continue
        kept.push(r)
        added = true
      }
      if (added && await done(kept)) return { records: kept, done: true }
      if (msgs.length === 0) await new Promise(resolve => setTimeout(resolve, 10))
    }
    return { records: kept, done: await done(kept) }
  } finally {
    await new Promise<void>(resolve => c.disconnect(() => resolve()))
  }
}
