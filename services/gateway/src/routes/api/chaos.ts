import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { ErrorBody } from '../../schemas/common.ts'
import { ChaosDrillRequest, ChaosFaultsList, ChaosRun, ChaosRunList, ChaosRunParams, ChaosSceneList } from '../../schemas/chaos.ts'
import { chaosCall } from '../../lib/chaos.ts'
import type { GatewayConfigType } from '../../config.ts'

/**
 * The "Caos" page's window on the control plane's drills: the scenes (and why one cannot run now),
 * a drill started (202, it runs in the background), the runs with their timelines and invariant
 * checks. An unknown scene is the control plane's 400 naming body.scene; the control plane not
 * there → 502 whose `details.hint` says how to start it, never its address.
 */
// The status is the control plane's (one of the schema's: chaosCall turns any other into a 502).
async function relay (reply: FastifyReply, status: number, body: unknown): Promise<FastifyReply> {
  return await reply.code(status).send(body)
}

const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number, body: unknown }> =>
    await chaosCall(config.CONTROL_URL, method, path, config.CONTROL_TIMEOUT_MS, body)

  fastify.get('/chaos/scenes', { schema: { response: { 200: ChaosSceneList, 502: ErrorBody } } }, async (_request, reply) => {
    const { status, body } = await call('GET', '/chaos/scenes')
    return await relay(reply as FastifyReply, status, body)
  })

  fastify.get('/chaos/drills', { schema: { response: { 200: ChaosRunList, 502: ErrorBody } } }, async (_request, reply) => {
    const { status, body } = await call('GET', '/chaos/drills')
    return await relay(reply as FastifyReply, status, body)
  })

  fastify.get('/chaos/drills/:id', {
    schema: { params: ChaosRunParams, response: { 200: ChaosRun, 400: ErrorBody, 404: ErrorBody, 502: ErrorBody } }
  }, async (request, reply) => {
    const { status, body } = await call('GET', `/chaos/drills/${encodeURIComponent(request.params.id)}`)
    return await relay(reply as FastifyReply, status, body)
  })

  fastify.post('/chaos/drills', {
    schema: { body: ChaosDrillRequest, response: { 202: ChaosRun, 400: ErrorBody, 409: ErrorBody, 502: ErrorBody } }
  }, async (request, reply) => {
    const { status, body } = await call('POST', '/chaos/drills', request.body)
    if (status === 202) fastify.chaos?.seen()
    return await relay(reply as FastifyReply, status, body)
  })

  // The runtime fault toggles of every service and their broker links (the control plane's /faults),
  // and the page's one-click "limpar tudo".
  fastify.get('/chaos/faults', { schema: { response: { 200: ChaosFaultsList, 502: ErrorBody } } }, async (_request, reply) => {
    const { status, body } = await call('GET', '/faults')
    return await relay(reply as FastifyReply, status, body)
  })

  fastify.delete('/chaos/faults', { schema: { response: { 200: ChaosFaultsList, 502: ErrorBody } } }, async (_request, reply) => {
    const { status, body } = await call('DELETE', '/faults')
    return await relay(reply as FastifyReply, status, body)
  })
}

export default routes
