import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { notFound } from '@vitrine/service-kit'
import { createOrder } from '../orders.ts'
import type { CheckoutConfigType } from '../config.ts'
import { CreateOrderBody, CreateOrderHeaders, ErrorBody, OrderAccepted, OrderListQuery, OrderParams, OrderSummary, OrderView } from '../schemas/orders.ts'
import { Type } from 'typebox'

const iso = (d: unknown): string => (d as Date).toISOString()

const routes: FastifyPluginAsyncTypebox<{ config: CheckoutConfigType }> = async (fastify, { config }) => {
  fastify.post('/orders', {
    schema: {
      body: CreateOrderBody,
      headers: CreateOrderHeaders,
      response: { 200: OrderAccepted, 202: OrderAccepted, 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody }
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

  fastify.get('/orders/:id', { schema: { params: OrderParams, response: { 200: OrderView, 404: ErrorBody } } }, async (request) => {
    const [o] = await fastify.sql`select * from orders where id = ${request.params.id}`
    if (!o) throw notFound('order', request.params.id)
    const history = await fastify.sql`select topic, event_id, direction, partition, "offset", summary, at from order_history where order_id = ${o.id} order by id`
    return {
      orderId: o.id as string,
      customerId: o.customer_id as string,
      status: o.status as 'pending' | 'confirmed' | 'failed',
      mode: o.mode as 'choreography' | 'orchestration',
      channel: o.channel as string,
      reason: (o.reason as string | null) ?? null,
      detail: (o.detail as string | null) ?? null,
      items: o.items as Array<{ productId: string, quantity: number, unitPriceCents: number }>,
      totalCents: o.total_cents as number,
      createdAt: iso(o.created_at),
      deadlineAt: iso(o.deadline_at),
      finishedAt: o.finished_at ? iso(o.finished_at) : null,
      attention: o.attention ? { reason: o.attention as string, detail: (o.attention_detail as string | null) ?? null, since: iso(o.attention_at) } : null,
      history: history.map(h => ({ topic: h.topic as string, eventId: h.event_id as string, direction: h.direction as 'produced' | 'consumed', partition: (h.partition as number | null) ?? null, offset: (h.offset as number | null) ?? null, summary: (h.summary as string | null) ?? null, at: iso(h.at) }))
    }
  })

  fastify.get('/orders', { schema: { querystring: OrderListQuery, response: { 200: Type.Object({ orders: Type.Array(OrderSummary), counts: Type.Record(Type.String(), Type.Integer()) }) } } }, async (request) => {
    const { status, limit } = request.query
    const rows = status
      ? await fastify.sql`select id, status, mode, reason, total_cents, created_at, finished_at from orders where status = ${status} order by created_at desc limit ${limit}`
      : await fastify.sql`select id, status, mode, reason, total_cents, created_at, finished_at from orders order by created_at desc limit ${limit}`
    const counts = await fastify.sql`select status, count(*)::int as n from orders group by status`
    return {
      orders: rows.map(o => ({ orderId: o.id as string, status: o.status as string, mode: o.mode as 'choreography' | 'orchestration', reason: (o.reason as string | null) ?? null, totalCents: o.total_cents as number, createdAt: iso(o.created_at), finishedAt: o.finished_at ? iso(o.finished_at) : null })),
      counts: Object.fromEntries(counts.map(c => [c.status as string, c.n as number]))
    }
  })
}

export default routes
