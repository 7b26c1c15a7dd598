import { DLQ_TOPIC, HEADERS } from '@vitrine/contracts'
import { endOffsets, readFrom, replayedAlready } from '@vitrine/service-kit'
import type { Db } from '@vitrine/service-kit'
import { ControlPlane } from '../control/plane.ts'
import { toolAuthHeaders } from '../security/http-auth.ts'
import { waitFor } from '../testing/saga-env.ts'
import { ordersById, pidOf, placeOrder, productWithStock, readExerciseState, sagaViolations, startSaga, writeExerciseState } from './saga.ts'
import type { ExerciseContext } from './types.ts'
import { defineExercise } from './types.ts'

// Exercise 5: a dead letter with a cause to fix. The setup restarts checkout-api through the control
// plane with kit's fault drill HANDLER_FAIL_TOPICS=orders.commands (a bad deploy: every orchestrator
// command to it fails, a retryable error) and a short retry ladder, and places an orchestrated order:
// it is paid and its stock reserved, and the orchestrator's CONFIRM goes through checkout-api's
// retries into orders.dlq — a real dead letter, written by kit's consumer engine. The student finds it
// (make dlq, the UI, console-consumer), fixes the cause (make restart S=checkout-api starts it with the
// shop's own environment), redrives it (make dlq-replay) and sees the order confirmed. What the checker
// reads: checkout-api running as another process than the faulty one, the replay ledger
// (vitrine_ops.dlq_replays) holding that DLQ record, the order confirmed, and the saga's promises
// (one charge, stock sold once, the customer told, the ledger adding up).

const N = 5
const SERVICE = 'checkout-api'
const FAULT = { HANDLER_FAIL_TOPICS: 'orders.commands', RETRY_ATTEMPTS: '1', RETRY_TIER_DELAYS_MS: '1000,1000,1000' }

interface DeadLetterState { orderId: string, at: string, faultyPid: number, dlq: { topic: string, partition: number, offset: number, timestamp: number } }

async function stage (ctx: ExerciseContext): Promise<DeadLetterState> {
  await startSaga(ctx)
  // The traffic generator (it lives in checkout-api) off, and the orders in flight let end: every
  // orchestrated order would fail the same way, and the exercise is about one.
  await fetch(`${ctx.serviceUrl(SERVICE)}/traffic`, { method: 'DELETE', headers: toolAuthHeaders(ctx.plane.settings.stack.stateDir, 'exercises'), signal: AbortSignal.timeout(5000) }).catch(() => {})
  await waitFor('the orders in flight to end', async () => {
    const [row] = await ctx.sql.unsafe<Array<{ n: number }>>(`select count(*)::int as n from "${ctx.schema(SERVICE)}".orders where status = 'pending' and created_at > now() - interval '60 seconds'`)
    return row?.n === 0
  }, 40_000, 500).catch(() => {})
  const productId = await productWithStock(ctx, 1)
  // A second plane over the same state folder and ports, differing only in the environment it starts with.
  const { stack, apps } = ctx.plane.settings
  const faulty = new ControlPlane({ stack, apps: { ...apps, env: { ...apps.env, ...FAULT } } })
  const restarted = await faulty.act(SERVICE, 'restart')
  if (restarted.component.pid === null) throw new Error('checkout-api did not start again')
  const dlqTopic = ctx.topicPrefix + DLQ_TOPIC
  const from = await endOffsets(ctx.brokers, [dlqTopic], ctx.security)
  const at = new Date().toISOString()
  // pay-ok: the payment trigger that always approves, so the order can only end confirmed.
  const orderId = await placeOrder(ctx, { customerId: 'ex05-pay-ok', items: [{ productId, quantity: 1 }], mode: 'orchestration' })
  const { records, done } = await readFrom(ctx.brokers, from, kept => kept.length > 0, {
    timeoutMs: 90_000,
    security: ctx.security,
    keep: r => r.key === orderId && (r.headers[HEADERS.failedBy] ?? '').startsWith(`${SERVICE}/`)
  })
  const letter = records[0]
  if (!done || letter === undefined) throw new Error(`the CONFIRM of ${orderId} did not reach ${dlqTopic}`)
  return { orderId, at, faultyPid: restarted.component.pid, dlq: { topic: dlqTopic, partition: letter.partition, offset: letter.offset, timestamp: letter.timestamp } }
}

export default defineExercise({
  n: N,
  slug: '05-mensagem-envenenada',
  title: 'Mensagem na DLQ: achar, corrigir a causa, devolver',
  concepts: ['dlq', 'consumidores', 'idempotencia'],
  setup: async (ctx) => {
    writeExerciseState(ctx, N, await stage(ctx))
  },
  check: async (ctx) => {
    const state = readExerciseState<DeadLetterState>(ctx, N)
    if (!state) return { done: false, missing: ['o exercício ainda não foi preparado: rode make exercicio N=5'] }
    const { orderId, dlq } = state
    const short = orderId.slice(0, 8)
    const missing: string[] = []
    const seen = [`pedido ${orderId} (orquestração); a mensagem dele está na ${dlq.topic}, partição ${dlq.partition}, offset ${dlq.offset}`]
    const pid = pidOf(ctx, SERVICE)
    if (pid === undefined) missing.push('o checkout-api está parado: suba-o com make start S=checkout-api')
    else if (pid === state.faultyPid) missing.push(`o checkout-api ainda é o processo com a configuração ruim (pid ${pid}, o erro está no header dlq-error da mensagem): corrija a causa antes de devolver a mensagem, reiniciando-o pelo plano de controle (make restart S=checkout-api), que o sobe com o ambiente normal da loja`)
    else seen.push(`checkout-api reiniciado sem a falha (pid ${state.faultyPid} → ${pid})`)
    const replayed = await replayedAlready(ctx.sql as unknown as Db, dlq)
    if (!replayed) missing.push(`a mensagem do pedido ${short} (offset ${dlq.offset} da ${dlq.topic}) ainda não foi devolvida ao grupo que desistiu dela: veja-a com make dlq e devolva só ela com make dlq-replay`)
    else seen.push(`offset ${dlq.offset} da ${dlq.topic} devolvido (registro em vitrine_ops.dlq_replays)`)
    const [order] = await ordersById(ctx, [orderId])
    if (order === undefined) {
      missing.push(`o checkout-api não conhece o pedido ${short}: prepare de novo com make exercicio N=5 RESET=1`)
    } else if (order.status === 'pending') {
      missing.push(`o pedido ${short} continua pendente: o CONFIRM dele ainda não foi tratado pelo checkout-api${replayed ? ' (se a mensagem foi devolvida antes de a causa ser corrigida, falhou de novo e voltou para a DLQ como um registro novo: veja make dlq)' : ''}`)
    } else if (order.status === 'failed') {
      missing.push(`o pedido ${short} terminou como failed (${order.reason ?? '?'}), mas ele foi pago e reservado: era para confirmar`)
    } else {
      seen.push(`pedido ${short} confirmado`)
    }
    const broken = await sagaViolations(ctx, [orderId])
    missing.push(...broken)
    if (broken.length === 0 && order?.status === 'confirmed') seen.push('uma cobrança só, estoque vendido uma vez, cliente avisado e livro de estoque fechando')
    return { done: missing.length === 0, missing, seen }
  }
})
