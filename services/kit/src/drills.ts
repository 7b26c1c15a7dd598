import { Type } from 'typebox'
import type { Static } from 'typebox'

// The chaos drills' wire shapes (infra/src/chaos/drills.ts runs them): the control plane answers
// with them, the gateway relays them to the "Caos" page, and the browser types come from them.
// One definition, so the three cannot drift apart.

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const DrillScene = Type.Object({
  name: Type.String(),
  title: Type.String(),
  description: Type.String(),
  defaultSeconds: Type.Integer(),
  unavailable: nullable(Type.String({ description: 'por que a simulação não pode rodar agora (pt-BR), ou null' }))
})
export const DrillSceneList = Type.Object({ scenes: Type.Array(DrillScene) })

const InvariantCheck = Type.Object({
  name: Type.String(),
  label: Type.String(),
  ok: Type.Boolean(),
  problems: Type.Array(Type.String()),
  more: Type.Integer()
})

export const DrillRun = Type.Object({
  id: Type.String(),
  scene: Type.String(),
  title: Type.String(),
  status: Type.Enum(['running', 'passed', 'failed', 'error']),
  phase: Type.Enum(['baseline', 'fault', 'recovering', 'checking', 'done']),
  params: Type.Object({ seconds: Type.Integer(), orders: Type.Integer() }),
  startedAt: Type.String(),
  faultStartedAt: nullable(Type.String()),
  faultEndedAt: nullable(Type.String()),
  recoveredAt: nullable(Type.String()),
  finishedAt: nullable(Type.String()),
  recoverySeconds: nullable(Type.Number()),
  samples: Type.Array(Type.Object({ at: Type.String(), lag: Type.Integer(), errorsPerSec: Type.Number() })),
  events: Type.Array(Type.Object({ at: Type.String(), text: Type.String() })),
  invariants: nullable(Type.Object({ ok: Type.Boolean(), orders: Type.Integer(), checkedAt: Type.String(), checks: Type.Array(InvariantCheck) })),
  alertsFrom: nullable(Type.String({ description: 'o Prometheus cujos alertas a simulação acompanhou, ou null' })),
  alerts: Type.Array(Type.Object({
    name: Type.String(),
    severity: nullable(Type.String()),
    summary: nullable(Type.String()),
    state: Type.Enum(['pending', 'firing']),
    activeAt: nullable(Type.String()),
    firstSeenAt: Type.String(),
    firingAt: nullable(Type.String())
  })),
  orders: Type.Integer(),
  error: nullable(Type.String())
})
export const DrillRunList = Type.Object({ runs: Type.Array(DrillRun) })

export const DrillRequest = Type.Object({
  scene: Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9-]+$', description: 'uma das cenas de GET /chaos/scenes' }),
  seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, description: 'quanto dura a falha (padrão: o da cena)' })),
  orders: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'pedidos da rajada (padrão 1000)' }))
}, { additionalProperties: false })

/** A drill run's id in a path (`/chaos/drills/:id`). */
export const DrillRunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' }) })

export type DrillSceneType = Static<typeof DrillScene>
export type DrillRunType = Static<typeof DrillRun>
