import { Type } from 'typebox'

// The instructor's controls (the web's instructor bar): the shop's reset as the control plane
// answers it (infra/src/control/schemas.ts ResetReport; the gateway only relays).

/** The reset must be asked for in words: a stray POST (a crawler, a replayed request) wipes nothing. */
export const ResetRequest = Type.Object({
  confirm: Type.Literal('reset', { description: 'the word "reset": the instructor confirmed in the dialog' })
}, { additionalProperties: false })

export const ResetReport = Type.Object({
  seconds: Type.Number(),
  stopped: Type.Array(Type.String()),
  started: Type.Array(Type.String()),
  tables: Type.Array(Type.Object({ schema: Type.String(), table: Type.String(), rows: Type.Integer() })),
  stock: Type.Array(Type.Object({ productId: Type.String(), stock: Type.Integer() })),
  groups: Type.Array(Type.Object({ group: Type.String(), topics: Type.Array(Type.String()), partitions: Type.Integer(), skipped: Type.Integer(), lag: Type.Integer() })),
  trafficRate: Type.Number()
})
