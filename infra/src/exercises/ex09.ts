import { hhmmss, readExerciseState, sagaViolations, startSaga, writeExerciseState } from './saga.ts'
import type { OrderRow } from './saga.ts'
import { defineExercise } from './types.ts'
import type { CheckResult } from './types.ts'

// Exercise 9: an order that misses its deadline, and the compensations that follow. The customer id
// holds payment's teacher trigger `slow-payment` (its answer comes after the order's deadline), so
// checkout-api fails the order with deadline_exceeded and, in choreography, orders.failed makes
// payment cancel or refund and inventory release. The setup starts the saga's services if stopped
// and notes when the attempt began (RESET=1: earlier orders no longer count). The check reads
// checkout's, payment's and inventory's tables (the saga's promises: exercises/saga.ts).

export const EX09_CUSTOMER = 'ex09-slow-payment'
const short = (id: string): string => id.slice(0, 8)

interface Ex09State { since: string }

export default defineExercise({
  n: 9,
  slug: '09-prazo-e-compensacao',
  title: 'Pedido vencido pelo prazo e suas compensações',
  concepts: ['idempotencia', 'consumidores', 'transacoes'],
  setup: async (ctx) => {
    // The saga must run for an order to fail by its deadline and be compensated.
    await startSaga(ctx)
    writeExerciseState(ctx, 9, { since: new Date().toISOString() } satisfies Ex09State)
  },
  check: async (ctx): Promise<CheckResult> => {
    const missing: string[] = []
    const seen: string[] = []
    const state = readExerciseState<Ex09State>(ctx, 9)
    if (!state) return { done: false, missing: ['o exercício não foi preparado: rode `make exercicio N=9`'], seen }
    const since = new Date(state.since)
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
    else seen.push(`pagamento: ${String(payment.status)}`)

    const [reservation] = await ctx.sql.unsafe(`select status from "${inv}".reservations where order_id = $1`, [order.id])
    const moves = await ctx.sql.unsafe<Array<{ product_id: string, movement_type: string, n: number, q: number }>>(`select product_id, movement_type, count(*)::int as n, sum(quantity)::int as q
      from "${inv}".stock_movements where order_id = $1 group by 1, 2 order by 1, 2`, [order.id])
    const what = reservation?.status === 'released' ? 'reserva liberada' : reservation?.status === 'failed' ? 'reserva recusada (sem estoque)' : !reservation || reservation.status === 'cancelled' ? 'nunca reservado (a falha chegou antes)' : `reserva ${String(reservation.status)}`
    seen.push(`estoque: ${what}${moves.length ? ` (${moves.map(m => `${m.movement_type} ${m.q} de ${m.product_id}`).join(', ')})` : ''}`)
    // Money and stock given back, each compensation once, the stock ledger adding up.
    missing.push(...await sagaViolations(ctx, [order.id]))

    // The order's trail as checkout-api recorded it: what it published and what it heard back.
    const trail = await ctx.sql.unsafe<Array<{ topic: string, direction: string }>>(`select topic, direction from "${co}".order_history where order_id = $1 order by id`, [order.id])
    if (trail.length > 0) seen.push(`trilha no checkout: ${trail.map(h => `${h.direction === 'produced' ? '→' : '←'} ${h.topic.startsWith(ctx.topicPrefix) ? h.topic.slice(ctx.topicPrefix.length) : h.topic}`).join(' ')}`)
    return { done: missing.length === 0, missing, seen }
  }
})
