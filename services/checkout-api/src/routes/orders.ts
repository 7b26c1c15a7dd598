import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '@vitrine/service-kit'
import { createOrder } from '../orders.ts'
import { listOrders, orderView } from '../db/orders.ts'
import type { CheckoutConfigType } from '../config.ts'
import { CreateOrderBody, CreateOrderHeaders, ErrorBody, OrderAccepted, OrderList, OrderListQuery, OrderParams, OrderView } from '../schemas/orders.ts'

const routes: FastifyPluginAsyncTypebox<{ config: CheckoutConfigType }> = async (fastify, { config }) => {
  fastify.post('/orders', {
    schema: {
      body: CreateOrderBody,
      headers: CreateOrderHeaders,
      response: { 200: OrderAccepted, 202: OrderAccepted, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 500: ErrorBody }
    }
  }, async (request, reply) => {
    const order = await createOrder(fastify, config, request.body, { idempotencyKey: request.headers['idempotency-key'], mode: request.headers['x-saga-mode'] })
    const location = `/orders/${order.orderId}`
    request.log.info({ orderId: order.orderId, mode: order.mode, totalCents: order.totalCents, replayed: order.replayed }, 'order accepted')
    reply.header('location', location)
    if (order.replayed) reply.header('idempotent-replayed', 'true')
    // 202: accepted and durably stored; the saga finishes asynchronously. A replay answers 200.
    return await reply.code(order.replayed ? 200 : 202).send({ orderId: order.orderId, status: 'pending', mode: order.mode, totalCents: order.totalCents, location, replayed: order.replayed })
  })

  fastify.get('/orders/:id', { schema: { params: OrderParams, response: { 200: OrderView, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody } } }, async (request) => {
    const order = await orderView(fastify.sql, request.params.id)
    if (!order) throw notFound('order', request.params.id)
    return order
  })

  fastify.get('/orders', { schema: { querystring: OrderListQuery, response: { 200: OrderList, 400: ErrorBody, 500: ErrorBody } } }, async (request) => await listOrders(fastify.sql, request.query.status, request.query.limit))
}

export default routes
