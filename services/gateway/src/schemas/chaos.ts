import { Type } from 'typebox'
import type { Static } from 'typebox'
import { FaultState } from '@vitrine/service-kit'

// The chaos drills as the control plane runs them (infra/src/control/chaos.ts), for the "Caos"
// page. The gateway only relays: the scenes, the runs and their verdicts are the control plane's.

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

// The drills' shapes are the control plane's own (kit's drills.ts); the gateway relays them unchanged.
export { DrillScene as ChaosScene, DrillSceneList as ChaosSceneList, DrillRun as ChaosRun, DrillRunList as ChaosRunList, DrillRunParams as ChaosRunParams, DrillRequest as ChaosDrillRequest } from '@vitrine/service-kit/drills'
export type { DrillRunType as ChaosRunType } from '@vitrine/service-kit/drills'

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
