import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { serviceAuthHeaders } from '@vitrine/service-kit'
import { forward } from '../../lib/upstream.ts'
import type { UpstreamAnswer } from '../../lib/upstream.ts'
import { ErrorBody } from '../../schemas/common.ts'
import type { GatewayConfigType } from '../../config.ts'

// The Exactly-once page's calls, forwarded to the sales-counter (its own schemas validate them and
// name a bad field in a 400 that passes through). The counter down (crashed, being restarted) → 502 naming it.

const Passthrough = Type.Unknown({ description: 'the sales-counter\'s own answer' })
const passthrough = { 200: Passthrough, 400: Passthrough, 502: ErrorBody, 503: Passthrough }
const AnyObject = Type.Object({}, { additionalProperties: true })

async function send (reply: FastifyReply, a: UpstreamAnswer): Promise<FastifyReply> {
  return await reply.code(a.status).headers(a.headers).send(a.body)
}

const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const to = async (method: string, path: string, body?: unknown, timeoutMs = 20_000): Promise<UpstreamAnswer> =>
    await forward('sales-counter', config.SALES_COUNTER_URL, method, path, { ...(body !== undefined ? { body } : {}), timeoutMs, headers: serviceAuthHeaders(config, 'gateway') })

  // Its totals beside the recount from orders.confirmed, duplicates, mode, crash point, fencing.
  fastify.get('/sales-counter', { schema: { response: passthrough } }, async (_request, reply) =>
    await send(reply as FastifyReply, await to('GET', '/counter')))
  fastify.put('/sales-counter/mode', { schema: { body: AnyObject, response: passthrough } }, async (request, reply) =>
    await send(reply as FastifyReply, await to('PUT', '/counter/mode', request.body, 60_000)))
  // Arms the crash point: the next batch exits the process after producing and before committing.
  fastify.post('/sales-counter/crash-point', { schema: { body: AnyObject, response: passthrough } }, async (request, reply) =>
    await send(reply as FastifyReply, await to('POST', '/counter/crash-point', request.body)))
  // A second instance with the counter's transactional.id: the old producer is fenced.
  fastify.post('/sales-counter/zombie', { schema: { response: passthrough } }, async (_request, reply) =>
    await send(reply as FastifyReply, await to('POST', '/counter/zombie', undefined, 90_000)))
  // The last offsets of sales.totals read with read_uncommitted and with read_committed.
  fastify.get('/sales-counter/records', {
    schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }, { additionalProperties: false }), response: passthrough }
  }, async (request, reply) =>
    await send(reply as FastifyReply, await to('GET', `/counter/records${request.query.limit !== undefined ? `?limit=${request.query.limit}` : ''}`)))
}

export default routes
