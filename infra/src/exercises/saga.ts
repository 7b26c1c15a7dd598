import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SAGA_APPS, appPid, apps } from '../apps.ts'
import { toolAuthHeaders } from '../security/http-auth.ts'
import { waitFor } from '../testing/saga-env.ts'
import type { ExerciseContext } from './types.ts'

// What the setups and checkers of exercises 4–6 share: the shop's saga services, orders placed
// through checkout-api as a customer would, what a setup notes for its checker, the services'
// own /metrics, and the saga's promises read from every service's tables (one charge per order,
// stock sold or given back once, the ledger adding up), in pt-BR for the verdict.

/** Where setup `n` notes what its checker compares with: the plane's state folder (system state, never a file the student writes). */
function stateFile (ctx: ExerciseContext, n: number): string {
  return join(ctx.plane.settings.apps.stateDir, `exercise-${n}.json`)
}

export function writeExerciseState (ctx: ExerciseContext, n: number, state: object): void {
  writeFileSync(stateFile(ctx, n), JSON.stringify(state, null, 2) + '\n')
}

export function readExerciseState<T> (ctx: ExerciseContext, n: number): T | undefined {
  const file = stateFile(ctx, n)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

/** The saga services this plane runs (the demo: all five; a test: those it started). */
export function sagaServices (ctx: ExerciseContext): string[] {
  const own = new Set(apps(ctx.plane.settings.apps).map(c => c.name))
  return SAGA_APPS.filter(n => own.has(n))
}

export function pidOf (ctx: ExerciseContext, service: string): number | undefined {
  return appPid(ctx.plane.settings.apps, service)
}

/** Starts the saga services that are not running (a setup's first step: the exercise needs the whole shop). */
export async function startSaga (ctx: ExerciseContext): Promise<void> {
  for (const name of sagaServices(ctx)) if (pidOf(ctx, name) === undefined) await ctx.plane.act(name, 'start')
}

async function http<T> (ctx: ExerciseContext, service: string, method: string, path: string, body?: unknown): Promise<{ status: number, body: T }> {
  // With HTTP_AUTH=jwt an exercise's setup acts as the instructor (restock, traffic, orders for any customer).
  const auth = toolAuthHeaders(ctx.plane.settings.stack.stateDir, 'exercises')
  const res = await fetch(`${ctx.serviceUrl(service)}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000)
  })
  return { status: res.status, body: await res.json() as T }
}

/** A product with at least `units` free to sell (the one with the most), from inventory. */
export async function productWithStock (ctx: ExerciseContext, units: number): Promise<string> {
  const { body } = await http<{ products: Array<{ id: string, active: boolean, available: number }> }>(ctx, 'inventory', 'GET', '/products')
  const best = body.products.filter(p => p.active && p.available >= units).sort((a, b) => b.available - a.available)[0]
  if (!best) throw new Error(`no active product with ${units} unit(s) free: restock one (POST /products/:id/restock on inventory)`)
  return best.id
}

export interface NewOrder { customerId: string, items: Array<{ productId: string, quantity: number }>, mode: 'choreography' | 'orchestration' }

/** Places an order through checkout-api (POST /orders), as the shop's UI does; its id. */
export async function placeOrder (ctx: ExerciseContext, order: NewOrder): Promise<string> {
  const res = await http<{ orderId?: string, message?: string }>(ctx, 'checkout-api', 'POST', '/orders', order)
  if (res.status !== 202 || !res.body.orderId) throw new Error(`checkout-api refused the exercise's order (${res.status}): ${res.body.message ?? ''}`)
  return res.body.orderId
}

export interface OrderRow { id: string, status: 'pending' | 'confirmed' | 'failed', reason: string | null, mode: string, created_at: Date, finished_at: Date | null }

export async function ordersById (ctx: ExerciseContext, ids: readonly string[]): Promise<OrderRow[]> {
  return await ctx.sql.unsafe<OrderRow[]>(`select id, status, reason, mode, created_at, finished_at from "${ctx.schema('checkout-api')}".orders where id = any($1) order by created_at`, [[...ids]])
}

export async function ordersSince (ctx: ExerciseContext, since: Date): Promise<OrderRow[]> {
  return await ctx.sql.unsafe<OrderRow[]>(`select id, status, reason, mode, created_at, finished_at from "${ctx.schema('checkout-api')}".orders where created_at >= $1 order by created_at`, [since])
}

/** Waits until every one of `ids` has left pending (a setup waiting for its own orders). */
export async function waitFinished (ctx: ExerciseContext, ids: readonly string[], timeoutMs = 60_000): Promise<OrderRow[]> {
  return await waitFor('the exercise\'s orders to finish', async () => {
    const rows = await ordersById(ctx, ids)
    return rows.length === ids.length && rows.every(r => r.status !== 'pending') ? rows : undefined
  }, timeoutMs)
}

/** A service's own /metrics (Prometheus text), or undefined when it does not answer. */
export async function metricsOf (ctx: ExerciseContext, service: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${ctx.serviceUrl(service)}/metrics`, { signal: AbortSignal.timeout(1500) })
    return res.ok ? await res.text() : undefined
  } catch {
    return undefined
  }
}

/** The sum of every series of `name` whose labels include `labels` (a counter over its other labels). */
export function metricSum (text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue
    const open = line.indexOf('{')
    const inside = open >= 0 ? line.slice(open + 1, line.lastIndexOf('}')) : ''
    if (Object.entries(labels).every(([k, v]) => inside.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

/** When the process behind a service's /metrics started (prom-client's process_start_time_seconds). */
export function processStart (text: string): Date | undefined {
  const s = metricSum(text, 'vitrine_process_start_time_seconds')
  return s > 0 ? new Date(s * 1000) : undefined
}

export const hhmmss = (d: Date): string => d.toISOString().slice(11, 19)

/**
 * The saga's promises for these orders, read from every service's tables, one pt-BR line per broken
 * one (empty when all hold): a confirmed order was charged once and its stock sold once; a failed one
 * kept no money and no stock; either way the customer was told; no movement of stock happened twice;
 * the stock ledger adds up.
 * Pending orders are the caller's to report.
 */
export async function sagaViolations (ctx: ExerciseContext, ids: readonly string[]): Promise<string[]> {
  const out: string[] = []
  const orders = (await ordersById(ctx, ids)).filter(o => o.status !== 'pending')
  const done = orders.map(o => o.id)
  if (done.length > 0) {
    const payments = new Map((await ctx.sql.unsafe<Array<{ order_id: string, status: string }>>(`select order_id, status from "${ctx.schema('payment')}".payments where order_id = any($1)`, [done])).map(p => [p.order_id, p.status]))
    // Each charge decided is announced once: a second payments.approved would be a second charge.
    const approvals = new Map((await ctx.sql.unsafe<Array<{ key: string, n: number }>>(`select key, count(*)::int as n from "${ctx.schema('payment')}".outbox where topic = 'payments.approved' and key = any($1) group by key`, [done])).map(r => [r.key, r.n]))
    const reservations = new Map((await ctx.sql.unsafe<Array<{ order_id: string, status: string }>>(`select order_id, status from "${ctx.schema('inventory')}".reservations where order_id = any($1)`, [done])).map(r => [r.order_id, r.status]))
    const notified = new Set((await ctx.sql.unsafe<Array<{ order_id: string, kind: string }>>(`select order_id, kind from "${ctx.schema('notification')}".notifications where order_id = any($1) and sent_at is not null`, [done])).map(n => `${n.order_id}:${n.kind}`))
    const moves = await ctx.sql.unsafe<Array<{ order_id: string, product_id: string, movement_type: string, n: number, q: number }>>(`select order_id, product_id, movement_type, count(*)::int as n, sum(quantity)::int as q
      from "${ctx.schema('inventory')}".stock_movements where order_id = any($1) group by 1, 2, 3`, [done])
    for (const o of orders) {
      const short = o.id.slice(0, 8)
      const mine = moves.filter(m => m.order_id === o.id)
      for (const m of mine) if (m.n > 1) out.push(`pedido ${short}: ${m.n} movimentos '${m.movement_type}' de ${m.product_id} (no máximo um)`)
      if ((approvals.get(o.id) ?? 0) > 1) out.push(`pedido ${short}: ${approvals.get(o.id)} eventos payments.approved, ou seja, cobrado ${approvals.get(o.id)} vezes`)
      const paid = payments.get(o.id)
      const reserved = reservations.get(o.id)
      if (o.status === 'confirmed') {
        if (paid !== 'approved') out.push(`pedido ${short} confirmado, mas o pagamento está ${paid ?? 'ausente'}`)
        if (reserved !== 'committed') out.push(`pedido ${short} confirmado, mas a reserva está ${reserved ?? 'ausente'}`)
        if (!notified.has(`${o.id}:ORDER_CONFIRMED`)) out.push(`pedido ${short} confirmado, mas o cliente ainda não foi avisado (notification)`)
      } else {
        if (paid === 'approved' || paid === 'requested') out.push(`pedido ${short} falhou, mas o pagamento ficou ${paid} (dinheiro retido)`)
        if (reserved === 'reserved' || reserved === 'committed') out.push(`pedido ${short} falhou, mas a reserva ficou ${reserved} (estoque retido)`)
        const sum = (type: string): number => mine.filter(m => m.movement_type === type).reduce((s, m) => s + m.q, 0)
        if (sum('reserve') !== sum('release')) out.push(`pedido ${short} falhou com ${sum('reserve')} unidade(s) reservada(s) e ${sum('release')} devolvida(s)`)
        if (!notified.has(`${o.id}:ORDER_FAILED`)) out.push(`pedido ${short} falhou, mas o cliente ainda não foi avisado (notification)`)
      }
    }
  }
  try {
    const { body } = await http<{ consistent: boolean, mismatches: Array<{ productId: string }> }>(ctx, 'inventory', 'GET', '/stock/check')
    if (!body.consistent) out.push(`o livro de estoque não fecha (GET /stock/check do inventory): ${body.mismatches.map(m => m.productId).join(', ')}`)
  } catch {
    out.push('o inventory não respondeu GET /stock/check: suba-o (make start S=inventory) para conferir o estoque')
  }
  return out
}
