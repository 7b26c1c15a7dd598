import { DLQ_TOPIC, HEADERS, RETRY_TIERS, wireSchemaId } from '@vitrine/contracts'
import type { TopicSerde } from '@vitrine/contracts'
import type { EventProducer } from '../kafka/producer.ts'
import { readTopicNow } from '../kafka/reader.ts'
import type { StoredRecord } from '../kafka/reader.ts'

// Operating the dead-letter topic (runbooks/01-dlq.md): see what is there and why, and send a
// record back to the consumer group that gave up on it once the cause is fixed. A replay goes
// through the first retry topic addressed to that group, so it is handled exactly like a retry:
// same code path, same idempotency, and back to the DLQ if it still fails.

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
    value
  }
}

export class ReplayError extends Error {
  code = 'SHOP_ERR_DLQ_REPLAY'
}

/** Sends the DLQ records at `offsets` (or all) back to the groups that gave up on them; returns how many. */
export async function replayDeadLetters (brokers: string, producer: EventProducer, options: { prefix?: string, offsets?: number[], group?: string } = {}): Promise<number> {
  const prefix = options.prefix ?? ''
  const records = (await readTopicNow(brokers, prefix + DLQ_TOPIC))
    .filter(r => options.offsets === undefined || options.offsets.includes(r.offset))
  if (options.offsets) {
    const missing = options.offsets.filter(o => !records.some(r => r.offset === o))
    if (missing.length > 0) throw new ReplayError(`no record at offset ${missing.join(', ')} in ${prefix + DLQ_TOPIC}`)
  }
  let n = 0
  for (const r of records) {
    const failedBy = r.headers[HEADERS.failedBy] ?? ''
    const group = failedBy.slice(failedBy.indexOf('/') + 1)
    if (!group) throw new ReplayError(`DLQ record at offset ${r.offset} has no ${HEADERS.failedBy} header: it cannot be addressed to a group`)
    if (options.group && options.group !== group) continue
    // attempts restart at 0 of the tiers: the operator fixed the cause, so the record gets the full retry ladder again.
    await producer.send({
      topic: prefix + RETRY_TIERS[0].topic,
      key: r.key ?? '',
      value: r.value ?? Buffer.alloc(0),
      headers: { ...r.headers, [HEADERS.retryGroup]: group, [HEADERS.retryDueAt]: String(Date.now()), [HEADERS.attempts]: '0', 'dlq-replayed-from': `${prefix + DLQ_TOPIC}:${r.partition}:${r.offset}` }
    })
    n++
  }
  return n
}
