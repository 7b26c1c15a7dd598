import avro from 'avsc'
import { findTopic, latestSchema } from '@vitrine/contracts'
import type { RawRecord, ValueDecoder } from '../src/lib/live-event.ts'

// Builds records the way the services write them (Confluent wire format: magic byte 0, a 4-byte
// schema id, the Avro body) and decodes them with the schema each id stands for, without a registry.

const byId = new Map<number, avro.Type>()
const idOf = new Map<string, number>()

export function schemaIdFor (topic: string): number {
  let id = idOf.get(topic)
  if (id === undefined) {
    const spec = findTopic(topic)
    if (!spec?.schema) throw new Error(`${topic} has no schema`)
    id = 1000 + idOf.size
    idOf.set(topic, id)
    byId.set(id, avro.Type.forSchema(latestSchema(spec.schema) as avro.Schema))
  }
  return id
}

export function wire (topic: string, value: unknown): Buffer {
  const id = schemaIdFor(topic)
  const head = Buffer.alloc(5)
  head.writeInt32BE(id, 1)
  return Buffer.concat([head, byId.get(id)!.toBuffer(value)])
}

export const localDecoder: ValueDecoder = async (value) => {
  const id = value.readInt32BE(1)
  const type = byId.get(id)
  if (!type) throw new Error(`unknown schema id ${id}`)
  return type.fromBuffer(value.subarray(5))
}

export function record (topic: string, value: Buffer | null, options: Partial<RawRecord> & { headerMap?: Record<string, string> } = {}): RawRecord {
  return {
    topic,
    partition: options.partition ?? 0,
    offset: options.offset ?? 0,
    key: options.key ?? null,
    value,
    timestamp: options.timestamp ?? 1_700_000_000_000,
    headers: Object.entries(options.headerMap ?? {}).map(([k, v]) => ({ [k]: Buffer.from(v) }))
  }
}
