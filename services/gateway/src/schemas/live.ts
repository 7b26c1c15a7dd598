import { Type } from 'typebox'
import { Nullable } from './common.ts'

const Kind = Type.Union([Type.Literal('event'), Type.Literal('command'), Type.Literal('reply'), Type.Literal('retry'), Type.Literal('dead-letter'), Type.Literal('unknown')])
export const OutcomeSchema = Type.Union([
  Type.Literal('started'), Type.Literal('progress'), Type.Literal('success'), Type.Literal('failure'),
  Type.Literal('compensation'), Type.Literal('retry'), Type.Literal('dead-letter'), Type.Literal('unknown')
])

export const LiveEventSchema = Type.Object({
  id: Type.String(),
  topic: Type.String(),
  kind: Kind,
  partition: Type.Integer(),
  offset: Type.Integer(),
  key: Nullable(Type.String()),
  timestamp: Type.Number(),
  headers: Type.Record(Type.String(), Type.String()),
  eventType: Nullable(Type.String()),
  correlationId: Nullable(Type.String()),
  causationId: Nullable(Type.String()),
  mode: Nullable(Type.Union([Type.Literal('choreography'), Type.Literal('orchestration')])),
  producer: Nullable(Type.String()),
  schemaId: Nullable(Type.Integer()),
  value: Type.Unknown(),
  decodeError: Nullable(Type.String()),
  orderId: Nullable(Type.String()),
  eventId: Nullable(Type.String()),
  outcome: OutcomeSchema,
  origin: Nullable(Type.Object({
    topic: Type.String(),
    partition: Nullable(Type.Integer()),
    offset: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
    attempts: Nullable(Type.Integer()),
    failedBy: Nullable(Type.String())
  })),
  size: Type.Integer()
})

const Counts = Type.Object({ created: Type.Integer(), confirmed: Type.Integer(), failed: Type.Integer() })

export const StatsSchema = Type.Object({
  since: Type.Number(),
  now: Type.Number(),
  orders: Type.Object({ created: Type.Integer(), confirmed: Type.Integer(), failed: Type.Integer(), pending: Type.Integer() }),
  byMode: Type.Object({ choreography: Counts, orchestration: Counts }),
  successRate: Nullable(Type.Number()),
  meanProcessingMs: Nullable(Type.Number()),
  processingSamples: Type.Integer(),
  ordersPerMinute: Type.Integer(),
  compensations: Type.Integer(),
  deadLetters: Type.Integer(),
  events: Type.Integer(),
  eventsPerSecond: Type.Number(),
  bucketMs: Type.Integer(),
  volume: Type.Array(Type.Object({ t: Type.Number(), created: Type.Integer(), confirmed: Type.Integer(), failed: Type.Integer() }))
})

export const FeedStatusSchema = Type.Object({
  startedAt: Type.Number(),
  prefix: Type.String(),
  kafka: Type.Object({ connected: Type.Boolean(), partitions: Type.Integer(), records: Type.Integer(), error: Nullable(Type.String()) }),
  clients: Type.Integer(),
  historySize: Type.Integer(),
  pushIntervalMs: Type.Integer(),
  batches: Type.Integer(),
  /** TEACHING_MODE: the payment triggers work (the Novo pedido form offers them only then). */
  teachingMode: Type.Boolean()
})
