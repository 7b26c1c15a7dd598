import { partitionOf } from '@vitrine/service-kit'
import type { StoredRecord } from '@vitrine/service-kit'
import { ValidationFailed } from './kafka-console.ts'
import { LabTopics } from './lab-topics.ts'
import type { LabTopicsOptions } from './lab-topics.ts'
import type { PartitionsLabKey, PartitionsLabMove, PartitionsLabRecord, PartitionsLabState, PartitionsLabTopic } from '../wire.ts'

// The partitions lab: lab topics of 1-12 partitions, records sent with chosen keys (or none), each
// shown where the broker's delivery report put it, next to the partition murmur2 predicts. Every
// partition and offset shown comes from the broker (a delivery report or the stored records).

/** Each record the lab writes carries the partition count it saw, so its prediction stays checkable after partitions are added. */
export const PARTITIONS_HEADER = 'lab-partitions'
/** The most records the lab reads back per partition (the newest). */
const READ_LIMIT = 200

export type PartitionsLabOptions = LabTopicsOptions

export class PartitionsLab {
  /** Every lab topic is `<prefix>lab.particoes.<name>`: out of the shop's flow and of other labs'. */
  private readonly topics: LabTopics

  constructor (private readonly o: PartitionsLabOptions) {
    this.topics = new LabTopics(o, 'particoes')
  }

  topicOf (name: string): string {
    return this.topics.topicOf(name)
  }

  async list (): Promise<PartitionsLabTopic[]> {
    const topics = await this.topics.list()
    if (topics.length === 0) return []
    const meta = await this.o.reader.metadata()
    return topics.map(({ name, topic }) => ({ name, topic, partitions: meta.topics.find(t => t.name === topic)?.partitions.length ?? 0 }))
  }

  async create (name: string, partitions: number): Promise<PartitionsLabTopic> {
    return { name, topic: await this.topics.create(name, partitions), partitions }
  }

  /** The topic's stored records (the newest READ_LIMIT of each partition) and, per key, where its records are. */
  async state (name: string): Promise<PartitionsLabState> {
    const { topic, partitions } = await this.topics.existing(name)
    const ranges = []
    for (let p = 0; p < partitions; p++) {
      const w = await this.o.reader.watermarks(topic, p)
      if (w.high > w.low) ranges.push({ topic, partition: p, offset: Math.max(w.low, w.high - READ_LIMIT), until: w.high })
    }
    const { records } = await this.o.reader.read(ranges, { timeoutMs: 10_000 })
    const shown = toLabRecords(records.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset), partitions)
    return { name, topic, partitions, records: shown, keys: keysOf(shown, partitions) }
  }

  /** Sends one record per key (null: without a key) and answers with each delivery report, in the keys' order. */
  async send (name: string, keys: ReadonlyArray<string | null>): Promise<{ partitions: number, sent: PartitionsLabRecord[] }> {
    const { topic, partitions } = await this.topics.existing(name)
    const producer = await this.topics.producer()
    const at = Date.now()
    const values = keys.map((k, i) => `mensagem ${i + 1} de ${keys.length}${k === null ? ' (sem chave)' : ` da chave ${k}`}`)
    const delivered = await producer.sendBatch(keys.map((key, i) => ({ topic, key, value: Buffer.from(values[i]!), headers: { [PARTITIONS_HEADER]: String(partitions) } })))
    const sent = delivered.map((d, i) => {
      const key = keys[i]!
      return { key, value: values[i]!, partition: d.partition, offset: d.offset, timestamp: at, fromLab: true, partitionsAtSend: partitions, predicted: key === null ? null : partitionOf(key, partitions) }
    })
    return { partitions, sent }
  }

  /**
   * Grows the topic to `total` partitions and says, for each key already sent, where its records
   * are (the broker's) and where murmur2 puts it from now on. The lab's producer is reopened: an
   * open one would learn of the new partitions only at its next metadata refresh
   * (topic.metadata.refresh.interval.ms, 5 minutes in librdkafka) and go on using the old count.
   */
  async addPartitions (name: string, total: number): Promise<{ before: number, after: number, keys: PartitionsLabMove[] }> {
    const { topic, partitions: before } = await this.topics.existing(name)
    if (total <= before) {
      throw new ValidationFailed([{ field: 'body.partitions', rule: 'minimum', message: `must be more than the ${before} partition${before === 1 ? '' : 's'} topic ${name} has (Kafka never removes a partition)` }])
    }
    const stored = (await this.state(name)).keys
    await this.o.console.addPartitions(topic, total)
    await this.topics.untilPartitions(topic, total)
    await this.topics.closeProducer()
    const keys = stored.map(k => ({ key: k.key, from: k.last, to: partitionOf(k.key, total), moved: k.last !== partitionOf(k.key, total) }))
    return { before, after: total, keys }
  }

  async delete (name: string): Promise<void> {
    await this.topics.delete(name)
  }

  async close (): Promise<void> {
    await this.topics.closeProducer()
  }
}

const countOf = (r: StoredRecord): number | null => {
  const n = Number(r.headers[PARTITIONS_HEADER])
  return Number.isInteger(n) && n > 0 ? n : null
}

/**
 * The records (in time order) with murmur2's prediction under the partition count each was sent
 * with: the lab's own carry it in a header; a record another client wrote (Kafka's console
 * producer) takes the count of the lab's last record before it (or, before any, the first one
 * after it; with none at all, today's count).
 */
function toLabRecords (records: readonly StoredRecord[], partitions: number): PartitionsLabRecord[] {
  let last = records.map(countOf).find(n => n !== null) ?? partitions
  return records.map(r => {
    const own = countOf(r)
    if (own !== null) last = own
    const partitionsAtSend = own ?? last
    return {
      key: r.key,
      value: r.value?.toString('utf8') ?? '',
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      fromLab: own !== null,
      partitionsAtSend,
      predicted: r.key === null ? null : partitionOf(r.key, partitionsAtSend)
    }
  })
}

/** Each key seen (records in time order): the partitions its records are in (the broker's), its newest one's, and the one murmur2 gives it now. */
function keysOf (records: readonly PartitionsLabRecord[], partitions: number): PartitionsLabKey[] {
  const by = new Map<string, { all: Set<number>, last: number }>()
  for (const r of records) {
    if (r.key === null) continue
    const k = by.get(r.key) ?? { all: new Set<number>(), last: r.partition }
    k.all.add(r.partition)
    k.last = r.partition
    by.set(r.key, k)
  }
  return [...by].map(([key, k]) => ({ key, partitions: [...k.all].sort((a, b) => a - b), last: k.last, now: partitionOf(key, partitions) }))
}
