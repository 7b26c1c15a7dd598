import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody } from '@vitrine/service-kit'
import { TrafficBody, TrafficState } from '../schemas/traffic.ts'
import type { TrafficStateType } from '../schemas/traffic.ts'

/** The demo's traffic generator (plugins/app/traffic.ts): its state, start or change, stop. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const state = (): TrafficStateType => {
    const t = fastify.traffic
    return { running: t.running, ...t.settings, sent: t.sent, errors: t.errors }
  }
  fastify.get('/traffic', { schema: { response: { 200: TrafficState, 500: ErrorBody } } }, async () => state())
  fastify.put('/traffic', { schema: { body: TrafficBody, response: { 200: TrafficState, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 500: ErrorBody } } }, async (request) => {
    fastify.traffic.start(request.body)
    return state()
  })
  fastify.delete('/traffic', { schema: { response: { 200: TrafficState, 500: ErrorBody } } }, async () => {
    fastify.traffic.stop()
    return state()
  })
}

export default routes
