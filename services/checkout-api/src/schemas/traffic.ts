import { Type } from 'typebox'
import type { Static } from 'typebox'

export const TrafficState = Type.Object({
  running: Type.Boolean(),
  rate: Type.Number(),
  mode: Type.String(),
  failPaymentShare: Type.Number(),
  outOfStockShare: Type.Number(),
  sent: Type.Integer(),
  errors: Type.Integer()
})
export type TrafficStateType = Static<typeof TrafficState>

export const TrafficBody = Type.Object({
  rate: Type.Number({ minimum: 0, maximum: 500 }),
  mode: Type.Optional(Type.Enum(['choreography', 'orchestration', 'mixed'])),
  failPaymentShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  outOfStockShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1 }))
}, { additionalProperties: false })
