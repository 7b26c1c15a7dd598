import { defineExercise } from './types.ts'

// Placeholder until the exercise is written (its page: runbooks/exercicios/).
export default defineExercise({
  n: 6,
  slug: '06-a-definir',
  title: 'Exercício 06 (em construção)',
  concepts: [],
  setup: async () => {},
  check: async () => ({ done: false, missing: ['este exercício ainda está em construção'] })
})
