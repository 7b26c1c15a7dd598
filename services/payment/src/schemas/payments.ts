import { Type } from 'typebox'

export const PaymentParams = Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false })

export const Payment = Type.Object({
  orderId: Type.String(),
  paymentId: Type.String(),
  status: Type.String(),
  amountCents: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  mode: Type.String()
})
