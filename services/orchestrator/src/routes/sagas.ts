import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { customerScope, notFound } from '@vitrine/service-kit'
import { listSagas, sagaView } from '../db/sagas.ts'
import { ErrorBody } from '../schemas/common.ts'
import { SagaList, SagaListQuery, SagaParams, SagaView } from '../schemas/sagas.ts'

/** Read-only views of the orchestrated sagas: the state a class inspects, with its history. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/sagas/:orderId', { schema: { params: SagaParams, response: { 200: SagaView, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody } } }, async (request) => {
    const saga = await sagaView(fastify.sql, request.params.orderId)
    // Another customer's saga is answered as missing (HTTP_AUTH=jwt, a customer's token).
    const customer = customerScope(request)
    if (!saga || (customer !== undefined && saga.order.customerId !== customer)) throw notFound('saga for order', request.params.orderId)
    return saga
  })

  fastify.get('/sagas', { schema: { querystring: SagaListQuery, response: { 200: SagaList, 400: ErrorBody, 500: ErrorBody } } }, async (request) => await listSagas(fastify.sql, request.query.state, request.query.limit))
}

export default routes
