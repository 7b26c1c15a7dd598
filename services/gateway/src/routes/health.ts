import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'

const Check = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]), detail: Type.Optional(Type.String()) })
const Health = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]), service: Type.String(), checks: Type.Record(Type.String(), Check) })

/** Liveness (the process answers) and readiness (the live reader runs and the broker answers). */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/health/live', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const, service: 'gateway', checks: {} }))
  fastify.get('/health', { schema: { response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const checks: Record<string, { status: 'ok' | 'fail', detail?: string }> = {}
    const s = fastify.live.status()
    checks.consumer = s.kafka.connected ? { status: 'ok', detail: `${s.kafka.partitions} partitions` } : { status: 'fail', detail: s.kafka.error ?? 'not running' }
    try {
      checks.kafka = { status: 'ok', detail: `${await fastify.kafkaConsole.brokerCount()} broker(s)` }
    } catch (err) {
      checks.kafka = { status: 'fail', detail: (err as Error).message }
    }
    const ok = Object.values(checks).every(c => c.status === 'ok')
    return await reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'fail', service: 'gateway', checks })
  })
}

export default routes
