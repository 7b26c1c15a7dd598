import { Type } from 'typebox'
import type { Static } from 'typebox'

// The shop's reset as the control plane answers it (infra/src/control/plane.ts reset(), POST /reset
// there); the gateway relays it to the instructor bar (POST /api/admin/reset). One definition, so
// the two answers cannot drift apart.

export const ResetReport = Type.Object({
  seconds: Type.Number(),
  stopped: Type.Array(Type.String()),
  started: Type.Array(Type.String()),
  tables: Type.Array(Type.Object({ schema: Type.String(), table: Type.String(), rows: Type.Integer() })),
  stock: Type.Array(Type.Object({ productId: Type.String(), stock: Type.Integer() })),
  groups: Type.Array(Type.Object({ group: Type.String(), topics: Type.Array(Type.String()), partitions: Type.Integer(), skipped: Type.Integer(), lag: Type.Integer() })),
  trafficRate: Type.Number()
})

export type ResetReportType = Static<typeof ResetReport>
