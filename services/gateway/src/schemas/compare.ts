import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Nullable } from './common.ts'

// POST /api/compare: the same order placed once in each saga style, traced from the topics.

export const SagaModeSchema = Type.Enum(['choreography', 'orchestration'])

export const CompareBody = Type.Object({
  customerId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' }),
  items: Type.Array(Type.Object({
    productId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
    // No price: checkout-api charges the catalog's.
    quantity: Type.Integer({ minimum: 1, maximum: 10_000 })
  }, { additionalProperties: false }), { minItems: 1, maxItems: 20 })
}, { additionalProperties: false })
export type CompareBodyType = Static<typeof CompareBody>

export const TraceConsumer = Type.Object({
  service: Type.String(),
  /** The reader's consumer group; null for a reader without one (the gateway assigns partitions itself). */
  group: Nullable(Type.String()),
  /** Whether the group's committed offset is past this record (Kafka's own word that it was consumed); null without a group. */
  committed: Nullable(Type.Boolean())
})

export const TraceMessage = Type.Object({
  index: Type.Integer(),
  topic: Type.String(),
  kind: Type.String(),
  partition: Type.Integer(),
  offset: Type.Integer(),
  timestamp: Type.String(),
  timestampMs: Type.Integer(),
  /** Since the first message of this saga. */
  atMs: Type.Integer(),
  /** Since the message that caused it (its causation-id); null for the first. */
  sinceCauseMs: Nullable(Type.Integer()),
  producer: Nullable(Type.String()),
  eventType: Nullable(Type.String()),
  eventId: Nullable(Type.String()),
  causationId: Nullable(Type.String()),
  summary: Type.String(),
  consumers: Type.Array(TraceConsumer)
})

export const StateLocation = Type.Object({
  service: Type.String(),
  table: Type.String(),
  column: Type.String(),
  /** The value now, as the owning service reports it; null when it has no row or did not answer. */
  value: Nullable(Type.String()),
  detail: Nullable(Type.String())
})

export const SagaRun = Type.Object({
  mode: SagaModeSchema,
  orderId: Type.String(),
  status: Type.String(),
  reason: Nullable(Type.String()),
  /** Every record this outcome leaves (see `expected`) was read; otherwise `incomplete` says exactly what is missing. */
  complete: Type.Boolean(),
  incomplete: Type.Array(Type.String()),
  /** The records the saga's outcome implies, topic → count; null before the outcome is known. */
  expected: Nullable(Type.Record(Type.String(), Type.Integer())),
  messages: Type.Array(TraceMessage),
  messageCount: Type.Integer(),
  topicCount: Type.Integer(),
  topics: Type.Array(Type.String()),
  producers: Type.Array(Type.String()),
  timings: Type.Object({
    /** orders.new to orders.confirmed / orders.failed: when the customer had the answer. */
    toOutcomeMs: Nullable(Type.Integer()),
    /** First to last message, compensations and notification included. */
    totalMs: Type.Integer()
  }),
  stateLives: Type.String(),
  state: Type.Array(StateLocation)
})
export type SagaRunType = Static<typeof SagaRun>

export const CompareResult = Type.Object({
  request: CompareBody,
  startedAt: Type.String(),
  finishedAt: Type.String(),
  choreography: SagaRun,
  orchestration: SagaRun
})
export type CompareResultType = Static<typeof CompareResult>
