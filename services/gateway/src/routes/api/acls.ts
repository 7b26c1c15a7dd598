import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { readAcls } from '../../lib/acls.ts'
import { ErrorBody } from '../../schemas/common.ts'
import { AclList } from '../../schemas/acls.ts'

/** The broker's ACLs by principal (read-only; the instructor's: they show who may do what, runbooks/07-seguranca.md). */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/acls', { schema: { response: { 200: AclList, 502: ErrorBody } } }, async () => await readAcls(fastify.kafkaConsole.admin))
}

export default routes
