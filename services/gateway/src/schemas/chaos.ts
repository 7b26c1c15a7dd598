import { Type } from 'typebox'
import type { Static } from 'typebox'
import { FaultState } from '@vitrine/service-kit'

// The chaos drills as the control plane runs them (infra/src/control/chaos.ts), for the "Caos"
// page. The gateway only relays: the scenes, the runs and their verdicts are the control plane's.

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const ChaosScene = Type.Object({
  name: Type.String(),
  title: Type.String(),
  description: Type.String(),
  defaultSeconds: Type.Integer(),
  unavailable: nullable(Type.String({ description: 'why the drill cannot run on this shop now (pt-BR), null when it can' }))
})
export const ChaosSceneList = Type.Object({ scenes: Type.Array(ChaosScene) })

export const ChaosRun = Type.Object({
  id: Type.String(),
  scene: Type.String(),
  title: Type.String(),
  status: Type.Enum(['running', 'passed', 'failed', 'error']),
  phase: Type.Enum(['baseline', 'fault', 'recovering', 'checking', 'done']),
  params: Type.Object({ seconds: Type.Integer(), orders: Type.Integer() }),
  startedAt: Type.String(),
  faultStartedAt: nullable(Type.String()),
  faultEndedAt: nullable(Type.String()),
  recoveredAt: nullable(Type.String({ description: 'lag back to 0 and every order of the drill finished' })),
  finishedAt: nullable(Type.String()),
  recoverySeconds: nullable(Type.Number()),
  samples: Type.Array(Type.Object({ at: Type.String(), lag: Type.Integer(), errorsPerSec: Type.Number() })),
  events: Type.Array(Type.Object({ at: Type.String(), text: Type.String() })),
  invariants: nullable(Type.Object({
    ok: Type.Boolean(),
    orders: Type.Integer(),
    checkedAt: Type.String(),
    checks: Type.Array(Type.Object({ name: Type.String(), label: Type.String(), ok: Type.Boolean(), problems: Type.Array(Type.String()), more: Type.Integer() }))
  })),
  // The alerts Prometheus raised during the drill (the control plane's DrillRun; absent from an older plane).
  alertsFrom: Type.Optional(nullable(Type.String({ description: 'o Prometheus cujos alertas a simulação acompanhou, ou null' }))),
  alerts: Type.Optional(Type.Array(Type.Object({
    name: Type.String(),
    severity: nullable(Type.String()),
    summary: nullable(Type.String()),
    state: Type.Enum(['pending', 'firing']),
    activeAt: nullable(Type.String()),
    firstSeenAt: Type.String(),
    firingAt: nullable(Type.String())
  }))),
  orders: Type.Integer(),
  error: nullable(Type.String())
})
export type ChaosRunType = Static<typeof ChaosRun>
export const ChaosRunList = Type.Object({ runs: Type.Array(ChaosRun) })

export const ChaosRunParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' }) })

export const ChaosDrillRequest = Type.Object({
  scene: Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9-]+$', description: 'one of GET /api/chaos/scenes' }),
  seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, description: 'the fault\'s length (default: the scene\'s)' })),
  orders: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: 'orders of the burst (default 1000)' }))
}, { additionalProperties: false })

/** Each service's runtime fault toggles and its broker link, as the control plane reads them (GET /faults there). */
export const ChaosServiceFaults = Type.Object({
  service: Type.String(),
  running: Type.Boolean(),
  toggles: nullable(FaultState),
  error: nullable(Type.String()),
  link: Type.Object({ available: Type.Boolean(), latencyMs: Type.Integer(), partitioned: Type.Boolean(), connections: Type.Integer(), since: nullable(Type.String()) })
})
export const ChaosFaultsList = Type.Object({ services: Type.Array(ChaosServiceFaults) })
export type ChaosFaultsListType = Static<typeof ChaosFaultsList>
