import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigResourceTypes } from '@platformatic/kafka'
import { LabTopics } from './lab-topics.ts'
import type { LabTopicsOptions } from './lab-topics.ts'
import type { CompactionLabRecord, CompactionLabSegment, CompactionLabState, CompactionLabTopic, CompactionPolicy } from '../wire.ts'

// The compaction and retention lab: a one-partition lab topic with an aggressive cleaner (or a short
// retention), records written, overwritten and deleted (tombstones) by key, and the log as the broker
// serves it now: what the cleaner (or the retention check) removed shows as offsets gone.

/**
 * The size lab's retention.bytes: a burst of ten one-record batches of a short key and value is 700
 * bytes (70 each, lz4 included), so one burst fits and two do not; after three bursts, the oldest goes.
 */
export const RETENTION_BYTES = 1000

/**
 * The lab topics' configs. Compacted: segments close after 1 s (the cleaner never touches the active
 * segment, and a segment closes at the first write after segment.ms), any dirty share is worth
 * cleaning, and a key may wait at most 1 s for it; tombstones stay 10 s after a cleaning so a
 * reader can see them. Retention by time: records older than 10 s go, a whole closed segment at a time.
 * Retention by size: no time limit, and the oldest segment goes while the partition keeps at least
 * retention.bytes without it. segment.bytes cannot make small segments (Kafka 4 refuses less than
 * 1 MiB), so segments close by time here too: each burst of writes more than 1 s after the last is a
 * segment of its own, and RETENTION_BYTES is about one and a half bursts of ten short records.
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
  },
  size: {
    'cleanup.policy': 'delete',
    'segment.ms': '1000',
    'retention.ms': '-1',
    'retention.bytes': String(RETENTION_BYTES)
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
    return policyFrom(await this.topicConfigs(topic))
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

  /**
   * The partition on disk: its size summed over its replicas (DescribeLogDirs), and the segment files of
   * the first replica, in the log dir that broker names (a .log file per segment, named by its base
   * offset). The segments are null when the gateway cannot see that folder (a broker on another host or
   * in a container): no protocol request lists them.
   */
  private async onDisk (topic: string): Promise<{ sizeBytes: number | null, segments: CompactionLabSegment[] | null }> {
    let dirs
    try {
      dirs = await this.o.console.admin.describeLogDirs({ topics: [{ name: topic, partitions: [0] }] })
    } catch {
      return { sizeBytes: null, segments: null }
    }
    let sizeBytes: number | null = null
    let segments: CompactionLabSegment[] | null = null
    for (const b of [...dirs].sort((x, y) => x.broker - y.broker)) {
      for (const r of b.results) {
        for (const t of r.topics) {
          if (t.name !== topic) continue
          for (const p of t.partitions) sizeBytes = (sizeBytes ?? 0) + Number(p.partitionSize)
          if (segments === null && t.partitions.length > 0) segments = await segmentFiles(join(r.logDir, `${topic}-0`))
        }
      }
    }
    return { sizeBytes, segments }
  }

  /** The log as the broker serves it now: first and next offset, every record still stored, its size, the settings. */
  async state (name: string): Promise<CompactionLabState> {
    const { topic } = await this.topics.existing(name)
    const [configs, broker, w, disk] = await Promise.all([this.topicConfigs(topic), this.brokerConfigs(), this.o.reader.watermarks(topic, 0), this.onDisk(topic)])
    const policy = policyFrom(configs)
    const from = Math.max(w.low, w.high - READ_LIMIT)
    const { records } = w.high > from ? await this.o.reader.read([{ topic, partition: 0, offset: from, until: w.high }], { timeoutMs: 10_000 }) : { records: [] }
    const shown: CompactionLabRecord[] = records.sort((a, b) => a.offset - b.offset).map(r => ({ offset: r.offset, key: r.key, value: r.value === null ? null : r.value.toString('utf8'), timestamp: r.timestamp }))
    return {
      name,
      topic,
      policy,
      // The settings this policy is about (a compacted topic's retention.ms is the default week, beside the point).
      configs: Object.fromEntries(Object.keys(LAB_CONFIGS[policy]).filter(k => configs[k] !== undefined).map(k => [k, configs[k]!])),
      broker,
      low: w.low,
      high: w.high,
      sizeBytes: disk.sizeBytes,
      segments: disk.segments,
      records: shown,
      readAt: Date.now()
    }
  }

  /**
   * Writes `key` = `value` `count` times, one after the other (each its own batch: a burst's size on disk
   * does not depend on how librdkafka grouped it); a null value is a tombstone. Answers with the last
   * record's delivery report.
   */
  async write (name: string, key: string, value: string | null, count = 1): Promise<CompactionLabRecord> {
    const { topic } = await this.topics.existing(name)
    const producer = await this.topics.producer()
    let d
    for (let i = 0; i < count; i++) d = await producer.send({ topic, key, value: value === null ? null : Buffer.from(value), headers: {} })
    return { offset: d!.offset, key, value, timestamp: Date.now() }
  }

  async delete (name: string): Promise<void> {
    await this.topics.delete(name)
  }

  async close (): Promise<void> {
    await this.topics.closeProducer()
  }
}

/** compact, or delete by time, or delete by size (a retention.bytes set): what the broker describes. */
export function policyFrom (configs: Record<string, string>): CompactionPolicy {
  if (configs['cleanup.policy']?.includes('compact') === true) return 'compact'
  return configs['retention.bytes'] !== undefined && Number(configs['retention.bytes']) >= 0 ? 'size' : 'delete'
}

/** A partition folder's segments, oldest first: each `<base offset>.log` file and its size (a `.log.deleted` one is on its way out). */
async function segmentFiles (dir: string): Promise<CompactionLabSegment[] | null> {
  try {
    const files = (await readdir(dir)).filter(f => /^\d{20}\.log$/.test(f)).sort()
    const out: CompactionLabSegment[] = []
    for (const f of files) {
      // A segment deleted between the listing and its stat is gone: left out.
      const st = await stat(join(dir, f)).catch(() => undefined)
      if (st) out.push({ baseOffset: Number(f.slice(0, 20)), sizeBytes: st.size })
    }
    return out
  } catch {
    return null
  }
}
