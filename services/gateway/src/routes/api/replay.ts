import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ShopError } from '@vitrine/service-kit'
import { ErrorBody } from '../../schemas/common.ts'
import { OrderReplayCurrent, OrderReplayParams, OrderReplayRequest, OrderReplayStatus } from '../../schemas/replay.ts'

/**
 * An order's replay (the instructor's, issue 17): its records re-read from the topics and played
 * into every live view at `pace` events per second (plugins/app/replay.ts). Nothing is produced.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/orders/:orderId/replay', {
    schema: { params: OrderReplayParams, body: OrderReplayRequest, response: { 202: OrderReplayStatus, 400: ErrorBody, 404: ErrorBody, 502: ErrorBody } }
  }, async (request, reply) => {
    const status = await fastify.orderReplay.start(request.params.orderId, request.body.pace)
    request.log.info({ orderId: status.orderId, records: status.total, pace: status.pace }, 'order replay started (records re-read, nothing produced)')
    return await reply.code(202).send(status)
  })

  fastify.get('/replay', { schema: { response: { 200: OrderReplayCurrent } } }, async () => ({ replay: fastify.orderReplay.status }))

  fastify.delete('/replay', { schema: { response: { 200: OrderReplayStatus, 404: ErrorBody } } }, async () => {
    const stopped = fastify.orderReplay.stop()
    if (!stopped) throw new ShopError('SHOP_ERR_NOT_FOUND', 'no order replay is playing', 404, {})
    return stopped
  })
}

export default routes
