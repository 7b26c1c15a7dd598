import { Type } from 'typebox'
import type { Static } from 'typebox'

// The course's exercises as the control plane's checkers see them (GET /exercises there), for the
// Exercícios page. The gateway only relays: the verdicts are the control plane's.

export const ExerciseStatus = Type.Object({
  done: Type.Boolean(),
  /** When the checker first said done (ISO 8601), null while not done. */
  doneAt: Type.Union([Type.String(), Type.Null()], { description: 'when the checker first said done (ISO 8601)' }),
  /** When the checker last ran (ISO 8601), null if it never ran. */
  checkedAt: Type.Union([Type.String(), Type.Null()], { description: 'when the checker last ran (ISO 8601)' }),
  /** When the exercise's setup last ran (ISO 8601): `make exercicio N=…` puts the starting state. */
  setupAt: Type.Union([Type.String(), Type.Null()], { description: 'when the exercise\'s setup last ran (ISO 8601), null if never' }),
  missing: Type.Array(Type.String(), { description: 'what is still missing, one pt-BR sentence each (empty when done)' }),
  seen: Type.Array(Type.String(), { description: 'what the checker saw, in pt-BR' }),
  unavailable: Type.Union([Type.String(), Type.Null()], { description: 'why the exercise cannot run on this shop (pt-BR, e.g. it needs 3 brokers), null when it can' })
})
export type ExerciseStatusType = Static<typeof ExerciseStatus>

export const ExerciseView = Type.Object({
  n: Type.Integer({ minimum: 1 }),
  slug: Type.String(),
  title: Type.String(),
  concepts: Type.Array(Type.String()),
  /** The exercise's page in the repository (runbooks/exercicios/<slug>.md). */
  page: Type.String(),
  status: ExerciseStatus
}, {
  examples: [{
    n: 3,
    slug: '03-lag-de-grupo',
    title: 'Lag de um consumer group',
    concepts: ['grupos-de-consumidores'],
    page: 'runbooks/exercicios/03-lag-de-grupo.md',
    status: { done: false, doneAt: null, checkedAt: '2026-11-30T11:20:03.000Z', setupAt: '2026-11-30T11:15:00.000Z', unavailable: null, missing: ['o grupo ex03-leitor ainda tem lag 42: consuma até o fim'], seen: ['grupo ex03-leitor: lag 42 em 3 partições'] }
  }]
})
export type ExerciseViewType = Static<typeof ExerciseView>

export const ExerciseList = Type.Object({
  exercises: Type.Array(ExerciseView)
}, {
  examples: [{
    exercises: [{
      n: 1,
      slug: '01-produzir-e-consumir',
      title: 'Produzir e consumir à mão',
      concepts: ['produtores', 'consumidores'],
      page: 'runbooks/exercicios/01-produzir-e-consumir.md',
      status: { done: true, doneAt: '2026-11-30T11:18:40.000Z', checkedAt: '2026-11-30T11:20:03.000Z', setupAt: '2026-11-30T11:10:00.000Z', unavailable: null, missing: [], seen: ['ex01.pedidos: 1 registro com a chave aluno-1'] }
    }]
  }]
})
export type ExerciseListType = Static<typeof ExerciseList>

export const ExerciseParams = Type.Object({
  n: Type.Integer({ minimum: 1, maximum: 99, description: 'the exercise number, as in make exercicio N=…' })
}, { additionalProperties: false })
