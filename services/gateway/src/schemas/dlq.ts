import { Type } from 'typebox'
import { Nullable } from './common.ts'

// The console's dead-letter tab (/api/dlq): kit's DeadLetter as the browser receives it, and a replay's result.

export const DeadLetter = Type.Object({
  partition: Type.Integer(),
  offset: Type.Integer(),
  key: Nullable(Type.String()),
  originalTopic: Type.String(),
  originalPartition: Type.Integer(),
  originalOffset: Type.Integer(),
  error: Type.String(),
  attempts: Type.Integer(),
  failedBy: Type.String(),
  group: Type.String(),
  at: Type.String(),
  schemaId: Nullable(Type.Integer()),
  value: Type.Unknown(),
  valueBase64: Nullable(Type.String({ description: 'the stored value, byte for byte (Confluent wire format: magic byte 0, 4-byte schema id, Avro)' })),
  headers: Type.Record(Type.String(), Type.String())
})

export const DeadLetterList = Type.Object({ topic: Type.String(), records: Type.Array(DeadLetter) })

// The replay is the control plane's (it writes as the Kafka admin); its request and answer are kit's, relayed unchanged.
export { DlqReplayRequest, DlqReplayResult as ReplayResult } from '@vitrine/service-kit/control-actions'
