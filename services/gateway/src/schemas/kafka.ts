import { Type } from 'typebox'
import { Nullable, TopicName } from './common.ts'
import { LiveEventSchema } from './live.ts'

const KIND = Nullable(Type.Union([Type.Literal('event'), Type.Literal('command'), Type.Literal('reply'), Type.Literal('retry'), Type.Literal('dead-letter')]))

export const TopicSummarySchema = Type.Object({
  name: Type.String(),
  internal: Type.Boolean(),
  catalog: Type.Boolean(),
  kind: KIND,
  description: Nullable(Type.String()),
  partitions: Type.Integer(),
  replicationFactor: Type.Integer(),
  messages: Type.Integer(),
  protected: Nullable(Type.Union([Type.Literal('internal'), Type.Literal('registry'), Type.Literal('catalog')]))
})

export const PartitionSchema = Type.Object({
  partition: Type.Integer(),
  leader: Type.Integer(),
  replicas: Type.Array(Type.Integer()),
  isr: Type.Array(Type.Integer()),
  outOfSync: Type.Array(Type.Integer()),
  low: Type.Integer(),
  high: Type.Integer(),
  messages: Type.Integer()
})

export const TopicDetailSchema = Type.Object({
  ...TopicSummarySchema.properties,
  partitionDetails: Type.Array(PartitionSchema),
  configs: Type.Array(Type.Object({ name: Type.String(), value: Nullable(Type.String()), source: Type.String(), readOnly: Type.Boolean() }))
})

export const TopicParams = Type.Object({ name: TopicName }, { additionalProperties: false })

export const CreateTopicBody = Type.Object({
  name: TopicName,
  partitions: Type.Integer({ minimum: 1, maximum: 1000 }),
  replicationFactor: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'omitted: the cluster\'s default.replication.factor' })),
  configs: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9.]*$' }), Type.String({ maxLength: 255 })))
}, { additionalProperties: false })

export const BrowseParams = Type.Object({ name: TopicName, partition: Type.Integer({ minimum: 0, maximum: 100_000 }) }, { additionalProperties: false })

export const BrowseQuery = Type.Object({
  // Kafka offsets go to 2^63, but past 2^53 a JavaScript number cannot hold one exactly.
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'first offset to read; default: the last `limit` records' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 })
}, { additionalProperties: false })

export const BrowseResult = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  low: Type.Integer(),
  high: Type.Integer(),
  from: Type.Integer(),
  messages: Type.Array(LiveEventSchema)
})

export const GroupSummarySchema = Type.Object({ id: Type.String(), state: Type.String(), protocolType: Type.String(), groupType: Type.String(), internal: Type.Boolean() })

export const GroupParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false })

export const GroupDetailSchema = Type.Object({
  id: Type.String(),
  state: Type.String(),
  protocol: Type.String(),
  protocolType: Type.String(),
  members: Type.Array(Type.Object({
    id: Type.String(),
    clientId: Type.String(),
    host: Type.String(),
    assignments: Type.Array(Type.Object({ topic: Type.String(), partitions: Type.Array(Type.Integer()) }))
  })),
  partitions: Type.Array(Type.Object({
    topic: Type.String(),
    partition: Type.Integer(),
    committed: Nullable(Type.Integer()),
    end: Type.Integer(),
    lag: Nullable(Type.Integer()),
    member: Nullable(Type.String())
  })),
  totalLag: Type.Integer()
})

export const SubjectParams = Type.Object({
  subject: Type.String({ minLength: 1, maxLength: 300 }),
  version: Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('latest')])
}, { additionalProperties: false })
