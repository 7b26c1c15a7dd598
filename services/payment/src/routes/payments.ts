import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody, notFound } from '@vitrine/service-kit'
import { findPayment } from '../db/payments.ts'
import { Payment, PaymentParams } from '../schemas/payments.ts'

/** The payment's part of a saga's state (the comparison shows it). */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/payments/:orderId', { schema: { params: PaymentParams, response: { 200: Payment, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const p = await findPayment(fastify.sql, request.params.orderId)
    if (!p) throw notFound('payment for order', request.params.orderId)
    return { orderId: p.order_id, paymentId: p.payment_id, status: p.status, amountCents: p.amount_cents, reason: p.reason, mode: p.mode }
  })
}

export default routes
