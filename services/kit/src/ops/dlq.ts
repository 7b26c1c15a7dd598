import { DLQ_TOPIC, HEADERS, RETRY_TIERS, wireSchemaId } from '@vitrine/contracts'
import type { TopicSerde } from '@vitrine/contracts'
import type { EventProducer } from '../kafka/producer.ts'
import { readTopicNow } from '../kafka/reader.ts'
import type { StoredRecord } from '../kafka/reader.ts'
import type { Db, Tx } from '../db.ts'

// Operating the dead-letter topic (runbooks/01-dlq.md): see what is there and why, and send a
// record back to the consumer group that gave up on it once the cause is fixed. A replay goes
// through the first retry topic addressed to that group, so it is handled exactly like a retry:
// same code path, same idempotency, and back to the DLQ if it still fails (as a new DLQ record).
// A ledger in PostgreSQL (vitrine_ops.dlq_replays) makes each DLQ record go back at most once.

export interface DeadLetter {
  partition: number
  offset: number
  key: string | null
  originalTopic: string
  originalPartition: number
  originalOffset: number
  error: string
  attempts: number
  failedBy: string
  /** The consumer group that gave up: the part of `failedBy` after the service name. */
  group: string
  at: string
  schemaId: number | null
  value: unknown
  /** The record's value as it was stored (base64): the bytes that could not be handled. */
  valueBase64: string | null
  /** Its headers as stored: the original record's and the ones the failing consumer added. */
  headers: Record<string, string>
}

export async function listDeadLetters (brokers: string, serde: TopicSerde, prefix = ''): Promise<DeadLetter[]> {
  const records = await readTopicNow(brokers, prefix + DLQ_TOPIC)
  return await Promise.all(records.map(async r => await describe(r, serde)))
}

async function describe (r: StoredRecord, serde: TopicSerde): Promise<DeadLetter> {
  let value: unknown
  try {
    value = r.value && wireSchemaId(r.value) !== null ? { ...(await serde.decode(r.value) as object) } : r.value?.toString('utf8') ?? null
  } catch {
    value = r.value?.toString('base64') ?? null
  }
  const failedBy = r.headers[HEADERS.failedBy] ?? ''
  return {
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    originalTopic: r.headers[HEADERS.originalTopic] ?? '',
    originalPartition: Number(r.headers[HEADERS.originalPartition] ?? -1),
    originalOffset: Number(r.headers[HEADERS.originalOffset] ?? -1),
    error: r.headers[HEADERS.error] ?? '',
    attempts: Number(r.headers[HEADERS.attempts] ?? 0),
    failedBy,
    group: failedBy.slice(failedBy.indexOf('/') + 1),
    at: new Date(r.timestamp).toISOString(),
    schemaId: wireSchemaId(r.value),
    value,
    valueBase64: r.value?.toString('base64') ?? null,
    headers: r.headers
  }
}

export class ReplayError extends Error {
  code = 'SHOP_ERR_DLQ_REPLAY'
}

export interface ReplayOptions {
  prefix?: string
  offsets?: number[]
  group?: string
  /** Send records the ledger says were replayed already. */
  force?: boolean
  /** Only say what would be sent. */
  dryRun?: boolean
}

export interface ReplayItem { partition: number, offset: number, key: string | null, group: string, originalTopic: string, error: string }

export interface ReplayResult {
  /** Sent now (or, in a dry run, what would be sent). */
  sent: ReplayItem[]
  /** Replayed by an earlier run (the ledger), so not sent again without `force`. */
  alreadyReplayed: ReplayItem[]
  /** Written by the outbox relay, not by a consumer group: fixed in the service's outbox table, not replayed. */
  notReplayable: ReplayItem[]
}

/**
 * The replay ledger: one row per DLQ record sent back, keyed by its topic, partition and offset
 * (and timestamp, so a recreated topic's new record at an old offset is not mistaken for it).
 */
export async function ensureLedger (sql: Db): Promise<void> {
  await sql`create schema if not exists vitrine_ops`
  await sql`create table if not exists vitrine_ops.dlq_replays (
    dlq_topic text not null, partition int not null, "offset" bigint not null, record_ts bigint not null,
    "group" text not null, times int not null default 1, last_replayed_at timestamptz not null default now(),
    primary key (dlq_topic, partition, "offset", record_ts))`
}

/**
 * Whether a DLQ record was sent back already (the replay ledger): an operator acted on it, so a
 * watcher that reads it only now must not flag its order again. False while no replay ever ran.
 */
