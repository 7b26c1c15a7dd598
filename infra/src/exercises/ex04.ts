import type { Admin } from '@platformatic/kafka'
import { topicsReadBy } from '@vitrine/contracts'
import { groupLag } from '../bench/load.ts'
import { isStateTopic } from '../control/reset.ts'
import { endOffsetsOf, partitionCount } from './offsets.ts'
import { hhmmss, metricSum, metricsOf, ordersById, pidOf, placeOrder, productWithStock, sagaViolations, startSaga, waitFinished, writeExerciseState, readExerciseState } from './saga.ts'
import type { ExerciseContext } from './types.ts'
import { defineExercise } from './types.ts'

// Exercise 4: replay a time window. The setup places a few paid orders and notes when, the payment
// process that charged them and the end of orders.new; the student stops payment, moves its group's
// offsets back to before those orders (consumer-groups --reset-offsets --to-datetime) and starts it
// again. What the system shows, and the checker reads: the payment process is a new one; the records
// of orders.new it consumed (its own vitrine_consumed_records_total) outnumber those written after the
// setup, so it read older ones again, which only a move of the committed offsets makes it do; its
// group has no lag; and each order still has one charge (processed_events turned the repeats away).

const N = 4
const SERVICE = 'payment'
/** Orders the setup places: the window the student replays. */
const ORDERS = 3

interface ReplayState { orderIds: string[], from: string, to: string, paymentPid: number, ends: Record<string, number> }

/** orders.new's end offsets now, by partition (JSON-friendly: the setup writes them down). */
async function endsOf (admin: Admin, topic: string): Promise<Record<string, number>> {
  return Object.fromEntries(await endOffsetsOf(admin, topic, await partitionCount(admin, topic) ?? 0))
}

/** payment's group and the event topics it reads (compacted state topics are not replayed). */
function group (ctx: ExerciseContext): { group: string, topics: string[] } {
  return { group: SERVICE + ctx.groupSuffix, topics: topicsReadBy(SERVICE).filter(t => !isStateTopic(t.name)).map(t => ctx.topicPrefix + t.name) }
}

export default defineExercise({
  n: N,
  slug: '04-replay-por-horario',
  title: 'Replay por horário sem cobrar duas vezes',
  concepts: ['grupos-de-consumidores', 'consumidores', 'idempotencia'],
  setup: async (ctx) => {
    await startSaga(ctx)
    const productId = await productWithStock(ctx, ORDERS)
    const from = new Date()
    const orderIds: string[] = []
    // pay-ok: the payment trigger that always approves, so each order has a charge to protect.
    for (let i = 1; i <= ORDERS; i++) orderIds.push(await placeOrder(ctx, { customerId: `ex04-pay-ok-${i}`, items: [{ productId, quantity: 1 }], mode: 'choreography' }))
    await waitFinished(ctx, orderIds)
    const to = new Date()
    const paymentPid = pidOf(ctx, SERVICE)
    if (paymentPid === undefined) throw new Error('payment is not running')
    const admin = ctx.admin()
    try {
      const ends = await endsOf(admin, ctx.topicPrefix + 'orders.new')
      writeExerciseState(ctx, N, { orderIds, from: from.toISOString(), to: to.toISOString(), paymentPid, ends } satisfies ReplayState)
    } finally {
      await admin.close().catch(() => {})
    }
  },
  check: async (ctx) => {
    const state = readExerciseState<ReplayState>(ctx, N)
    if (!state) return { done: false, missing: ['o exercício ainda não foi preparado: rode make exercicio N=4'] }
    const missing: string[] = []
    const from = new Date(state.from)
    const seen = [`pedidos do exercício: ${state.orderIds.length}, feitos entre ${hhmmss(from)} e ${hhmmss(new Date(state.to))} UTC (${state.from.slice(0, 10)})`]
    const g = group(ctx)
    const pid = pidOf(ctx, SERVICE)
    if (pid === undefined) {
      missing.push('o payment está parado: depois de mover os offsets, suba-o com make start S=payment')
    } else if (pid === state.paymentPid) {
      missing.push(`o payment é o mesmo processo da preparação (pid ${pid}): pare-o (make stop S=payment), volte os offsets do grupo ${g.group} em ${ctx.topicPrefix}orders.new para antes de ${hhmmss(from)} UTC e suba-o de novo (make start S=payment)`)
    } else {
      const metrics = await metricsOf(ctx, SERVICE)
      if (metrics === undefined) {
        missing.push('o payment não respondeu /metrics: espere ele ficar pronto e confira de novo')
      } else {
        const consumed = metricSum(metrics, 'vitrine_consumed_records_total', { group: g.group, topic: 'orders.new' })
        const admin = ctx.admin()
        try {
          const ends = await endsOf(admin, ctx.topicPrefix + 'orders.new')
          // Written after the setup: all a payment started since then could read without a move back.
          const since = Object.entries(ends).reduce((n, [p, end]) => n + Math.max(0, end - (state.ends[p] ?? 0)), 0)
          const replayed = consumed - since
          seen.push(`payment (pid ${state.paymentPid} → ${pid}) leu ${consumed} registro(s) de orders.new; ${since} chegaram depois da preparação`)
          if (replayed < state.orderIds.length) {
            missing.push(replayed > 0
              ? `o payment releu só ${replayed} registro(s) anteriores à preparação: o início da janela tem de ser antes de ${hhmmss(from)} UTC (os ${state.orderIds.length} pedidos do exercício)`
              : `o payment não releu nada de antes da preparação: com ele parado, volte os offsets do grupo ${g.group} em ${ctx.topicPrefix}orders.new para antes de ${hhmmss(from)} UTC (--reset-offsets --to-datetime ... --execute) e suba-o de novo`)
          } else {
            seen.push(`${replayed} registro(s) anteriores à preparação relidos pelo payment novo`)
            // Where the repeats were turned away: each event id was recorded with its first charge.
            const [row] = await ctx.sql.unsafe<Array<{ n: number }>>(`select count(*)::int as n from "${ctx.schema(SERVICE)}".processed_events where topic = 'orders.new' and processed_at <= $1`, [new Date(state.to)])
            seen.push(`${row?.n ?? 0} evento(s) de orders.new já estavam em ${ctx.schema(SERVICE)}.processed_events antes do replay: repetidos, não cobraram de novo`)
          }
          const lag = (await groupLag(admin, [g]))[g.group] ?? 0
          if (lag > 0) missing.push(`o grupo ${g.group} ainda tem lag ${lag}: espere o payment terminar de reler`)
          else seen.push(`grupo ${g.group}: lag 0`)
        } finally {
          await admin.close().catch(() => {})
        }
      }
    }
    const orders = await ordersById(ctx, state.orderIds)
    const notConfirmed = orders.filter(o => o.status !== 'confirmed')
    if (notConfirmed.length > 0) missing.push(`pedido(s) do exercício que não estão confirmados: ${notConfirmed.map(o => `${o.id.slice(0, 8)} (${o.status})`).join(', ')}`)
    const broken = await sagaViolations(ctx, state.orderIds)
    missing.push(...broken)
    if (broken.length === 0) seen.push(`cada um dos ${state.orderIds.length} pedidos segue com uma cobrança só`)
    return { done: missing.length === 0, missing, seen }
  }
})
