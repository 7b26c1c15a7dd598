import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody } from '../../schemas/common.ts'
import { ExerciseList, ExerciseParams, ExerciseView } from '../../schemas/exercises.ts'
import { checkExercise, listExercises } from '../../lib/control.ts'
import type { GatewayConfigType } from '../../config.ts'

/**
 * The Exercícios page's window on the control plane: the course's exercises with their checkers'
 * verdicts, and "verificar agora". The control plane not there → 502 whose `details.hint` says how
 * to start it, never its address.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  fastify.get('/exercises', { schema: { response: { 200: ExerciseList, 502: ErrorBody } } }, async () => {
    const exercises = await listExercises(config.CONTROL_URL, config.CONTROL_TIMEOUT_MS)
    fastify.exercises.seen(exercises)
    return { exercises }
  })

  // A checker reads the system (< 2 s on the demo); the answer is that exercise with its new status.
  fastify.post('/exercises/:n/check', {
    schema: { params: ExerciseParams, response: { 200: ExerciseView, 400: ErrorBody, 404: ErrorBody, 502: ErrorBody } }
  }, async (request) => {
    const exercise = await checkExercise(config.CONTROL_URL, request.params.n, config.CONTROL_TIMEOUT_MS)
    fastify.exercises.seen(exercise)
    return exercise
  })
}

export default routes
