import { TOPICS } from '@vitrine/contracts'
import type { SagaMode } from '@vitrine/contracts'
import { endOffsets, partitionOf, readFrom } from '@vitrine/service-kit'
import type { PartitionOffset, StoredRecord } from '@vitrine/service-kit'

// Where a key lands is kit's (the exercises' checkers read by key too).
export { partitionOf }

// What Kafka holds for an order, for POST /api/compare. Nothing here is inferred: a record is in a
// trace because it is on a catalog topic with the order's id as its key. The reader starts at the
// ends the partitions had before the order was placed and reads only the partition each topic puts
// the order's key on, forward, until every record the saga's outcome implies has been read.

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

/** Every catalog topic keyed by the order (its saga topics, the retry tiers and the DLQ, which keep the original key). */
export const ORDER_TOPICS: readonly string[] = TOPICS.filter(t => t.key === 'orderId' || t.key === 'original').map(t => t.name)

/** How an order ended, as its outcome record (orders.confirmed / orders.failed) says. */
export type Outcome = { status: 'confirmed' } | { status: 'failed', reason: string }

/**
 * The records each finished saga leaves, by mode and outcome: topic → how many. The trace is
 * complete when all of them are read. An outcome not listed (a deadline, a timeout) has no known
 * set: only the outcome and its notification are required then, and the result says so.
 */
export function expectedTopics (mode: SagaMode, outcome: Outcome): Record<string, number> | null {
  const reason = outcome.status === 'confirmed' ? 'confirmed' : outcome.reason
  if (mode === 'choreography') {
    switch (reason) {
      case 'confirmed': return { 'orders.new': 1, 'payments.requested': 1, 'payments.approved': 1, 'inventory.reserved': 1, 'orders.confirmed': 1, 'notifications.sent': 1 }
      case 'payment_failed': return { 'orders.new': 1, 'payments.requested': 1, 'payments.failed': 1, 'orders.failed': 1, 'notifications.sent': 1 }
      // The customer hears twice: out of stock (inventory.failed), then the order failed.
      case 'inventory_failed': return { 'orders.new': 1, 'payments.requested': 1, 'payments.approved': 1, 'inventory.failed': 1, 'orders.failed': 1, 'payments.refunded': 1, 'notifications.sent': 2 }
      default: return null
    }
  }
  switch (reason) {
    // CHARGE, RESERVE, then COMMIT with CONFIRM: three commands to participants, three replies.
    case 'confirmed': return { 'orders.new': 1, 'payments.commands': 1, 'payments.replies': 1, 'inventory.commands': 2, 'inventory.replies': 2, 'orders.commands': 1, 'orders.confirmed': 1, 'notifications.sent': 1 }
    case 'payment_failed': return { 'orders.new': 1, 'payments.commands': 1, 'payments.replies': 1, 'orders.commands': 1, 'orders.failed': 1, 'notifications.sent': 1 }
    // RESERVE failed: nothing to release, the charge is refunded (REFUND and its reply).
    case 'inventory_failed': return { 'orders.new': 1, 'payments.commands': 2, 'payments.replies': 2, 'inventory.commands': 1, 'inventory.replies': 1, 'orders.commands': 1, 'orders.failed': 1, 'notifications.sent': 1 }
    default: return null
  }
}

/** The least any finished saga leaves: the order, its outcome, the customer told. */
export function minimalTopics (outcome: Outcome): Record<string, number> {
  return { 'orders.new': 1, [outcome.status === 'confirmed' ? 'orders.confirmed' : 'orders.failed']: 1, 'notifications.sent': 1 }
}

/** What `expected` still lacks in `records`, in pt-BR ("notifications.sent (1 de 2)"). */
export function missingFrom (expected: Record<string, number>, records: readonly { topic: string }[]): string[] {
  const count = new Map<string, number>()
  for (const r of records) count.set(r.topic, (count.get(r.topic) ?? 0) + 1)
  return Object.entries(expected).flatMap(([topic, n]) => {
    const got = count.get(topic) ?? 0
    return got >= n ? [] : [n === 1 ? topic : `${topic} (${got} de ${n})`]
  })
}

/** Where a trace starts: the end of every partition of the order topics, noted before any order is placed. */
export class TraceStart {
  private constructor (readonly brokers: string, readonly prefix: string, private readonly ends: ReadonlyMap<string, PartitionOffset[]>) {}

  static async now (brokers: string, prefix: string): Promise<TraceStart> {
    const ends = new Map<string, PartitionOffset[]>()
    for (const p of await endOffsets(brokers, ORDER_TOPICS.map(t => prefix + t))) {
      const list = ends.get(p.topic) ?? []
      list.push(p)
      ends.set(p.topic, list)
    }
    return new TraceStart(brokers, prefix, ends)
  }

  /** For each order topic, the one partition `key` lands on and the offset it had at the start. */
  positionsFor (key: string): PartitionOffset[] {
    return [...this.ends.values()].map(parts => {
      const p = partitionOf(key, parts.length)
      return parts.find(x => x.partition === p)!
    })
  }

  /**
   * Reads `key`'s records forward from the start until `done` says they are all there, or
   * `timeoutMs` passes. `done` sees the records read so far, catalog names, in offset order per partition.
   */
  async read (key: string, done: (records: readonly TraceRecord[]) => boolean | Promise<boolean>, timeoutMs: number): Promise<{ records: TraceRecord[], done: boolean }> {
    const toTrace = (r: StoredRecord): TraceRecord => ({ ...r, topic: r.topic.startsWith(this.prefix) ? r.topic.slice(this.prefix.length) : r.topic })
    let records: TraceRecord[] = []
    const out = await readFrom(this.brokers, this.positionsFor(key), async kept => {
      records = kept.map(toTrace)
      return await done(records)
    }, { timeoutMs, keep: r => r.key === key })
    return { records: out.records.map(toTrace), done: out.done }
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
