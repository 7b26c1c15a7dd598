import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { customerScope, forbidden, notFound } from '@vitrine/service-kit'
import { createOrder } from '../orders.ts'
import { listOrders, orderView } from '../db/orders.ts'
import type { CheckoutConfigType } from '../config.ts'
import { CreateOrderBody, CreateOrderHeaders, ErrorBody, OrderAccepted, OrderList, OrderListQuery, OrderParams, OrderView } from '../schemas/orders.ts'

const routes: FastifyPluginAsyncTypebox<{ config: CheckoutConfigType }> = async (fastify, { config }) => {
  fastify.post('/orders', {
    schema: {
      body: CreateOrderBody,
      headers: CreateOrderHeaders,
      response: { 200: OrderAccepted, 202: OrderAccepted, 400: ErrorBody, 403: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody, 500: ErrorBody }
    }
  }, async (request, reply) => {
    // A customer's token orders only in its own name (HTTP_AUTH=jwt).
    const customer = customerScope(request)
    if (customer !== undefined && customer !== request.body.customerId) throw forbidden(`body.customerId must be the signed-in customer (${customer})`)
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
    // Another customer's order is answered as missing: a customer cannot even tell it exists.
    const customer = customerScope(request)
    if (!order || (customer !== undefined && order.customerId !== customer)) throw notFound('order', request.params.id)
    return order
  })

  fastify.get('/orders', { schema: { querystring: OrderListQuery, response: { 200: OrderList, 400: ErrorBody, 500: ErrorBody } } }, async (request) => await listOrders(fastify.sql, request.query.status, request.query.limit, customerScope(request)))
}

export default routes
