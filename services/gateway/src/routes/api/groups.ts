import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorBody } from '../../schemas/common.ts'
import { GroupDetailSchema, GroupParams, GroupSummarySchema } from '../../schemas/kafka.ts'

/** Consumer groups: who reads what, where each partition's committed offset stands, and the lag behind the log end. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/groups', { schema: { response: { 200: Type.Object({ groups: Type.Array(GroupSummarySchema) }) } } }, async () => ({ groups: await fastify.kafkaConsole.listGroups() }))
  fastify.get('/groups/:id', { schema: { params: GroupParams, response: { 200: GroupDetailSchema, 400: ErrorBody, 404: ErrorBody } } }, async (request) => await fastify.kafkaConsole.describeGroup(request.params.id))
}

export default routes
