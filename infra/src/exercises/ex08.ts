import { defineExercise } from './types.ts'

// Placeholder until the exercise is written (its page: runbooks/exercicios/).
export default defineExercise({
  n: 8,
  slug: '08-a-definir',
  title: 'Exercício 08 (em construção)',
  concepts: [],
  setup: async () => {},
  check: async () => ({ done: false, missing: ['este exercício ainda está em construção'] })
})
