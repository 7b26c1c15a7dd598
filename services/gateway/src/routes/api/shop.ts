import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { forward } from '../../lib/upstream.ts'
import type { UpstreamAnswer } from '../../lib/upstream.ts'
import { ErrorBody } from '../../schemas/common.ts'
import type { GatewayConfigType } from '../../config.ts'

// The shop's own services answer these: the gateway only forwards, so the browser needs one
// origin. Validation is theirs (checkout-api rejects a bad order with 400 and the field named),
// and their answers pass through unchanged. A service that is down → 502 naming it.

const Passthrough = Type.Unknown({ description: 'the upstream service\'s own answer' })
const passthrough = { 200: Passthrough, 201: Passthrough, 202: Passthrough, 400: Passthrough, 404: Passthrough, 409: Passthrough, 413: Passthrough, 422: Passthrough, 502: ErrorBody, 503: Passthrough }
const AnyObject = Type.Object({}, { additionalProperties: true })

// The caller's own token goes on (HTTP_AUTH=jwt): the service decides whose orders it may see.
const callerAuth = (request: FastifyRequest): { headers: Record<string, string | undefined> } => ({ headers: { authorization: request.headers.authorization } })

async function send (reply: FastifyReply, a: UpstreamAnswer): Promise<FastifyReply> {
  return await reply.code(a.status).headers(a.headers).send(a.body)
}

const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  fastify.get('/shop/products', { schema: { response: passthrough } }, async (_request, reply) =>
    await send(reply as FastifyReply, await forward('inventory', config.INVENTORY_URL, 'GET', '/products')))

  fastify.post('/shop/orders', {
    schema: {
      body: AnyObject,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 128 })), 'x-saga-mode': Type.Optional(Type.String({ maxLength: 32 })) }),
      response: passthrough
    }
  }, async (request, reply) => await send(reply as FastifyReply, await forward('checkout-api', config.CHECKOUT_API_URL, 'POST', '/orders', {
    body: request.body,
    headers: { 'idempotency-key': request.headers['idempotency-key'], 'x-saga-mode': request.headers['x-saga-mode'], authorization: request.headers.authorization }
  })))

  fastify.get('/shop/orders/:id', {
    schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }) }, { additionalProperties: false }), response: passthrough }
  }, async (request, reply) => await send(reply as FastifyReply, await forward('checkout-api', config.CHECKOUT_API_URL, 'GET', `/orders/${encodeURIComponent(request.params.id)}`, callerAuth(request))))

  // An orchestrated order's saga (state, awaited commands, and whether it needs an operator).
  fastify.get('/shop/sagas/:id', {
    schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }) }, { additionalProperties: false }), response: passthrough }
  }, async (request, reply) => await send(reply as FastifyReply, await forward('orchestrator', config.ORCHESTRATOR_URL, 'GET', `/sagas/${encodeURIComponent(request.params.id)}`, callerAuth(request))))

  // The traffic generator lives in checkout-api (it places orders through its own code path).
  fastify.get('/shop/traffic', { schema: { response: passthrough } }, async (_request, reply) =>
    await send(reply as FastifyReply, await forward('checkout-api', config.CHECKOUT_API_URL, 'GET', '/traffic')))
  fastify.put('/shop/traffic', { schema: { body: AnyObject, response: passthrough } }, async (request, reply) =>
    await send(reply as FastifyReply, await forward('checkout-api', config.CHECKOUT_API_URL, 'PUT', '/traffic', { body: request.body, ...callerAuth(request) })))
  fastify.delete('/shop/traffic', { schema: { response: passthrough } }, async (request, reply) =>
    await send(reply as FastifyReply, await forward('checkout-api', config.CHECKOUT_API_URL, 'DELETE', '/traffic', callerAuth(request))))
}

export default routes
