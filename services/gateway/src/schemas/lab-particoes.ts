import { Type } from 'typebox'
import { Nullable } from './common.ts'

// The partitions lab (/api/lab/particoes): lab topics, the records sent to them with the partition
// and offset of the broker's delivery report, and the partition murmur2 predicts for each key.

export const LAB_PARTITIONS_MAX = 12

export const LabName = Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9][a-z0-9-]*$', description: 'the lab topic\'s short name (lowercase letters, digits, hyphens); the topic is lab.particoes.<name>' })
export const LabTopicParams = Type.Object({ name: LabName }, { additionalProperties: false })

export const PartitionsLabTopicSchema = Type.Object({
  name: Type.String(),
  topic: Type.String({ description: 'the Kafka topic' }),
  partitions: Type.Integer()
})

export const PartitionsLabRecordSchema = Type.Object({
  key: Nullable(Type.String()),
  value: Type.String(),
  partition: Type.Integer({ description: 'where the broker stored it (delivery report or stored record)' }),
  offset: Type.Integer(),
  timestamp: Type.Number(),
  fromLab: Type.Boolean({ description: 'written by the lab (it carries the lab-partitions header); false: another client, e.g. Kafka\'s console producer' }),
  partitionsAtSend: Type.Integer({ description: 'the partition count when it was sent: the lab-partitions header; for another client\'s record, the count of the lab\'s last record before it' }),
  predicted: Nullable(Type.Integer({ description: 'murmur2(key) & 0x7fffffff % partitionsAtSend; null for a record without a key' }))
})

export const PartitionsLabKeySchema = Type.Object({
  key: Type.String(),
  partitions: Type.Array(Type.Integer(), { description: 'the partitions its stored records are in' }),
  last: Type.Integer({ description: 'the partition of its newest record' }),
  now: Type.Integer({ description: 'where murmur2 puts it with today\'s partition count' })
})

export const PartitionsLabStateSchema = Type.Object({
  ...PartitionsLabTopicSchema.properties,
  records: Type.Array(PartitionsLabRecordSchema),
  keys: Type.Array(PartitionsLabKeySchema)
})

export const PartitionsLabMoveSchema = Type.Object({
  key: Type.String(),
  from: Type.Integer({ description: 'the partition of its newest stored record' }),
  to: Type.Integer({ description: 'where murmur2 puts it with the new partition count' }),
  moved: Type.Boolean()
})

export const CreateLabTopicBody = Type.Object({
  name: LabName,
  partitions: Type.Integer({ minimum: 1, maximum: LAB_PARTITIONS_MAX })
}, { additionalProperties: false })

export const SendBody = Type.Object({
  keys: Type.Array(Nullable(Type.String({ minLength: 1, maxLength: 100 })), { minItems: 1, maxItems: 50, description: 'one record per item; null sends a record without a key' })
}, { additionalProperties: false })

export const SendResult = Type.Object({ partitions: Type.Integer(), sent: Type.Array(PartitionsLabRecordSchema) })

export const AddPartitionsBody = Type.Object({
  partitions: Type.Integer({ minimum: 2, maximum: LAB_PARTITIONS_MAX, description: 'the new total, more than the topic has' })
}, { additionalProperties: false })

export const AddPartitionsResult = Type.Object({ before: Type.Integer(), after: Type.Integer(), keys: Type.Array(PartitionsLabMoveSchema) })
