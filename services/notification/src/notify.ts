import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { sagaModeOf } from '@vitrine/contracts'
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

export async function notify (app: FastifyInstance, record: ConsumedRecord, kind: Kind, detail: string | undefined, log: Logger): Promise<void> {
  const v = record.value as { eventId: string, orderId: string, customerId: string }
  await app.tx(async tx => {
    if (!(await firstDelivery(tx, v.eventId, record.topic))) return
    const { channels, text } = MESSAGES[kind]
    const inserted = await tx`insert into notifications (order_id, kind, customer_id, channels) values (${v.orderId}, ${kind}, ${v.customerId}, ${channels}) on conflict do nothing returning order_id`
    if (inserted.length === 0) return
    for (const channel of channels) {
      log.info({ channel, to: channel === 'email' ? `${v.customerId}@exemplo.com.br` : v.customerId, kind, message: text(v.orderId, detail) }, `simulated ${channel} sent`)
    }
    const mode = sagaModeOf(record.headers)
    await enqueue(tx, [{
      topic: 'notifications.sent',
      value: { eventId: randomUUID(), orderId: v.orderId, customerId: v.customerId, kind, channels, occurredAt: Date.now() },
      headers: eventHeaders('notification', 'notifications.sent', mode, record)
    }])
  })
}
