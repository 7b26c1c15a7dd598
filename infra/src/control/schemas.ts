import { Type } from 'typebox'

// The control plane's route schemas (errors use the services' one ErrorBody, services/kit/src/schemas.ts).

export const ComponentName = Type.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9][a-z0-9-]*$' })
export const ActionName = Type.Enum(['start', 'stop', 'restart', 'kill'])

export const ComponentStatus = Type.Object({
  name: Type.String(),
  kind: Type.Enum(['stack', 'service', 'web', 'control']),
  pid: Type.Union([Type.Integer(), Type.Null()]),
  alive: Type.Boolean(),
  ports: Type.Array(Type.Object({ port: Type.Integer(), listening: Type.Boolean() })),
  external: Type.Boolean(),
  url: Type.Union([Type.String(), Type.Null()]),
  copyOf: Type.Optional(Type.String({ description: 'a second copy of this service (same consumer group), started on request' }))
})

export const StatusList = Type.Object({ components: Type.Array(ComponentStatus) })

export const ActionResult = Type.Object({
  action: ActionName,
  component: ComponentStatus,
  previousPid: Type.Union([Type.Integer(), Type.Null()])
})

// The reset's report is one schema with the gateway's, which relays it (kit's reset.ts).
export { ResetReport } from '@vitrine/service-kit/reset'

export const Health = Type.Object({ status: Type.Literal('ok'), service: Type.Literal('control') })

// The exercises (infra/src/exercises): N is the number in `make exercicio N=3`.
export const ExerciseNumber = Type.Integer({ minimum: 1, maximum: 99 })

/** One exercise and the checker's last verdict on it (the scoreboard, infra/src/exercises/board.ts). */
export const ExerciseStatus = Type.Object({
  n: Type.Integer(),
  slug: Type.String(),
  title: Type.String(),
  concepts: Type.Array(Type.String()),
  /** The exercise's page, from the repository's root: runbooks/exercicios/<slug>.md. */
  page: Type.String(),
  requires: Type.Object({ brokers: Type.Optional(Type.Integer()) }),
  done: Type.Boolean(),
  doneAt: Type.Union([Type.String(), Type.Null()]),
  checkedAt: Type.Union([Type.String(), Type.Null()]),
  setupAt: Type.Union([Type.String(), Type.Null()]),
  missing: Type.Array(Type.String()),
  seen: Type.Array(Type.String()),
  unavailable: Type.Union([Type.String(), Type.Null()])
})

export const ExerciseList = Type.Object({ exercises: Type.Array(ExerciseStatus) })
