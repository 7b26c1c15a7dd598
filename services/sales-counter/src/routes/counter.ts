import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from 'typebox'
import { ErrorBody } from '@vitrine/service-kit'
import { CounterState, CrashPoint, CrashPointBody, Fencing, ModeBody, Records, RecordsQuery, StateQuery } from '../schemas/counter.ts'

/** The counter's state beside the truth, its mode, its crash point, the zombie drill and the two-readers view. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const state = async (recount = true): Promise<Static<typeof CounterState>> => {
    const c = fastify.salesCounter
    const { committed } = c
    const truth = !recount
      ? null
      : await fastify.truth.upTo(committed.positions).catch((err: Error) => {
        fastify.log.warn({ err }, 'truth not recounted')
        return null
      })
    return {
      instanceId: c.instanceId,
      transactionalId: c.transactionalId,
      group: c.group,
      source: c.source,
      output: c.output,
      mode: c.mode,
      crashArmed: c.crashArmed,
      running: c.running,
      commitIntervalMs: c.commitMs,
      batchMax: c.batchMax,
      startedAt: c.startedAt,
      pid: process.pid,
      totals: { orders: committed.orders, revenueCents: committed.revenueCents },
      positions: [...committed.positions].sort((a, b) => a[0] - b[0]).map(([partition, offset]) => ({ partition, offset })),
      truth,
      duplicates: truth ? committed.orders - truth.orders : null,
      batches: { ...c.batches },
      restoredFrom: c.restoredFrom,
      fencing: c.fencing,
      lastError: c.lastError
    }
  }

  fastify.get('/counter', { schema: { querystring: StateQuery, response: { 200: CounterState, 400: ErrorBody } } }, async (request) => await state(request.query.truth))

  fastify.put('/counter/mode', { schema: { body: ModeBody, response: { 200: CounterState, 400: ErrorBody, 502: ErrorBody } } }, async (request) => {
    await fastify.salesCounter.setMode(request.body.mode)
    return await state()
  })

  fastify.post('/counter/crash-point', { schema: { body: CrashPointBody, response: { 200: CrashPoint, 400: ErrorBody } } }, async (request) => {
    fastify.salesCounter.crashArmed = request.body.armed
    request.log.warn({ armed: request.body.armed }, 'crash point set')
    return { armed: fastify.salesCounter.crashArmed }
  })

  fastify.post('/counter/zombie', { schema: { response: { 200: Fencing, 502: ErrorBody } } }, async () => await fastify.salesCounter.zombie())

  fastify.get('/counter/records', { schema: { querystring: RecordsQuery, response: { 200: Records, 400: ErrorBody } } }, async (request) => {
    const { low, high, rows } = await fastify.salesCounter.records(request.query.limit)
    return { topic: fastify.salesCounter.output, low, high, rows }
  })
}

export default routes
