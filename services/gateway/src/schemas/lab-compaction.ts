import { Type } from 'typebox'
import { Nullable } from './common.ts'

// The compaction and retention lab (/api/lab/compactacao): one-partition lab topics, compacted or
// with a short retention, the records written by key (a null value: a tombstone), and the log as
// the broker serves it now.

export const CompactionPolicySchema = Type.Union([Type.Literal('compact'), Type.Literal('delete'), Type.Literal('size')], { description: 'compact: the cleaner keeps the last value of each key; delete: records older than retention.ms go; size: the oldest segments go while the partition keeps retention.bytes without them' })

export const CompactionLabName = Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9][a-z0-9-]*$', description: 'the lab topic\'s short name (lowercase letters, digits, hyphens); the topic is lab.compactacao.<name>' })
export const CompactionLabParams = Type.Object({ name: CompactionLabName }, { additionalProperties: false })

export const CompactionLabTopicSchema = Type.Object({
  name: Type.String(),
  topic: Type.String({ description: 'the Kafka topic' }),
  policy: CompactionPolicySchema
})

export const CreateCompactionTopicBody = Type.Object({
  name: CompactionLabName,
  policy: CompactionPolicySchema
}, { additionalProperties: false })

export const CompactionWriteBody = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 64, description: 'the record\'s key (a compacted topic refuses records without one)' }),
  value: Nullable(Type.String({ maxLength: 200, description: 'the value; null writes a tombstone' })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'how many times to write it, one record after the other (default 1): a burst that fills a segment in the size lesson' }))
}, { additionalProperties: false })

export const CompactionLabRecordSchema = Type.Object({
  offset: Type.Integer(),
  key: Nullable(Type.String()),
  value: Nullable(Type.String({ description: 'null: a tombstone' })),
  timestamp: Type.Number()
})

export const CompactionLabSegmentSchema = Type.Object({
  baseOffset: Type.Integer({ description: 'the first offset the segment was opened for (its file\'s name)' }),
  sizeBytes: Type.Integer({ description: 'the segment file\'s bytes' })
})

export const CompactionLabStateSchema = Type.Object({
  ...CompactionLabTopicSchema.properties,
  configs: Type.Record(Type.String(), Type.String(), { description: 'the topic\'s cleanup settings, as the broker describes them' }),
  broker: Type.Record(Type.String(), Type.String(), { description: 'log.cleaner.backoff.ms and log.retention.check.interval.ms of the first broker' }),
  low: Type.Integer({ description: 'the first offset the partition still holds (moves forward when retention deletes a segment)' }),
  high: Type.Integer({ description: 'the next offset to be written' }),
  sizeBytes: Nullable(Type.Integer({ description: 'the partition\'s bytes on disk (DescribeLogDirs), over its replicas' })),
  segments: Nullable(Type.Array(CompactionLabSegmentSchema, { description: 'the partition\'s segment files, oldest first (the last one is active), in the log dir the first replica\'s broker names in DescribeLogDirs; null when the gateway cannot see that folder (a broker on another host or in a container)' })),
  records: Type.Array(CompactionLabRecordSchema, { description: 'every record stored between low and high, in offset order' }),
  readAt: Type.Number()
})