export async function replayedAlready (sql: Db | Tx, r: { topic: string, partition: number, offset: number, timestamp: number }): Promise<boolean> {
  const [ledger] = await sql<Array<{ t: string | null }>>`select to_regclass('vitrine_ops.dlq_replays')::text as t`
  if (!ledger?.t) return false
  const [seen] = await sql`select 1 from vitrine_ops.dlq_replays where dlq_topic = ${r.topic} and partition = ${r.partition} and "offset" = ${r.offset} and record_ts = ${r.timestamp}`
  return seen !== undefined
}

/**
 * Sends DLQ records (those at `offsets`, or all) back to the consumer groups that gave up on them,
 * each at most once: a record is claimed in the ledger before it is sent (and the claim undone if
 * the send fails), so running the replay twice, or two operators at once, sends it once. `force`
 * sends again what was replayed before.
 */
export async function replayDeadLetters (brokers: string, producer: EventProducer | null, sql: Db, options: ReplayOptions = {}): Promise<ReplayResult> {
  const prefix = options.prefix ?? ''
  const dlq = prefix + DLQ_TOPIC
  const records = (await readTopicNow(brokers, dlq))
    .filter(r => options.offsets === undefined || options.offsets.includes(r.offset))
  if (options.offsets) {
    const missing = options.offsets.filter(o => !records.some(r => r.offset === o))
    if (missing.length > 0) throw new ReplayError(`no record at offset ${missing.join(', ')} in ${dlq}`)
  }
  await ensureLedger(sql)
  const result: ReplayResult = { sent: [], alreadyReplayed: [], notReplayable: [] }
  for (const r of records) {
    const failedBy = r.headers[HEADERS.failedBy] ?? ''
    const group = failedBy.slice(failedBy.indexOf('/') + 1)
    if (!group) throw new ReplayError(`DLQ record at offset ${r.offset} has no ${HEADERS.failedBy} header: it cannot be addressed to a group`)
    if (options.group && options.group !== group) continue
    const item: ReplayItem = { partition: r.partition, offset: r.offset, key: r.key, group, originalTopic: r.headers[HEADERS.originalTopic] ?? '', error: r.headers[HEADERS.error] ?? '' }
    if (group === 'outbox') {
      result.notReplayable.push(item)
      continue
    }
    const ref = [dlq, r.partition, r.offset, r.timestamp] as const
    if (options.dryRun) {
      const [seen] = await sql`select 1 from vitrine_ops.dlq_replays where dlq_topic = ${ref[0]} and partition = ${ref[1]} and "offset" = ${ref[2]} and record_ts = ${ref[3]}`
      ;(seen && !options.force ? result.alreadyReplayed : result.sent).push(item)
      continue
    }
    const claimed = await sql`insert into vitrine_ops.dlq_replays (dlq_topic, partition, "offset", record_ts, "group") values (${ref[0]}, ${ref[1]}, ${ref[2]}, ${ref[3]}, ${group})
      on conflict (dlq_topic, partition, "offset", record_ts) do ${options.force ? sql`update set times = dlq_replays.times + 1, last_replayed_at = now()` : sql`nothing`} returning times`
    if (claimed.length === 0) {
      result.alreadyReplayed.push(item)
      continue
    }
    try {
      if (!producer) throw new ReplayError('a producer is needed to replay')
      // attempts restart at 0 of the tiers: the operator fixed the cause, so the record gets the full retry ladder again.
      await producer.send({
        topic: prefix + RETRY_TIERS[0].topic,
        key: r.key ?? '',
        value: r.value ?? Buffer.alloc(0),
        headers: { ...r.headers, [HEADERS.retryGroup]: group, [HEADERS.retryDueAt]: String(Date.now()), [HEADERS.attempts]: '0', [HEADERS.replayedFrom]: `${dlq}:${r.partition}:${r.offset}` }
      })
    } catch (err) {
      // Not sent: undo the claim so the next run tries again.
      if (claimed[0]!.times === 1) await sql`delete from vitrine_ops.dlq_replays where dlq_topic = ${ref[0]} and partition = ${ref[1]} and "offset" = ${ref[2]} and record_ts = ${ref[3]}`
      else await sql`update vitrine_ops.dlq_replays set times = times - 1 where dlq_topic = ${ref[0]} and partition = ${ref[1]} and "offset" = ${ref[2]} and record_ts = ${ref[3]}`
      throw err
    }
    result.sent.push(item)
  }
  return result
}
