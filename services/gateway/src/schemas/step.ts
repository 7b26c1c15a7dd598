import { Type } from 'typebox'
import type { Static } from 'typebox'
import { HeldEvent, StepChange } from '@vitrine/service-kit/schemas'

// The instructor's step mode across the saga (routes/api/step.ts): each service's own answer
// (kit's plugins/step.ts) merged into one view, and the "next" that releases one held event.

export { StepChange }

export const StepServiceState = Type.Object({
  service: Type.String(),
  reachable: Type.Boolean({ description: 'false: the service did not answer (it is then neither held nor released)' }),
  on: Type.Boolean(),
  since: Type.Union([Type.String(), Type.Null()])
})

export const SagaStepState = Type.Object({
  on: Type.Boolean({ description: 'every service that answered is in step mode' }),
  services: Type.Array(StepServiceState),
  held: Type.Array(HeldEvent, { description: 'every held event, oldest first (the saga\'s order)' }),
  next: Type.Union([HeldEvent, Type.Null()], { description: 'the one "Próximo evento" releases: the oldest held' })
})

export const StepNextResult = Type.Object({
  released: Type.Union([HeldEvent, Type.Null()], { description: 'null: nothing was held (an event may be on its way, e.g. a charge being decided)' })
})

export type SagaStepStateType = Static<typeof SagaStepState>
export type StepNextResultType = Static<typeof StepNextResult>
