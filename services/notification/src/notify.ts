import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { HEADERS, isSagaMode } from '@vitrine/contracts'
import { enqueue, eventHeaders } from '@vitrine/service-kit'
import type { EventContext, Logger } from '@vitrine/service-kit'
import { insertPending, markSent, pendingBefore } from './db/notifications.ts'
import type { Kind, NotificationRow } from './db/notifications.ts'

// What each kind says, on which channels. Email, SMS and push are simulated: structured log lines.
export const MESSAGES: Record<Kind, { channels: string[], text: (orderId: string, detail?: string) => string }> = {
  ORDER_CONFIRMED: { channels: ['email', 'sms', 'push'], text: id => `Seu pedido ${id} foi confirmado!` },
  ORDER_FAILED: { channels: ['email', 'push'], text: (id, detail) => `Não foi possível concluir o pedido ${id}${detail ? ` (${detail})` : ''}. Nenhum valor ficou cobrado.` },
  OUT_OF_STOCK: { channels: ['email'], text: (id, detail) => `Um item do pedido ${id} está sem estoque${detail ? `: ${detail}` : ''}.` }
}

export interface OutgoingNotification { channel: string, to: string, kind: Kind, orderId: string, message: string, dedupKey: string }

/**
 * The channels. Email, SMS and push are simulated: a structured log line each. A real provider takes
 * `dedupKey` (the event id and channel) as its idempotency key, so a send repeated after a crash
 * between sending and recording it reaches the customer once. Replaceable in tests.
 */
export const channels = {
  send: async (n: OutgoingNotification, log: Logger): Promise<void> => {
    log.info({ channel: n.channel, to: n.to, kind: n.kind, message: n.message, dedupKey: n.dedupKey }, `simulated ${n.channel} sent`)
  }
}

/** The topics whose events end in a notification (consumers.ts). */
export type NotifyingTopic = 'orders.confirmed' | 'orders.failed' | 'inventory.failed'

/**
 * Records the notification in the transaction that consumes the event (deduplicated by event id,
 * one per order and kind); the channels are called only after that commits, never for a
 * transaction that then rolls back.
 */
export async function notify (app: FastifyInstance, event: { orderId: string, customerId: string }, ctx: EventContext<NotifyingTopic>, kind: Kind, detail?: string): Promise<void> {
  const pending = await app.tx(async tx => {
    return await insertPending(tx, ctx, {
      orderId: event.orderId,
      kind,
      customerId: event.customerId,
      channels: MESSAGES[kind].channels,
      eventId: ctx.eventId,
      detail: detail ?? null,
      mode: ctx.mode,
      correlationId: ctx.headers[HEADERS.correlationId] ?? event.orderId
    })
  })
  // The channels only once the row is committed (in a consumer batch, after the batch's COMMIT).
  if (pending) await app.afterCommit(async () => { await deliver(app, pending, ctx.log) })
}

/** Sends on every channel, then marks the row sent and announces it (notifications.sent) in one transaction. */
async function deliver (app: FastifyInstance, n: NotificationRow, log: Logger): Promise<void> {
  const { text } = MESSAGES[n.kind]
  for (const channel of n.channels) {
    await channels.send({ channel, to: channel === 'email' ? `${n.customer_id}@exemplo.com.br` : n.customer_id, kind: n.kind, orderId: n.order_id, message: text(n.order_id, n.detail ?? undefined), dedupKey: `${n.event_id ?? `${n.order_id}:${n.kind}`}:${channel}` }, log)
  }
  await app.tx(async tx => {
    if (!(await markSent(tx, n.order_id, n.kind))) return
    await enqueue(tx, [{
      topic: 'notifications.sent',
      value: { eventId: randomUUID(), orderId: n.order_id, customerId: n.customer_id, kind: n.kind, channels: n.channels, occurredAt: Date.now() },
      headers: eventHeaders('notification', 'notifications.sent', isSagaMode(n.mode) ? n.mode : 'choreography', { eventId: n.event_id ?? '', correlationId: n.correlation_id ?? n.order_id })
    }])
  })
}

/** Sends what a crash (or a failing channel) left recorded but unsent, once it is `olderThanMs` old. */
export async function sendPending (app: FastifyInstance, log: Logger, olderThanMs = 5000): Promise<number> {
  const rows = await pendingBefore(app.sql, new Date(Date.now() - olderThanMs))
  for (const row of rows) await deliver(app, row, log.child({ orderId: row.order_id }))
  return rows.length
}
