import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import type { TrafficGenerator } from '../traffic.ts'

const TrafficState = Type.Object({
  running: Type.Boolean(),
  rate: Type.Number(),
  mode: Type.String(),
  failPaymentShare: Type.Number(),
  outOfStockShare: Type.Number(),
  sent: Type.Integer(),
  errors: Type.Integer()
})

const routes: FastifyPluginAsyncTypebox<{ traffic: TrafficGenerator }> = async (fastify, { traffic }) => {
  const state = (): Static<typeof TrafficState> => ({ running: traffic.running, ...traffic.settings, sent: traffic.sent, errors: traffic.errors })
  fastify.get('/traffic', { schema: { response: { 200: TrafficState } } }, async () => state())
  fastify.put('/traffic', {
    schema: {
      body: Type.Object({
        rate: Type.Number({ minimum: 0, maximum: 500 }),
        mode: Type.Optional(Type.Enum(['choreography', 'orchestration', 'mixed'])),
        failPaymentShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        outOfStockShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1 }))
      }, { additionalProperties: false }),
      response: { 200: TrafficState }
    }
  }, async (request) => {
    traffic.start(request.body)
    return state()
  })
  fastify.delete('/traffic', { schema: { response: { 200: TrafficState } } }, async () => {
    traffic.stop()
    return state()
  })
}

export default routes
