import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorBody, notFound } from '@vitrine/service-kit'

const Payment = Type.Object({ orderId: Type.String(), paymentId: Type.String(), status: Type.String(), amountCents: Type.Integer(), reason: Type.Union([Type.String(), Type.Null()]), mode: Type.String() })

/** The payment's part of a saga's state (POST /compare on the orchestrator shows it). */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/payments/:orderId', {
    schema: { params: Type.Object({ orderId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }), response: { 200: Payment, 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const [p] = await fastify.sql`select * from payments where order_id = ${request.params.orderId}`
    if (!p) throw notFound('payment for order', request.params.orderId)
    return { orderId: p.order_id as string, paymentId: p.payment_id as string, status: p.status as string, amountCents: p.amount_cents as number, reason: (p.reason as string | null) ?? null, mode: p.mode as string }
  })
}

export default routes
