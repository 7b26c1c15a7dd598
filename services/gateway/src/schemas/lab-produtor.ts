import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Nullable } from './common.ts'

// The producer lab (/api/lab/produtor): one-partition lab topics, runs of a lab producer with the
// settings a class compares (acks, linger.ms, batch.size, idempotence, a dropped answer), what its
// delivery reports said, and the record batches the broker stored, read back with Fetch.

export const PRODUCER_LAB_MAX_COUNT = 5000
export const PRODUCER_LAB_MAX_LINGER_MS = 1000
/** The longest a run may spread its records (count × spacingMs). */
export const PRODUCER_LAB_MAX_SPREAD_MS = 10_000

export const ProducerLabName = Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9][a-z0-9-]*$', description: 'the lab topic\'s short name (lowercase letters, digits, hyphens); the topic is lab.produtor.<name>' })
export const ProducerLabParams = Type.Object({ name: ProducerLabName }, { additionalProperties: false })

export const AcksSchema = Type.Union([Type.Literal('0'), Type.Literal('1'), Type.Literal('all')], { description: '0: no answer awaited; 1: the leader wrote it; all: every in-sync replica wrote it' })

export const ProducerLabTopicSchema = Type.Object({
  name: Type.String(),
  topic: Type.String({ description: 'the Kafka topic (one partition)' })
})

export const CreateProducerTopicBody = Type.Object({ name: ProducerLabName }, { additionalProperties: false })

export const ProducerRunBody = Type.Object({
  count: Type.Integer({ minimum: 1, maximum: PRODUCER_LAB_MAX_COUNT, description: 'records to send' }),
  acks: AcksSchema,
  lingerMs: Type.Integer({ minimum: 0, maximum: PRODUCER_LAB_MAX_LINGER_MS, default: 0, description: 'linger.ms: how long the producer waits to fill a batch' }),
  batchSize: Type.Integer({ minimum: 200, maximum: 1_000_000, default: 1_000_000, description: 'batch.size: the most bytes of one batch' }),
  idempotence: Type.Boolean({ default: false, description: 'enable.idempotence (needs acks=all)' }),
  spacingMs: Type.Integer({ minimum: 0, maximum: 100, default: 0, description: 'a pause between two records (records arriving over time, as in a real service); count × spacingMs at most 10 s' }),
  fault: Type.Boolean({ default: false, description: 'through the lab\'s proxy, which drops the connection after the broker wrote the first Produce request, before its answer reaches the producer (not with acks=0: there is no answer)' })
}, { additionalProperties: false })

export const StoredBatchSchema = Type.Object({
  baseOffset: Type.Integer(),
  lastOffset: Type.Integer(),
  records: Type.Integer({ description: 'records in the batch' }),
  sizeBytes: Type.Integer({ description: 'the batch\'s bytes in the log' }),
  producerId: Type.Integer({ description: '-1: a producer without idempotence' }),
  producerEpoch: Type.Integer(),
  baseSequence: Type.Integer({ description: 'the sequence number of its first record for that producer id (-1 without idempotence)' }),
  values: Type.Array(Type.String(), { description: 'the records\' values (the first 20)' })
})

export const DuplicateSchema = Type.Object({ value: Type.String(), offsets: Type.Array(Type.Integer()) })

export const ProducerRunSchema = Type.Object({
  run: Type.Integer({ description: 'the run\'s number; its records\' values are r<run>-<n>' }),
  topic: Type.String(),
  settings: Type.Object({ ...ProducerRunBody.properties }),
  /** The producer's librdkafka settings that the run varied, as set. */
  config: Type.Record(Type.String(), Type.String()),
  elapsedMs: Type.Number({ description: 'from the first record handed to the producer to the last delivery report' }),
  delivered: Type.Integer({ description: 'delivery reports without error' }),
  failed: Type.Integer(),
  errors: Type.Array(Type.String(), { description: 'the distinct errors of the failed reports' }),
  knownOffsets: Type.Integer({ description: 'reports that named an offset (acks=0 reports never do)' }),
  offsets: Nullable(Type.Object({ first: Type.Integer(), last: Type.Integer() }, { description: 'the lowest and highest offset the reports named; null when none did' })),
  reports: Type.Array(Type.Object({ value: Type.String(), offset: Nullable(Type.Integer({ description: 'null: the report named no offset (librdkafka gives -1 or less)' })), rawOffset: Type.Integer() }), { description: 'the first 20 reports, in sending order' }),
  produceRequests: Nullable(Type.Integer({ description: 'Produce requests the producer sent (librdkafka statistics, brokers[].req.Produce)' })),
  stored: Type.Object({
    from: Type.Integer({ description: 'the partition\'s end before the run' }),
    to: Type.Integer({ description: 'its end after the run' }),
    records: Type.Integer({ description: 'records the broker stored for the run (to − from)' }),
    batchCount: Type.Integer(),
    batches: Type.Array(StoredBatchSchema, { description: 'the stored batches, read back with Fetch (the first 200)' })
  }),
  duplicates: Type.Array(DuplicateSchema, { description: 'values the broker holds at more than one offset' }),
  proxy: Nullable(Type.Object({ connections: Type.Integer(), produceRequests: Type.Integer(), droppedResponses: Type.Integer() }))
})

export const ProducerLabStateSchema = Type.Object({
  ...ProducerLabTopicSchema.properties,
  low: Type.Integer(),
  high: Type.Integer(),
  replicas: Type.Integer({ description: 'the partition\'s replicas (acks=all waits for every one in sync)' }),
  isr: Type.Integer({ description: 'the replicas in sync now' }),
  batchCount: Type.Integer({ description: 'batches between low and high' }),
  batches: Type.Array(StoredBatchSchema, { description: 'the newest 200 batches, oldest first' }),
  duplicates: Type.Array(DuplicateSchema),
  readAt: Type.Number()
})

export type ProducerRunBodyType = Static<typeof ProducerRunBody>
export type ProducerRunType = Static<typeof ProducerRunSchema>
export type StoredBatchType = Static<typeof StoredBatchSchema>
export type ProducerLabStateType = Static<typeof ProducerLabStateSchema>
