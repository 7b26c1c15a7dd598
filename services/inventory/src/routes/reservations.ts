import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ErrorBody, notFound } from '@vitrine/service-kit'
import { findReservation } from '../db/reservations.ts'
import { Reservation, ReservationParams } from '../schemas/reservations.ts'

// The inventory's part of a saga's state (the comparison shows it): one reservation per order.
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/reservations/:orderId', { schema: { params: ReservationParams, response: { 200: Reservation, 400: ErrorBody, 404: ErrorBody } } }, async (request) => {
    const r = await findReservation(fastify.sql, request.params.orderId)
    if (!r) throw notFound('reservation for order', request.params.orderId)
    return { orderId: r.order_id, status: r.status, mode: r.mode, reason: r.reason, items: r.items }
  })
}

export default routes
