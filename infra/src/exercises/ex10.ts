import { defineExercise } from './types.ts'

// Placeholder until the exercise is written (its page: runbooks/exercicios/).
export default defineExercise({
  n: 10,
  slug: '10-a-definir',
  title: 'Exercício 10 (em construção)',
  concepts: [],
  setup: async () => {},
  check: async () => ({ done: false, missing: ['este exercício ainda está em construção'] })
})
