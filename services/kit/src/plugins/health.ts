import fp from 'fastify-plugin'
import { Type } from 'typebox'

const Check = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]), detail: Type.Optional(Type.String()) })
const Health = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]), service: Type.String(), checks: Type.Record(Type.String(), Check) })

/** Liveness (the process answers) and readiness (Kafka, the database and our consumers work). */
export default fp<{ service: string }>(async (fastify, opts) => {
  fastify.get('/health/live', { schema: { response: { 200: Health } } }, async () => ({ status: 'ok' as const, service: opts.service, checks: {} }))
  fastify.get('/health', { schema: { response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const body = await ready()
    return await reply.code(body.status === 'ok' ? 200 : 503).send(body)
  })
  fastify.get('/health/ready', { schema: { response: { 200: Health, 503: Health } } }, async (_req, reply) => {
    const body = await ready()
    return await reply.code(body.status === 'ok' ? 200 : 503).send(body)
  })

  async function ready (): Promise<{ status: 'ok' | 'fail', service: string, checks: Record<string, { status: 'ok' | 'fail', detail?: string }> }> {
    const checks: Record<string, { status: 'ok' | 'fail', detail?: string }> = {}
    const probe = async (name: string, fn: () => Promise<string | undefined>): Promise<void> => {
      try {
        const detail = await fn()
        checks[name] = detail ? { status: 'ok', detail } : { status: 'ok' }
      } catch (err) {
        checks[name] = { status: 'fail', detail: (err as Error).message }
      }
    }
    await Promise.all([
      probe('database', async () => { await fastify.sql`select 1`; return undefined }),
      probe('kafka', async () => `${await fastify.producer.ping(2000)} broker(s)`),
      probe('consumers', async () => {
        const down = fastify.consumers.engines.filter(e => !e.isRunning).length
        if (down > 0) throw new Error(`${down} consumer(s) not running`)
        return `${fastify.consumers.engines.length} running`
      })
    ])
    const ok = Object.values(checks).every(c => c.status === 'ok')
    return { status: ok ? 'ok' : 'fail', service: opts.service, checks }
  }
}, { name: 'vitrine-health', dependencies: ['vitrine-postgres', 'vitrine-producer', 'vitrine-consumers'] })
