import { readTopicNow } from '@vitrine/service-kit'
import { SAGA_APPS } from '../apps.ts'
import { createAdmin } from '../topics.ts'
import { produceOne, recreateTopic } from './lab.ts'
import { defineExercise } from './types.ts'
import type { CheckResult, ExerciseContext } from './types.ts'

// Exercise 9: an order that misses its deadline, and the compensations that follow. The customer id
// holds payment's teacher trigger `slow-payment` (its answer comes after the order's deadline), so
// checkout-api fails the order with deadline_exceeded and, in choreography, orders.failed makes
// payment cancel or refund and inventory release. The setup starts the saga's services if stopped
// and writes a start mark (a record on a lab topic: RESET=1 moves it, so earlier orders no longer
// count). The check reads checkout's, payment's and inventory's tables.

export const EX09_CUSTOMER = 'ex09-slow-payment'
const MARK_TOPIC = 'ex09.inicio'

const markTopic = (ctx: Pick<ExerciseContext, 'topicPrefix'>): string => ctx.topicPrefix + MARK_TOPIC
const short = (id: string): string => id.slice(0, 8)
const hhmmss = (d: Date): string => d.toISOString().slice(11, 19)

interface OrderRow { id: string, status: string, reason: string | null, mode: string, created_at: Date, finished_at: Date | null }

export default defineExercise({
  n: 9,
  slug: '09-prazo-e-compensacao',
  title: 'Pedido vencido pelo prazo e suas compensações',
  concepts: ['idempotencia', 'consumidores', 'transacoes'],
  setup: async (ctx) => {
    // The saga must run for an order to fail by its deadline and be compensated.
    for (const row of await ctx.plane.status()) {
      if (SAGA_APPS.includes(row.name) && !row.alive) await ctx.plane.act(row.name, 'start')
    }
    const topic = markTopic(ctx)
    const admin = createAdmin(ctx.brokers, 'vitrine-exercise')
    try {
      await recreateTopic(admin, topic, { partitions: 1 })
    } finally {
      await admin.close().catch(() => {})
    }
    await produceOne(ctx.brokers, topic, 'inicio', Buffer.from(`início do exercício 9: pedidos de ${EX09_CUSTOMER} a partir de agora`))
  },
  check: async (ctx): Promise<CheckResult> => {
    const missing: string[] = []
    const seen: string[] = []
    const [mark] = await readTopicNow(ctx.brokers, markTopic(ctx), 5_000).catch(() => [])
    if (!mark) return { done: false, missing: ['o exercício não foi preparado: rode `make exercicio N=9`'], seen }
    const since = new Date(mark.timestamp)
    const co = ctx.schema('checkout-api')
    const pay = ctx.schema('payment')
    const inv = ctx.schema('inventory')
    const orders = await ctx.sql.unsafe<OrderRow[]>(`select id, status, reason, mode, created_at, finished_at from "${co}".orders
      where customer_id = $1 and created_at >= $2 order by created_at desc`, [EX09_CUSTOMER, since])
    seen.push(`pedidos de ${EX09_CUSTOMER} desde ${hhmmss(since)}: ${orders.map(o => `${short(o.id)} ${o.status}${o.reason ? ` (${o.reason})` : ''}`).join(', ') || 'nenhum'}`)
    const order = orders.find(o => o.status === 'failed' && o.reason === 'deadline_exceeded')
    if (!order) {
      const last = orders[0]
      if (!last) missing.push(`nenhum pedido do cliente ${EX09_CUSTOMER} desde o início do exercício: faça um (modo coreografia)`)
      else if (last.status === 'pending') missing.push(`o pedido ${short(last.id)} ainda está pendente: espere o prazo dele vencer`)
      else if (last.status === 'failed') missing.push(`o pedido ${short(last.id)} falhou por ${last.reason ?? '?'}, não por prazo (deadline_exceeded): no modo orquestração o orquestrador desiste do pagamento antes; faça outro no modo coreografia`)
      else missing.push(`o pedido ${short(last.id)} terminou ${last.status}: o cliente tem de ser exatamente ${EX09_CUSTOMER}`)
      return { done: false, missing, seen }
    }
    seen.push(`pedido ${order.id}: falhou por deadline_exceeded às ${order.finished_at ? hhmmss(order.finished_at) : '?'} (modo ${order.mode})`)

    const [payment] = await ctx.sql.unsafe(`select status, reason, charged_at, refunded_at from "${pay}".payments where order_id = $1`, [order.id])
    if (!payment) seen.push('pagamento: nenhum (nunca cobrado)')
    else if (payment.status === 'cancelled' && !payment.charged_at) seen.push(`pagamento: cancelado antes de cobrar (${String(payment.reason)})`)
    else if (payment.status === 'refunded' && payment.charged_at) seen.push(`pagamento: cobrado e estornado às ${hhmmss(payment.refunded_at as Date)}`)
    else missing.push(`o pagamento do pedido ${short(order.id)} está ${String(payment.status)}: a compensação do pagamento ainda não foi aplicada`)

    const [reservation] = await ctx.sql.unsafe(`select status from "${inv}".reservations where order_id = $1`, [order.id])
    const moves = await ctx.sql.unsafe<Array<{ product_id: string, movement_type: string, n: number, q: number }>>(`select product_id, movement_type, count(*)::int as n, sum(quantity)::int as q
      from "${inv}".stock_movements where order_id = $1 group by 1, 2 order by 1, 2`, [order.id])
    if (reservation && (reservation.status === 'reserved' || reservation.status === 'committed')) {
      missing.push(`a reserva de estoque do pedido ${short(order.id)} está ${String(reservation.status)}: a liberação ainda não foi aplicada`)
    } else {
      const what = reservation?.status === 'released' ? 'reserva liberada' : reservation?.status === 'failed' ? 'reserva recusada (sem estoque)' : 'nunca reservado (a falha chegou antes)'
      seen.push(`estoque: ${what}${moves.length ? ` (${moves.map(m => `${m.movement_type} ${m.q} de ${m.product_id}`).join(', ')})` : ''}`)
    }
    // Each compensation once: one movement of each kind per product, and what was reserved released.
    const twice = moves.filter(m => m.n > 1)
    if (twice.length > 0) missing.push(`compensação aplicada mais de uma vez: ${twice.map(m => `${m.n} movimentos ${m.movement_type} de ${m.product_id}`).join(', ')}`)
    const sum = (type: string): number => moves.filter(m => m.movement_type === type).reduce((s, m) => s + m.q, 0)
    if (sum('reserve') !== sum('release') && !missing.some(m => m.includes('reserva'))) missing.push(`o pedido ${short(order.id)} reservou ${sum('reserve')} unidade(s) e liberou ${sum('release')}`)

    // The order's trail as checkout-api recorded it: what it published and what it heard back.
    const trail = await ctx.sql.unsafe<Array<{ topic: string, direction: string }>>(`select topic, direction from "${co}".order_history where order_id = $1 order by id`, [order.id])
    if (trail.length > 0) seen.push(`trilha no checkout: ${trail.map(h => `${h.direction === 'produced' ? '→' : '←'} ${h.topic.startsWith(ctx.topicPrefix) ? h.topic.slice(ctx.topicPrefix.length) : h.topic}`).join(' ')}`)
    return { done: missing.length === 0, missing, seen }
  }
})
