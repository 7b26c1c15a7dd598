import { Type } from 'typebox'
import type { Static } from 'typebox'
import { SAGA_STATES } from '../machine.ts'
import { Nullable, OrderId } from './common.ts'

export const SagaState = Type.Enum([...SAGA_STATES])

export const SagaParams = Type.Object({ orderId: OrderId }, { additionalProperties: false })

export const SagaView = Type.Object({
  orderId: Type.String(),
  state: SagaState,
  step: Nullable(Type.String()),
  stepDeadlineAt: Nullable(Type.String()),
  orderDeadlineAt: Type.String(),
  compensate: Type.Array(Type.String()),
  awaiting: Type.Array(Type.Object({ command: Type.String(), eventId: Type.String() })),
  outcome: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  failureDetail: Nullable(Type.String()),
  /** Re-sends of the current step's unanswered commands so far. */
  resends: Type.Integer(),
  /** Set when the saga cannot finish by itself: an operator must look (the UI shows it). */
  attention: Nullable(Type.Object({ reason: Type.String(), since: Type.String() })),
  order: Type.Object({ customerId: Type.String(), totalCents: Type.Integer(), items: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer() })) }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
  transitions: Type.Array(Type.Object({ from: Nullable(Type.String()), to: Type.String(), cause: Type.String(), commands: Type.Array(Type.String()), at: Type.String() }))
})
export type SagaViewType = Static<typeof SagaView>

export const SagaListQuery = Type.Object({
  state: Type.Optional(SagaState),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 })
}, { additionalProperties: false })

export const SagaList = Type.Object({
  sagas: Type.Array(Type.Object({ orderId: Type.String(), state: SagaState, step: Nullable(Type.String()), outcome: Nullable(Type.String()), failureReason: Nullable(Type.String()), attention: Nullable(Type.String()), createdAt: Type.String(), finishedAt: Nullable(Type.String()) })),
  counts: Type.Record(Type.String(), Type.Integer())
})
