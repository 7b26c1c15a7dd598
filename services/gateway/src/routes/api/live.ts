import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ShopError } from '@vitrine/service-kit'
import { ErrorBody } from '../../schemas/common.ts'
import { FeedStatusSchema, LiveEventSchema, StatsSchema } from '../../schemas/live.ts'

/** What the live feed holds, over HTTP: for a page that loads before its socket connects, and for tests. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/events/recent', {
    schema: {
      querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 20_000, default: 100 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ events: Type.Array(LiveEventSchema) }), 400: ErrorBody }
    }
  }, async (request) => ({ events: fastify.live.feed.history.last(request.query.limit) }))

  fastify.get('/orders/:orderId/events', {
    schema: {
      params: Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ orderId: Type.String(), events: Type.Array(LiveEventSchema) }), 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request) => {
    const events = fastify.live.feed.orders.get(request.params.orderId)
    if (!events) throw new ShopError('SHOP_ERR_ORDER_NOT_SEEN', `the gateway has seen no event of order ${request.params.orderId} since it started`, 404, { orderId: request.params.orderId })
    return { orderId: request.params.orderId, events }
  })

  fastify.get('/stats', { schema: { response: { 200: StatsSchema } } }, async () => fastify.live.feed.stats.snapshot())
  fastify.get('/status', { schema: { response: { 200: FeedStatusSchema } } }, async () => fastify.live.status())
}

export default routes
