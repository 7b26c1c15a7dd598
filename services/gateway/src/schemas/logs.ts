import { Type } from 'typebox'
import type { Static } from 'typebox'

// An order's log lines, read from the services' log files (GET /api/orders/:orderId/logs).

/** An order id as the shop writes it (a UUID from checkout-api): the same rule as /api/shop/orders/:id. */
export const OrderLogsParams = Type.Object({
  orderId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$', description: 'the order id (letters, digits, _ . -; at most 64)' })
}, { additionalProperties: false })

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])

export const OrderLogLineSchema = Type.Object({
  time: Type.String({ description: 'when the service wrote the line (ISO 8601)' }),
  service: Type.String({ description: 'the service that wrote it' }),
  level: Type.Union([Type.Literal('trace'), Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('fatal')], { description: 'pino\'s level' }),
  msg: Type.String(),
  fields: Type.Record(Type.String(), Type.Union([Scalar, Type.Array(Scalar)]), { description: 'the line\'s other fields (eventId, topic, partition, offset, reason...); an error\'s message as `error`' })
})

export const OrderLogs = Type.Object({
  orderId: Type.String(),
  lines: Type.Array(OrderLogLineSchema, { description: 'every service\'s lines of the order, oldest first' }),
  truncated: Type.Boolean({ description: 'more lines matched than the limit (LOG_MAX_LINES): the most recent are kept' }),
  logDir: Type.Object({
    path: Type.String({ description: 'the folder read (LOG_DIR)' }),
    exists: Type.Boolean()
  }),
  hint: Type.Union([Type.String(), Type.Null()], { description: 'why there may be no lines, when the gateway knows' })
}, {
  examples: [{
    orderId: '0193a5c2-7d1e-7c3a-9f00-3b2f0c1d9e11',
    lines: [
      { time: '2026-11-30T11:20:03.104Z', service: 'checkout-api', level: 'info', msg: 'order accepted', fields: { reqId: 'req-1', mode: 'choreography', totalCents: 9980, replayed: false } },
      { time: '2026-11-30T11:20:03.161Z', service: 'payment', level: 'info', msg: 'charge requested', fields: { topic: 'orders.new', partition: 2, offset: 41, delayMs: 0, amountCents: 9980 } },
      { time: '2026-11-30T11:20:03.170Z', service: 'inventory', level: 'info', msg: 'stock reserved', fields: { topic: 'orders.new', partition: 2, offset: 41, items: 2 } }
    ],
    truncated: false,
    logDir: { path: '/home/aluno/vitrine/.vitrine/logs', exists: true },
    hint: null
  }]
})
export type OrderLogsType = Static<typeof OrderLogs>
