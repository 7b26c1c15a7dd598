import { randomUUID } from 'node:crypto'
import { ShopError, partitionOf } from '@vitrine/service-kit'
import type { KafkaReader, ReadRange, StoredRecord } from '@vitrine/service-kit'
import { toLiveEvent } from './live-event.ts'
import type { LiveEvent, ValueDecoder } from './live-event.ts'
import { ORDER_TOPICS, topicRank } from './trace.ts'
import type { OrderReplayPushType, OrderReplayStatusType } from '../schemas/replay.ts'

// An order's replay: every record the topics hold about the order, re-read from the broker (the
// order topics are keyed by orderId; the retry tiers and the DLQ keep the original key) and played
// into the live view one at a time, marked as a replay with their own timestamps and offsets.
// Nothing is produced: the live feed, its history and the order index never see a replayed record.

export type ReplayStatus = OrderReplayStatusType
export type ReplayPush = OrderReplayPushType

/**
 * The records in the order they were written: a partition's by offset (the broker's order), and
 * across partitions and topics by timestamp, ties by the topic's place in the catalog. A merge, not
 * a sort: a record never overtakes an earlier offset of its own partition, whatever its timestamp.
 */
export function originalOrder<T extends { topic: string, partition: number, offset: number, timestamp: number }> (records: readonly T[], rank: (topic: string) => number = () => 0): T[] {
  const lanes = new Map<string, T[]>()
  for (const r of records) {
    const k = `${r.topic}\u0000${r.partition}`
    const lane = lanes.get(k)
    if (lane) lane.push(r)
    else lanes.set(k, [r])
  }
  const heads = [...lanes.values()].map(l => l.sort((a, b) => a.offset - b.offset))
  const earlier = (a: T, b: T): number => a.timestamp - b.timestamp || rank(a.topic) - rank(b.topic) || a.partition - b.partition
  const out: T[] = []
  while (out.length < records.length) {
    let best: T[] | undefined
    for (const lane of heads) {
      if (lane.length > 0 && (best === undefined || earlier(lane[0]!, best[0]!) < 0)) best = lane
    }
    out.push(best!.shift()!)
  }
  return out
}

/**
 * Every record keyed by `orderId` on the order topics, as the broker holds them now: on each topic
 * the one partition the key lands on (murmur2, as every producer of ours and Kafka's Java clients
 * partition), from its first stored offset to its end when the read starts.
 */
export async function readOrderRecords (reader: KafkaReader, prefix: string, orderId: string, timeoutMs: number): Promise<StoredRecord[]> {
  const meta = await reader.metadata()
  const ranges: ReadRange[] = []
  for (const name of ORDER_TOPICS) {
    const t = meta.topics.find(x => x.name === prefix + name)
    if (!t || t.partitions.length === 0) continue
    const partition = partitionOf(orderId, t.partitions.length)
    const w = await reader.watermarks(t.name, partition)
    if (w.high > w.low) ranges.push({ topic: t.name, partition, offset: w.low, until: w.high })
  }
  const { records, done } = await reader.read(ranges, { timeoutMs, keep: r => r.key === orderId })
  if (!done) throw new ShopError('SHOP_ERR_KAFKA', `reading order ${orderId}'s records did not finish within ${timeoutMs} ms`, 502, { orderId })
  return originalOrder(records, topic => topicRank(topic.startsWith(prefix) ? topic.slice(prefix.length) : topic))
}

export interface OrderReplayerOptions {
  reader: KafkaReader
  /** TOPIC_PREFIX: the deployment's (or a test's) copy of the catalog topics. */
  prefix: string
  decode: ValueDecoder
  /** Sends a push to every browser (socket.io's `order-replay`). */
  emit: (push: ReplayPush) => void
  readTimeoutMs: number
}

interface Running { status: ReplayStatus, events: LiveEvent[], timer: NodeJS.Timeout | undefined }

/** One replay at a time: a new one stops the one playing (the instructor moved on to another order). */
export class OrderReplayer {
  private current: Running | undefined

  constructor (private readonly o: OrderReplayerOptions) {}

  get status (): ReplayStatus | null {
    return this.current ? { ...this.current.status } : null
  }

  /** Reads the order's records and starts playing them, the first one now; 404 when the topics hold none. */
  async start (orderId: string, pace: number): Promise<ReplayStatus> {
    const records = await readOrderRecords(this.o.reader, this.o.prefix, orderId, this.o.readTimeoutMs)
    if (records.length === 0) {
      throw new ShopError('SHOP_ERR_NOT_FOUND', `the order topics hold no record keyed by order ${orderId}`, 404, { field: 'params.orderId', orderId })
    }
    const events = await Promise.all(records.map(async r => await toLiveEvent({ ...r, headers: [r.headers] }, this.o.prefix, this.o.decode)))
    this.stop()
    const status: ReplayStatus = {
      id: randomUUID(),
      orderId,
      pace,
      state: 'running',
      total: events.length,
      sent: 0,
      startedAt: Date.now(),
      finishedAt: null,
      records: events.map(e => ({ topic: e.topic, partition: e.partition, offset: e.offset, timestamp: e.timestamp })),
      writesToKafka: false
    }
    const run: Running = { status, events, timer: undefined }
    this.current = run
    this.o.emit({ replay: true, status: { ...status }, seq: null, event: null })
    this.next(run)
    return { ...status }
  }

  private next (run: Running): void {
    if (this.current !== run || run.status.state !== 'running') return
    const seq = run.status.sent
    run.status.sent++
    if (run.status.sent === run.status.total) {
      run.status.state = 'done'
      run.status.finishedAt = Date.now()
    }
    this.o.emit({ replay: true, status: { ...run.status }, seq, event: run.events[seq]! })
    if (run.status.state === 'running') run.timer = setTimeout(() => this.next(run), 1000 / run.status.pace)
  }

  /** Stops the replay playing (its browsers are told); null when none is. */
  stop (): ReplayStatus | null {
    const run = this.current
    if (!run || run.status.state !== 'running') return null
    clearTimeout(run.timer)
    run.status.state = 'stopped'
    run.status.finishedAt = Date.now()
    this.o.emit({ replay: true, status: { ...run.status }, seq: null, event: null })
    return { ...run.status }
  }

  close (): void {
    const run = this.current
    if (run) clearTimeout(run.timer)
    this.current = undefined
  }
}
