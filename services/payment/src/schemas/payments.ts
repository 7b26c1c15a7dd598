import { Type } from 'typebox'

export const PaymentParams = Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false })

export const Payment = Type.Object({
  orderId: Type.String(),
  paymentId: Type.String(),
  status: Type.String(),
  amountCents: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  mode: Type.String()
}, { examples: [{ orderId: '0193a5c2-7d1e-7c3a-9f00-3b2f0c1d9e11', paymentId: 'pay-0193a5c2', status: 'approved', amountCents: 9980, reason: null, mode: 'choreography' }] })
