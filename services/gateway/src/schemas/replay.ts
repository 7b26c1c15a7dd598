import { Type } from 'typebox'
import type { Static } from 'typebox'
import { Nullable } from './common.ts'
import { LiveEventSchema } from './live.ts'

// An order's replay (issue 17, instructor controls): its records re-read from the topics and played
// into the live view at a chosen pace. Nothing is written to Kafka: a replay re-reads, it never re-produces.

/** Events per second: slow enough to narrate, fast enough for a long saga. */
export const REPLAY_PACE_MIN = 0.1
export const REPLAY_PACE_MAX = 10

export const OrderReplayParams = Type.Object({
  orderId: Type.String({ minLength: 1, maxLength: 128, description: 'the order whose records are replayed (the key of the order topics)' })
}, { additionalProperties: false })

export const OrderReplayRequest = Type.Object({
  pace: Type.Number({ minimum: REPLAY_PACE_MIN, maximum: REPLAY_PACE_MAX, description: 'events per second (1: one event a second)' })
}, { additionalProperties: false })

/** Where a replayed record is stored: what the page shows so nobody takes it for a new event. */
export const ReplayedRecord = Type.Object({
  topic: Type.String(),
  partition: Type.Integer(),
  offset: Type.Integer(),
  timestamp: Type.Number({ description: 'the record\'s own timestamp (CreateTime), not the replay\'s' })
})

export const OrderReplayStatus = Type.Object({
  id: Type.String(),
  orderId: Type.String(),
  pace: Type.Number(),
  state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('stopped')]),
  total: Type.Integer(),
  sent: Type.Integer(),
  startedAt: Type.Number(),
  finishedAt: Nullable(Type.Number()),
  /** The records to be played, in the order they will be: by timestamp across topics, by offset within a partition. */
  records: Type.Array(ReplayedRecord),
  /** Always false: said on screen, a replay re-reads and never re-produces. */
  writesToKafka: Type.Literal(false)
})

/** What socket.io pushes as `order-replay`: the start (seq null), each record, and the end or a stop. */
export const OrderReplayPush = Type.Object({
  replay: Type.Literal(true),
  status: OrderReplayStatus,
  seq: Nullable(Type.Integer()),
  event: Nullable(LiveEventSchema)
})

export const OrderReplayCurrent = Type.Object({ replay: Nullable(OrderReplayStatus) })

export type OrderReplayStatusType = Static<typeof OrderReplayStatus>
export type OrderReplayPushType = Static<typeof OrderReplayPush>
