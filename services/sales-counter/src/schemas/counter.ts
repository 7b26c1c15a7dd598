import { Type } from 'typebox'

export const Mode = Type.Union([Type.Literal('at-least-once'), Type.Literal('exactly-once')], { description: 'at-least-once: produce, then commit the offsets apart; exactly-once: one Kafka transaction per batch' })

export const ModeBody = Type.Object({ mode: Mode }, { additionalProperties: false })

export const CrashPointBody = Type.Object({
  armed: Type.Boolean({ description: 'true: the next batch exits the process after producing and before committing' })
}, { additionalProperties: false })

export const CrashPoint = Type.Object({ armed: Type.Boolean() })

const Amounts = Type.Object({ orders: Type.Integer(), revenueCents: Type.Integer() })

export const Fencing = Type.Object({
  at: Type.String(),
  code: Type.Integer({ description: 'librdkafka\'s error code (-144 is ERR__FENCED)' }),
  name: Type.String({ examples: ['ERR__FENCED'] }),
  message: Type.String(),
  transactionalId: Type.String()
})

export const CounterState = Type.Object({
  instanceId: Type.String(),
  transactionalId: Type.String(),
  group: Type.String(),
  source: Type.String(),
  output: Type.String(),
  mode: Mode,
  crashArmed: Type.Boolean(),
  running: Type.Boolean(),
  commitIntervalMs: Type.Integer(),
  batchMax: Type.Integer(),
  startedAt: Type.String(),
  pid: Type.Integer(),
  totals: Amounts,
  positions: Type.Array(Type.Object({ partition: Type.Integer(), offset: Type.Integer() })),
  truth: Type.Union([Amounts, Type.Null()], { description: 'the records of orders.confirmed below the positions, counted again; null when they could not be read' }),
  duplicates: Type.Union([Type.Integer(), Type.Null()], { description: 'orders counted more than once: totals.orders - truth.orders' }),
  batches: Type.Object({ committed: Type.Integer(), aborted: Type.Integer(), records: Type.Integer() }),
  restoredFrom: Type.Union([Type.Object({ offset: Type.Integer(), orders: Type.Integer() }), Type.Null()]),
  fencing: Type.Union([Fencing, Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()])
})

export const StateQuery = Type.Object({
  truth: Type.Boolean({ default: true, description: 'false skips the recount (the bench polls the counter while timing it)' })
}, { additionalProperties: false })

export const RecordsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 30, description: 'how many of the last offsets of sales.totals' })
}, { additionalProperties: false })

export const Records = Type.Object({
  topic: Type.String(),
  low: Type.Integer(),
  high: Type.Integer(),
  rows: Type.Array(Type.Object({
    offset: Type.Integer(),
    kind: Type.Union([Type.Literal('committed'), Type.Literal('aborted'), Type.Literal('open'), Type.Literal('marker')], { description: 'committed: both readers see it; aborted/open: only read_uncommitted does; marker: neither (a transaction\'s commit or abort marker)' }),
    orders: Type.Union([Type.Integer(), Type.Null()]),
    revenueCents: Type.Union([Type.Integer(), Type.Null()]),
    mode: Type.Union([Type.String(), Type.Null()]),
    instanceId: Type.Union([Type.String(), Type.Null()])
  }))
})
