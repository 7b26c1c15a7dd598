import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

const Check = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]), detail: Type.Optional(Type.String()) })
const Health = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]), service: Type.String(), checks: Type.Record(Type.String(), Check) })

/** Liveness (the process answers) and readiness (the counter's loop runs and its last batch went through). */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health/live', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const, service: 'sales-counter', checks: {} }))
  fastify.get('/health', { schema: { response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const c = fastify.salesCounter
    const checks: Record<string, { status: 'ok' | 'fail', detail?: string }> = {
      counter: c.running && c.lastError === null
        ? { status: 'ok', detail: `${c.mode}, ${c.batches.committed} batch(es) committed, ${c.batches.aborted} aborted` }
        : { status: 'fail', detail: c.lastError ?? 'not running' }
    }
    const ok = Object.values(checks).every(x => x.status === 'ok')
    return await reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'fail', service: 'sales-counter', checks })
  })
}

export default routes
