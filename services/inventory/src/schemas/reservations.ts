import { Type } from 'typebox'

export const ReservationParams = Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 64 }) })

export const Reservation = Type.Object({
  orderId: Type.String(),
  status: Type.String(),
  mode: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer() }))
})
