import fp from 'fastify-plugin'
import { Type } from 'typebox'
import { FaultSettings } from '../faults.ts'
import type { FaultSettingsType } from '../faults.ts'

// 'warn' does not make the service unready: it is something to act on soon (the DLQ about to expire records).
const Check = Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('warn'), Type.Literal('fail')]), detail: Type.Optional(Type.String()) })
// The fault toggles on now (a drill in progress): also a 'warn' check named faults, so the reason is read beside the symptoms.
const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  service: Type.String(),
  checks: Type.Record(Type.String(), Check),
  faults: Type.Optional(Type.Object({ active: Type.Array(Type.String()), settings: FaultSettings }))
})

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

  async function ready (): Promise<{ status: 'ok' | 'fail', service: string, checks: Record<string, { status: 'ok' | 'warn' | 'fail', detail?: string }>, faults?: { active: string[], settings: FaultSettingsType } }> {
    const checks: Record<string, { status: 'ok' | 'warn' | 'fail', detail?: string }> = {}
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
      // Red while the producer recovers from a fatal error (the detail says so), or the broker does not answer.
      probe('kafka', async () => `${await fastify.producer.ping(2000)} broker(s)`),
      probe('registry', async () => {
        if (!fastify.registryStatus.registered) throw new Error(`schemas not registered yet: ${fastify.registryStatus.error ?? 'trying'}`)
        const url = `${fastify.config.SCHEMA_REGISTRY_URL.replace(/\/$/, '')}/config`
        const res = await fetch(url, { signal: AbortSignal.timeout(1500) }).catch((err: Error) => { throw new Error(`schema registry unreachable: ${err.message}`) })
        if (res.status >= 500) throw new Error(`schema registry answered ${res.status}`)
        return undefined
      }),
      // Each member: running, no partition blocked (registry, retry/DLQ sends) or stalled with lag; the lag in the detail.
      probe('consumers', async () => {
        const results = await Promise.all(fastify.consumers.engines.map(async e => await e.health()))
        const bad = results.filter(r => !r.ok)
        if (bad.length > 0) throw new Error(bad.map(r => r.detail).join(' | '))
        return results.length > 0 ? results.map(r => r.detail).join(' | ') : '0 consumers'
      }),
      // A warning, never red: the oldest DLQ record close to its retention (read at most once a minute).
      (async () => {
        let timer: NodeJS.Timeout | undefined
        const slow = new Promise<{ status: 'ok', detail: string }>(resolve => { timer = setTimeout(() => resolve({ status: 'ok', detail: 'age not read yet' }), 1500) })
        const r = await Promise.race([fastify.consumers.dlq.check(), slow]).catch((err: Error) => ({ status: 'warn' as const, detail: `could not read the DLQ: ${err.message}` }))
        clearTimeout(timer)
        checks.dlq = { status: r.status, detail: r.detail }
      })()
    ])
    const fault = fastify.faults?.state()
    if (fault) checks.faults = fault.active.length > 0 ? { status: 'warn', detail: `fault toggles on: ${fault.active.join(', ')}` } : { status: 'ok', detail: 'none' }
    const ok = Object.values(checks).every(c => c.status !== 'fail')
    return { status: ok ? 'ok' : 'fail', service: opts.service, checks, ...(fault ? { faults: { active: fault.active, settings: fault.faults } } : {}) }
  }
}, { name: 'vitrine-health', dependencies: ['vitrine-postgres', 'vitrine-producer', 'vitrine-consumers'] })
