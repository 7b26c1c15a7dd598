import { HEADERS, findTopic, isSagaMode, wireSchemaId } from '@vitrine/contracts'
import type { DeadLetterOrigin, LiveEvent, Outcome } from '../wire.ts'

// What the gateway pushes to browsers for every record it reads: the record's Kafka coordinates,
// the saga headers, the schema id and the decoded Avro value. One shape for the live feed, the
// order index, the message browser and the tests.

export type { Outcome, DeadLetterOrigin, LiveEvent } from '../wire.ts'

export const OUTCOMES: readonly Outcome[] = ['started', 'progress', 'success', 'failure', 'compensation', 'retry', 'dead-letter', 'unknown']

/** A record as node-rdkafka hands it over, reduced to what the gateway reads. */
export interface RawRecord {
  topic: string
  partition: number
  offset: number
  key?: Buffer | string | null | undefined
  value: Buffer | null | undefined
  timestamp?: number | undefined
  headers?: ReadonlyArray<Record<string, Buffer | string | Uint8Array>> | undefined
}

export type ValueDecoder = (value: Buffer) => Promise<unknown>

export function headersOf (record: RawRecord): Record<string, string> {
  const out: Record<string, string> = {}
  for (const h of record.headers ?? []) {
    for (const [k, v] of Object.entries(h)) out[k] = typeof v === 'string' ? v : Buffer.from(v).toString('utf8')
  }
  return out
}

export function logicalTopic (raw: string, prefix: string): string {
  return prefix && raw.startsWith(prefix) ? raw.slice(prefix.length) : raw
}

function field (value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined
}

function str (v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null
}

function num (v: string | undefined): number | null {
  if (v === undefined || v === '') return null
  const n = Number(v)
  return Number.isFinite(n) ? n : null
}

const SUCCESS_REPLIES = new Set(['APPROVED', 'RESERVED', 'COMMITTED'])
const FAILURE_REPLIES = new Set(['DECLINED', 'FAILED'])
const COMPENSATION_REPLIES = new Set(['REFUNDED', 'RELEASED', 'NOTHING_TO_REFUND', 'NOTHING_TO_RELEASE'])
const COMPENSATION_COMMANDS = new Set(['REFUND', 'RELEASE'])

/** The outcome an event reports, from its topic and (for commands and replies) its value. */
export function outcomeOf (topic: string, value: unknown): Outcome {
  switch (topic) {
    case 'orders.new': return 'started'
    case 'payments.requested': return 'progress'
    case 'payments.approved':
    case 'inventory.reserved':
    case 'orders.confirmed':
    case 'notifications.sent': return 'success'
    case 'payments.failed':
    case 'inventory.failed':
    case 'orders.failed': return 'failure'
    case 'payments.refunded':
    case 'inventory.released': return 'compensation'
    case 'orders.dlq': return 'dead-letter'
  }
  const spec = findTopic(topic)
  if (spec?.kind === 'retry') return 'retry'
  if (spec?.kind === 'reply') {
    const outcome = String(field(value, 'outcome') ?? '')
    if (SUCCESS_REPLIES.has(outcome)) return 'success'
    if (FAILURE_REPLIES.has(outcome)) return 'failure'
    if (COMPENSATION_REPLIES.has(outcome)) return 'compensation'
    return 'unknown'
  }
  if (spec?.kind === 'command') {
    const command = String(field(value, 'command') ?? '')
    if (COMPENSATION_COMMANDS.has(command)) return 'compensation'
    if (topic === 'orders.commands') return command === 'CONFIRM' ? 'success' : command === 'FAIL' ? 'failure' : 'unknown'
    return command ? 'progress' : 'unknown'
  }
  return 'unknown'
}

function originOf (headers: Record<string, string>, prefix: string): DeadLetterOrigin | null {
  const original = headers[HEADERS.originalTopic]
  if (original === undefined) return null
  return {
    topic: logicalTopic(original, prefix),
    partition: num(headers[HEADERS.originalPartition]),
    offset: num(headers[HEADERS.originalOffset]),
    error: headers[HEADERS.error] ?? null,
    attempts: num(headers[HEADERS.attempts]),
    failedBy: headers[HEADERS.failedBy] ?? null
  }
}

/**
 * Turns a record into a LiveEvent. Decoding goes through the Schema Registry (by the id in the
 * Confluent wire format); a value that cannot be decoded is reported as such, with its
 * coordinates, instead of being hidden. A retry or dead-letter record carries the original
 * event's bytes, so it is decoded the same way and classified by the topic it came from.
 */
export async function toLiveEvent (record: RawRecord, prefix: string, decode: ValueDecoder): Promise<LiveEvent> {
  const topic = logicalTopic(record.topic, prefix)
  const headers = headersOf(record)
  const spec = findTopic(topic)
  const key = record.key === null || record.key === undefined ? null : typeof record.key === 'string' ? record.key : record.key.toString('utf8')
  let value: unknown = null
  let decodeError: string | null = null
  const schemaId = wireSchemaId(record.value ?? null)
  if (!record.value || record.value.length === 0) {
    decodeError = 'record has no value'
  } else if (schemaId === null) {
    decodeError = 'value is not in Confluent wire format (magic byte 0 + schema id)'
  } else {
    try {
      value = await decode(record.value)
    } catch (err) {
      decodeError = (err as Error).message || String(err)
    }
  }
  const mode = headers[HEADERS.sagaMode]
  const origin = originOf(headers, prefix)
  const outcome = outcomeOf(topic, value)
  return {
    id: `${topic}/${record.partition}/${record.offset}`,
    topic,
    kind: spec?.kind ?? 'unknown',
    partition: record.partition,
    offset: record.offset,
    key,
    timestamp: record.timestamp ?? Date.now(),
    headers,
    eventType: headers[HEADERS.eventType] ?? null,
    correlationId: headers[HEADERS.correlationId] ?? null,
    causationId: headers[HEADERS.causationId] ?? null,
    mode: isSagaMode(mode) ? mode : null,
    producer: headers[HEADERS.producer] ?? null,
    schemaId,
    value,
    decodeError,
    // Only topics keyed by the order name one by their key (products.catalog by productId, the stream jobs' KPIs by window or tier).
    orderId: str(field(value, 'orderId')) ?? (spec && spec.key !== 'orderId' && spec.key !== 'original' ? null : key),
    eventId: str(field(value, 'eventId')),
    outcome,
    origin,
    size: record.value?.length ?? 0
  }
}
