import type { LiveKpis, OrderKpis, RevenueByTier, StreamTopic, TopProduct } from '@vitrine/contracts'
import { FROM_BEGINNING, KafkaReader } from '@vitrine/service-kit'
import type { KafkaSecurity, Logger, StoredRecord } from '@vitrine/service-kit'

// The KPI panel's state, built from the Flink jobs' output topics: the last windows of order_kpis,
// the top products of the newest windows, the live 5-minute buckets and the revenue per tier (the
// last two are upsert tables: the newest record per key is its value, a null value deletes it).

export const KPI_TOPICS = ['streams.order-kpis', 'streams.top-products', 'streams.live-kpis', 'streams.revenue-by-tier'] as const satisfies readonly StreamTopic[]
export type KpiTopic = typeof KPI_TOPICS[number]

/** How many 1-minute windows (and 5-minute buckets) the panel keeps: a chart's worth. */
export const KPI_WINDOWS = 30

export interface KpiSnapshot {
  /** Oldest first. */
  windows: OrderKpis[]
  /** The newest window's top products, by rank. */
  topProducts: TopProduct[]
  /** Oldest first. */
  live: LiveKpis[]
  /** By revenue, highest first. */
  revenueByTier: RevenueByTier[]
  /** When the last record was read (epoch ms), or null before any. */
  updatedAt: number | null
}

export class KpiState {
  private readonly windows = new Map<number, OrderKpis>()
  private readonly top = new Map<number, Map<number, TopProduct>>()
  private readonly live = new Map<string, LiveKpis>()
  private readonly tiers = new Map<string, RevenueByTier>()
  private updatedAt: number | null = null

  /** One record of a KPI topic (logical name), its value decoded or null for a tombstone. */
  apply (topic: KpiTopic, key: string | null, value: unknown, at = Date.now()): void {
    this.updatedAt = at
    switch (topic) {
      case 'streams.order-kpis': {
        const v = value as OrderKpis | null
        if (v) this.windows.set(v.windowStart, v)
        trim(this.windows)
        break
      }
      case 'streams.top-products': {
        const v = value as TopProduct | null
        if (!v) break
        const ranks = this.top.get(v.windowStart) ?? new Map<number, TopProduct>()
        ranks.set(v.rank, v)
        this.top.set(v.windowStart, ranks)
        trim(this.top)
        break
      }
      case 'streams.live-kpis': {
        const v = value as LiveKpis | null
        if (v) this.live.set(key ?? String(v.bucketStart), v)
        else if (key !== null) this.live.delete(key)
        trim(this.live)
        break
      }
      case 'streams.revenue-by-tier': {
        const v = value as RevenueByTier | null
        if (v) this.tiers.set(v.tier, v)
        else if (key !== null) this.tiers.delete(key)
        break
      }
    }
  }

  snapshot (): KpiSnapshot {
    const newestTop = [...this.top.keys()].sort((a, b) => b - a)[0]
    return {
      windows: [...this.windows.values()].sort((a, b) => a.windowStart - b.windowStart),
      topProducts: newestTop === undefined ? [] : [...this.top.get(newestTop)!.values()].sort((a, b) => a.rank - b.rank),
      live: [...this.live.values()].sort((a, b) => a.bucketStart - b.bucketStart),
      revenueByTier: [...this.tiers.values()].sort((a, b) => b.revenueCents - a.revenueCents || a.tier.localeCompare(b.tier)),
      updatedAt: this.updatedAt
    }
  }
}

/** Keeps the KPI_WINDOWS newest entries of a map keyed by a time (or a time's text). */
function trim<K extends number | string, V> (map: Map<K, V>): void {
  if (map.size <= KPI_WINDOWS) return
  const keys = [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  for (const k of keys.slice(0, map.size - KPI_WINDOWS)) map.delete(k)
}

export interface KpiFollowerOptions {
  brokers: string
  /** The gateway's Kafka login (lib/kafka-login.ts). */
  security?: KafkaSecurity
  prefix: string
  clientId: string
  decode: (value: Buffer, topic: KpiTopic) => Promise<unknown>
  onChange: () => void
  log: Logger
  /** How long one read runs before the follower looks again for topics or partitions that appeared. */
  rereadMs?: number
}

/**
 * Follows the KPI topics with kit's reader (assigned, never a group member, commits nothing): from
 * their first record at start (they are small: one record per window, per bucket or per tier), then
 * on as Flink writes. A topic that does not exist yet is looked for again at each re-read.
 */
export class KpiFollower {
  readonly state = new KpiState()
  private readonly reader: KafkaReader
  private readonly next = new Map<string, number>()
  private readonly abort = new AbortController()
  private done: Promise<void> = Promise.resolve()
  records = 0
  error: string | null = null

  constructor (private readonly o: KpiFollowerOptions) {
    this.reader = new KafkaReader(o.brokers, o.clientId, undefined, o.security)
  }

  start (): void {
    this.done = this.loop()
  }

  private async loop (): Promise<void> {
    const byRaw = new Map<string, KpiTopic>(KPI_TOPICS.map(t => [this.o.prefix + t, t]))
    while (!this.abort.signal.aborted) {
      try {
        const ranges = []
        for (const raw of byRaw.keys()) {
          for (const partition of await this.reader.partitions(raw)) ranges.push({ topic: raw, partition, offset: this.next.get(`${raw}:${partition}`) ?? FROM_BEGINNING })
        }
        if (ranges.length === 0) {
          await sleep(this.o.rereadMs ?? 5000, this.abort.signal)
          continue
        }
        await this.reader.read(ranges, {
          timeoutMs: this.o.rereadMs ?? 5000,
          signal: this.abort.signal,
          onRecord: (r: StoredRecord) => { this.take(byRaw.get(r.topic)!, r).catch(() => {}) }
        })
        this.error = null
      } catch (err) {
        this.error = (err as Error).message
        this.o.log.warn({ err }, 'KPI follower read failed')
        await sleep(2000, this.abort.signal)
      }
    }
  }

  private pending: Promise<void> = Promise.resolve()

  // Decoding is async (the registry is asked once per schema id): records are applied in the order read.
  private async take (topic: KpiTopic, r: StoredRecord): Promise<void> {
    this.next.set(`${r.topic}:${r.partition}`, r.offset + 1)
    this.records++
    this.pending = this.pending.then(async () => {
      try {
        const value = r.value === null ? null : await this.o.decode(r.value, topic)
        this.state.apply(topic, r.key, value)
        this.o.onChange()
      } catch (err) {
        this.o.log.warn({ err, topic: r.topic, partition: r.partition, offset: r.offset }, 'KPI record could not be decoded')
      }
    })
    await this.pending
  }

  /** Resolves once every record read so far is applied (for tests). */
  async settled (): Promise<void> {
    await this.pending
  }

  async stop (): Promise<void> {
    this.abort.abort()
    await this.done
    await this.pending
    await this.reader.close()
  }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>(resolve => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}
