import type { Exercise } from './types.ts'
import ex01 from './ex01.ts'
import ex02 from './ex02.ts'
import ex03 from './ex03.ts'
import ex04 from './ex04.ts'
import ex05 from './ex05.ts'
import ex06 from './ex06.ts'
import ex07 from './ex07.ts'
import ex08 from './ex08.ts'
import ex09 from './ex09.ts'
import ex10 from './ex10.ts'
import ex11 from './ex11.ts'
import ex12 from './ex12.ts'

export type { CheckResult, Exercise, ExerciseContext } from './types.ts'
export { defineExercise } from './types.ts'
export { exerciseContext } from './context.ts'

/** Every exercise of the course, in order (exNN.ts holds exercise NN). */
export const EXERCISES: readonly Exercise[] = [ex01, ex02, ex03, ex04, ex05, ex06, ex07, ex08, ex09, ex10, ex11, ex12]

export function exercise (n: number): Exercise | undefined {
  return EXERCISES.find(e => e.n === n)
}
