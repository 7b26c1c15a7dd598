import { Type } from 'typebox'
import type { Static } from 'typebox'

// Route schemas. Unknown fields are rejected (additionalProperties: false): a client cannot set
// `status`, `totalAmount` or an item's `price`, which the server owns.
// Enums (not unions of literals) so a bad value gets one clear error: must be one of the allowed values.
export const SagaModeSchema = Type.Enum(['choreography', 'orchestration'])

// No price: checkout-api takes it from its replica of the catalog, so `price` is an unknown field (400).
export const OrderItemInput = Type.Object({
  productId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }),
  quantity: Type.Integer({ minimum: 1, maximum: 10_000 })
}, { additionalProperties: false })

export const CreateOrderBody = Type.Object({
  customerId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$' }),
  items: Type.Array(OrderItemInput, { minItems: 1, maxItems: 100 }),
  mode: Type.Optional(SagaModeSchema),
  channel: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9-]+$' }))
}, { additionalProperties: false, examples: [{ customerId: 'ana@example.com', items: [{ productId: 'caneca-kafka', quantity: 2 }], mode: 'choreography' }] })
export type CreateOrderBodyType = Static<typeof CreateOrderBody>

export const CreateOrderHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  'x-saga-mode': Type.Optional(SagaModeSchema)
})

export const OrderAccepted = Type.Object({
  orderId: Type.String(),
  status: Type.Literal('pending'),
  mode: SagaModeSchema,
  totalCents: Type.Integer(),
  location: Type.String(),
  replayed: Type.Boolean()
}, { examples: [{ orderId: '0193a5c2-7d1e-7c3a-9f00-3b2f0c1d9e11', status: 'pending', mode: 'choreography', totalCents: 9980, location: '/orders/0193a5c2-7d1e-7c3a-9f00-3b2f0c1d9e11', replayed: false }] })

// The one error body, shared by every service (the kit's error handler writes it).
export { ErrorBody } from '@vitrine/service-kit'

export const OrderParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false })

export const OrderView = Type.Object({
  orderId: Type.String(),
  customerId: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('confirmed'), Type.Literal('failed')]),
  mode: SagaModeSchema,
  channel: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.String(), Type.Null()]),
  items: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer(), unitPriceCents: Type.Integer() })),
  totalCents: Type.Integer(),
  createdAt: Type.String(),
  deadlineAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  /** Set when the order cannot end (or be undone) by itself: an operator must look. */
  attention: Type.Union([Type.Object({ reason: Type.String(), detail: Type.Union([Type.String(), Type.Null()]), since: Type.String() }), Type.Null()]),
  history: Type.Array(Type.Object({
    topic: Type.String(),
    eventId: Type.String(),
    direction: Type.Union([Type.Literal('produced'), Type.Literal('consumed')]),
    partition: Type.Union([Type.Integer(), Type.Null()]),
    offset: Type.Union([Type.Integer(), Type.Null()]),
    summary: Type.Union([Type.String(), Type.Null()]),
    at: Type.String()
  }))
})

export const OrderListQuery = Type.Object({
  status: Type.Optional(Type.Enum(['pending', 'confirmed', 'failed'])),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 })
}, { additionalProperties: false })

export const OrderSummary = Type.Object({
  orderId: Type.String(),
  status: Type.Enum(['pending', 'confirmed', 'failed']),
  mode: SagaModeSchema,
  reason: Type.Union([Type.String(), Type.Null()]),
  totalCents: Type.Integer(),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()])
})

export const OrderList = Type.Object({ orders: Type.Array(OrderSummary), counts: Type.Record(Type.String(), Type.Integer()) })
