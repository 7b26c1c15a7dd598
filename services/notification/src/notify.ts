import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { HEADERS, isSagaMode, sagaModeOf } from '@vitrine/contracts'
import type { NotificationSent } from '@vitrine/contracts'
import { enqueue, eventHeaders, firstDelivery } from '@vitrine/service-kit'
import type { ConsumedRecord } from '@vitrine/service-kit'

type Kind = NotificationSent['kind']

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

interface Pending { order_id: string, kind: Kind, customer_id: string, channels: string[], event_id: string | null, detail: string | null, mode: string | null, correlation_id: string | null }

/**
 * Records the notification in the transaction that consumes the event (deduplicated by event id,
 * one per order and kind); the channels are called only after that commits, never for a
 * transaction that then rolls back.
 */
export async function notify (app: FastifyInstance, record: ConsumedRecord, kind: Kind, detail: string | undefined, log: Logger): Promise<void> {
  const v = record.value as { eventId: string, orderId: string, customerId: string }
  const pending = await app.tx(async tx => {
    if (!(await firstDelivery(tx, v.eventId, record.topic))) return undefined
    const [row] = await tx<Pending[]>`insert into notifications (order_id, kind, customer_id, channels, event_id, detail, mode, correlation_id, sent_at)
      values (${v.orderId}, ${kind}, ${v.customerId}, ${MESSAGES[kind].channels}, ${v.eventId}, ${detail ?? null}, ${sagaModeOf(record.headers)}, ${record.headers[HEADERS.correlationId] ?? v.orderId}, null)
      on conflict do nothing returning order_id, kind, customer_id, channels, event_id, detail, mode, correlation_id`
    return row
  })
  if (pending) await deliver(app, pending, log)
}

/** Sends on every channel, then marks the row sent and announces it (notifications.sent) in one transaction. */
async function deliver (app: FastifyInstance, n: Pending, log: Logger): Promise<void> {
  const { text } = MESSAGES[n.kind]
  for (const channel of n.channels) {
    await channels.send({ channel, to: channel === 'email' ? `${n.customer_id}@exemplo.com.br` : n.customer_id, kind: n.kind, orderId: n.order_id, message: text(n.order_id, n.detail ?? undefined), dedupKey: `${n.event_id ?? `${n.order_id}:${n.kind}`}:${channel}` }, log)
  }
  await app.tx(async tx => {
    const marked = await tx`update notifications set sent_at = now() where order_id = ${n.order_id} and kind = ${n.kind} and sent_at is null returning order_id`
    if (marked.length === 0) return
    await enqueue(tx, [{
      topic: 'notifications.sent',
      value: { eventId: randomUUID(), orderId: n.order_id, customerId: n.customer_id, kind: n.kind, channels: n.channels, occurredAt: Date.now() },
      headers: eventHeaders('notification', 'notifications.sent', isSagaMode(n.mode) ? n.mode : 'choreography', { eventId: n.event_id ?? '', correlationId: n.correlation_id ?? n.order_id })
    }])
  })
}

/** Sends what a crash (or a failing channel) left recorded but unsent, once it is `olderThanMs` old. */
export async function sendPending (app: FastifyInstance, log: Logger, olderThanMs = 5000): Promise<number> {
  const rows = await app.sql<Pending[]>`select order_id, kind, customer_id, channels, event_id, detail, mode, correlation_id from notifications
    where sent_at is null and created_at < ${new Date(Date.now() - olderThanMs)} order by created_at limit 100`
  for (const row of rows) await deliver(app, row, log.child({ orderId: row.order_id }))
  return rows.length
}
