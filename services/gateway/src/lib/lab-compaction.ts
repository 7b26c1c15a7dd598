import { ConfigResourceTypes } from '@platformatic/kafka'
import { LabTopics } from './lab-topics.ts'
import type { LabTopicsOptions } from './lab-topics.ts'
import type { CompactionLabRecord, CompactionLabState, CompactionLabTopic, CompactionPolicy } from '../wire.ts'

// The compaction and retention lab: a one-partition lab topic with an aggressive cleaner (or a short
// retention), records written, overwritten and deleted (tombstones) by key, and the log as the broker
// serves it now: what the cleaner (or the retention check) removed shows as offsets gone.

/**
 * The lab topics' configs. Compacted: segments close after 1 s (the cleaner never touches the active
 * segment, and a segment closes at the first write after segment.ms), any dirty share is worth
 * cleaning, and a key may wait at most 1 s for it; tombstones stay 10 s after a cleaning so a
 * reader can see them. Retention: records older than 10 s go, a whole closed segment at a time.
 * (segment.bytes cannot help: Kafka 4 refuses less than 1 MiB.)
 */
export const LAB_CONFIGS: Record<CompactionPolicy, Record<string, string>> = {
  compact: {
    'cleanup.policy': 'compact',
    'segment.ms': '1000',
    'min.cleanable.dirty.ratio': '0.01',
    'min.compaction.lag.ms': '0',
    'max.compaction.lag.ms': '1000',
    'delete.retention.ms': '10000'
  },
  delete: {
    'cleanup.policy': 'delete',
    'segment.ms': '1000',
    'retention.ms': '10000'
  }
}

/** The broker settings that say how soon the cleaner and the retention check run (shown on the page). */
const BROKER_KEYS = ['log.cleaner.backoff.ms', 'log.retention.check.interval.ms']
/** The most records read back (the lab writes a handful; a bigger log is cut to its newest). */
const READ_LIMIT = 500

export type CompactionLabOptions = LabTopicsOptions

export class CompactionLab {
  /** Every lab topic is `<prefix>lab.compactacao.<name>`. */
  private readonly topics: LabTopics

  constructor (private readonly o: CompactionLabOptions) {
    this.topics = new LabTopics(o, 'compactacao')
  }

  private async policyOf (topic: string): Promise<CompactionPolicy> {
    const configs = await this.topicConfigs(topic)
    return configs['cleanup.policy']?.includes('compact') === true ? 'compact' : 'delete'
  }

  async list (): Promise<CompactionLabTopic[]> {
    return await Promise.all((await this.topics.list()).map(async ({ name, topic }) => ({ name, topic, policy: await this.policyOf(topic) })))
  }

  async create (name: string, policy: CompactionPolicy): Promise<CompactionLabTopic> {
    return { name, topic: await this.topics.create(name, 1, LAB_CONFIGS[policy]), policy }
  }

  private async topicConfigs (topic: string): Promise<Record<string, string>> {
    const [d] = await this.o.console.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [...new Set(Object.values(LAB_CONFIGS).flatMap(c => Object.keys(c)))] }] })
    return Object.fromEntries((d?.configs ?? []).filter(c => c.value !== null && c.value !== undefined).map(c => [c.name, String(c.value)]))
  }

  private async brokerConfigs (): Promise<Record<string, string>> {
    const ids = [...(await this.o.console.admin.metadata({ topics: [] })).brokers.keys()].sort((a, b) => a - b)
    if (ids.length === 0) return {}
    const [d] = await this.o.console.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: String(ids[0]), configurationKeys: BROKER_KEYS }] })
    return Object.fromEntries((d?.configs ?? []).filter(c => c.value !== null && c.value !== undefined).map(c => [c.name, String(c.value)]))
  }

  /** The partition's size on disk, summed over its replicas' log dirs (DescribeLogDirs); null when the broker does not say. */
  private async sizeBytes (topic: string): Promise<number | null> {
    try {
      const dirs = await this.o.console.admin.describeLogDirs({ topics: [{ name: topic, partitions: [0] }] })
      let total: number | null = null
      for (const b of dirs) {
        for (const r of b.results) {
          for (const t of r.topics) if (t.name === topic) for (const p of t.partitions) total = (total ?? 0) + Number(p.partitionSize)
        }
      }
      return total
    } catch {
      return null
    }
  }

  /** The log as the broker serves it now: first and next offset, every record still stored, its size, the settings. */
  async state (name: string): Promise<CompactionLabState> {
    const { topic } = await this.topics.existing(name)
    const [configs, broker, w, sizeBytes] = await Promise.all([this.topicConfigs(topic), this.brokerConfigs(), this.o.reader.watermarks(topic, 0), this.sizeBytes(topic)])
    const from = Math.max(w.low, w.high - READ_LIMIT)
    const { records } = w.high > from ? await this.o.reader.read([{ topic, partition: 0, offset: from, until: w.high }], { timeoutMs: 10_000 }) : { records: [] }
    const shown: CompactionLabRecord[] = records.sort((a, b) => a.offset - b.offset).map(r => ({ offset: r.offset, key: r.key, value: r.value === null ? null : r.value.toString('utf8'), timestamp: r.timestamp }))
    return {
      name,
      topic,
      policy: configs['cleanup.policy']?.includes('compact') === true ? 'compact' : 'delete',
      configs,
      broker,
      low: w.low,
      high: w.high,
      sizeBytes,
      records: shown,
      readAt: Date.now()
    }
  }

  /** Writes `key` = `value`; a null value is a tombstone. Answers with the broker's delivery report. */
  async write (name: string, key: string, value: string | null): Promise<CompactionLabRecord> {
    const { topic } = await this.topics.existing(name)
    const producer = await this.topics.producer()
    const d = await producer.send({ topic, key, value: value === null ? null : Buffer.from(value), headers: {} })
    return { offset: d.offset, key, value, timestamp: Date.now() }
  }

  async delete (name: string): Promise<void> {
    await this.topics.delete(name)
  }

  async close (): Promise<void> {
    await this.topics.closeProducer()
  }
}
