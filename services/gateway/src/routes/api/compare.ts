import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody } from '../../schemas/common.ts'
import { CompareBody, CompareResult } from '../../schemas/compare.ts'

/** The same order in both saga styles, side by side, traced from the topics. Takes as long as the two sagas. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/compare', {
    schema: { body: CompareBody, response: { 200: CompareResult, 400: ErrorBody, 409: ErrorBody, 502: ErrorBody } }
  }, async (request) => await fastify.compare(request.body, request.log))
}

export default routes
