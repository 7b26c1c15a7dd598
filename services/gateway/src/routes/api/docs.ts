import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import swaggerUi from '@fastify/swagger-ui'
import { Type } from 'typebox'
import { OPENAPI_PATH, ShopError } from '@vitrine/service-kit'
import { forward } from '../../lib/upstream.ts'
import { ErrorBody } from '../../schemas/common.ts'
import type { GatewayConfigType } from '../../config.ts'

/** The services whose OpenAPI documents the docs page lists, with the setting that says where each runs. */
export const DOCUMENTED = { 'checkout-api': 'CHECKOUT_API_URL', inventory: 'INVENTORY_URL', payment: 'PAYMENT_URL', orchestrator: 'ORCHESTRATOR_URL', notification: 'NOTIFICATION_URL', 'sales-counter': 'SALES_COUNTER_URL' } as const
type Documented = keyof typeof DOCUMENTED

/**
 * GET /api/docs: Swagger UI with every service's OpenAPI document in one place, the gateway's
 * first. Each service serves its own (kit's GET /openapi.json); the gateway fetches it for the page
 * (GET /api/docs/services/:service), so the browser needs one origin.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const urls = [
    { name: 'gateway', url: '/api/docs/json' },
    ...Object.keys(DOCUMENTED).map(name => ({ name, url: `/api/docs/services/${name}` }))
  ]
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { urls, deepLinking: true, docExpansion: 'list', tryItOutEnabled: false }
  })

  fastify.get('/docs/services/:service', {
    schema: {
      tags: ['docs'],
      summary: 'O documento OpenAPI de um serviço, lido do próprio serviço',
      params: Type.Object({ service: Type.Enum(Object.keys(DOCUMENTED) as Documented[]) }, { additionalProperties: false }),
      response: { 200: Type.Object({ openapi: Type.String() }, { additionalProperties: true }), 400: ErrorBody, 502: ErrorBody, 500: ErrorBody }
    }
  }, async (request, reply) => {
    const service = request.params.service
    const answer = await forward(service, config[DOCUMENTED[service]], 'GET', OPENAPI_PATH)
    if (answer.status !== 200) throw new ShopError('SHOP_ERR_UPSTREAM', `${service} answered ${answer.status} for ${OPENAPI_PATH}`, 502, { service })
    return await (reply as FastifyReply).send(answer.body)
  })
}

export default routes
