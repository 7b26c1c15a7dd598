import { HEADERS, TopicSerde } from '@vitrine/contracts'
import { readAllNow, waitFor } from '@vitrine/infra/testing/saga'
import type { Saga } from './harness.ts'

/**
 * The saga's promises, checked across every service's database (and, for events, the topics):
 * every order finished; a confirmed order is paid and its stock sold; a failed order kept no money
 * and no stock; each charge, refund, reservation, release and sale happened at most once; the
 * stock ledger adds up. Returns what is violated (empty when all hold).
 */
export async function violations (saga: Saga, orderIds: string[], opts: { checkTopics?: boolean } = {}): Promise<string[]> {
  const out: string[] = []
  const sql = saga.sql
  const orders = await sql.unsafe(`select id, status, reason, mode, finished_at, deadline_at from ${saga.schema('checkout-api')}.orders where id = any($1)`, [orderIds])
  const byId = new Map(orders.map(o => [o.id as string, o]))
  const payments = new Map((await sql.unsafe(`select order_id, status, charged_at, refunded_at from ${saga.schema('payment')}.payments where order_id = any($1)`, [orderIds])).map(p => [p.order_id as string, p]))
  const reservations = new Map((await sql.unsafe(`select order_id, status from ${saga.schema('inventory')}.reservations where order_id = any($1)`, [orderIds])).map(r => [r.order_id as string, r]))
  const moves = await sql.unsafe(`select order_id, product_id, movement_type, count(*)::int as n, sum(quantity)::int as q from ${saga.schema('inventory')}.stock_movements where order_id = any($1) group by 1, 2, 3`, [orderIds])
  const notes = new Set((await sql.unsafe(`select order_id, kind from ${saga.schema('notification')}.notifications where order_id = any($1)`, [orderIds])).map(n => `${n.order_id as string}:${n.kind as string}`))

  const moveOf = (orderId: string, type: string): Array<{ product: string, n: number, q: number }> =>
    moves.filter(m => m.order_id === orderId && m.movement_type === type).map(m => ({ product: m.product_id as string, n: m.n as number, q: m.q as number }))

  for (const id of orderIds) {
    const o = byId.get(id)
    if (!o) { out.push(`${id}: unknown to checkout-api`); continue }
    if (o.status === 'pending') { out.push(`${id}: still pending`); continue }
    if (o.reason !== 'deadline_exceeded' && (o.finished_at as Date) > (o.deadline_at as Date)) out.push(`${id}: finished after its deadline`)
    const p = payments.get(id)
    const r = reservations.get(id)
    for (const type of ['reserve', 'release', 'confirm']) {
      for (const m of moveOf(id, type)) if (m.n > 1) out.push(`${id}: ${m.n} ${type} movements for ${m.product} (at most one)`)
    }
    if (o.status === 'confirmed') {
      if (p?.status !== 'approved') out.push(`${id}: confirmed but payment is ${p?.status ?? 'missing'}`)
      if (r?.status !== 'committed') out.push(`${id}: confirmed but reservation is ${r?.status ?? 'missing'}`)
      if (moveOf(id, 'release').length > 0) out.push(`${id}: confirmed but stock was released`)
      if (!notes.has(`${id}:ORDER_CONFIRMED`)) out.push(`${id}: confirmed but the customer was not notified`)
    } else {
      if (p && (p.status === 'approved' || p.status === 'requested')) out.push(`${id}: failed but payment is ${p.status as string} (money kept)`)
      if (p?.status === 'refunded' && !p.charged_at) out.push(`${id}: refunded without a charge`)
      if (r && (r.status === 'reserved' || r.status === 'committed')) out.push(`${id}: failed but reservation is ${r.status as string} (stock kept)`)
      if (moveOf(id, 'confirm').length > 0) out.push(`${id}: failed but stock was sold`)
      const reserved = moveOf(id, 'reserve').reduce((s, m) => s + m.q, 0)
      const released = moveOf(id, 'release').reduce((s, m) => s + m.q, 0)
      if (reserved !== released) out.push(`${id}: failed with ${reserved} reserved but ${released} released`)
      if (!notes.has(`${id}:ORDER_FAILED`)) out.push(`${id}: failed but the customer was not notified`)
    }
  }

  const orchestrated = orders.filter(o => o.mode === 'orchestration').map(o => o.id as string)
  if (orchestrated.length > 0) out.push(...await orchestrationViolations(saga, orchestrated, byId, opts.checkTopics === true))

  const check = await saga.request('inventory', 'GET', '/stock/check')
  if (!check.body.consistent) out.push(`stock ledger mismatch: ${JSON.stringify(check.body.mismatches)}`)

  if (opts.checkTopics) {
    const ids = new Set(orderIds)
    for (const topic of ['payments.approved', 'payments.refunded', 'inventory.reserved', 'inventory.released', 'orders.confirmed', 'orders.failed']) {
      const counts = new Map<string, number>()
      for (const rec of await readAllNow(saga.env.brokers, saga.env.prefix + topic)) {
        if (rec.key && ids.has(rec.key)) counts.set(rec.key, (counts.get(rec.key) ?? 0) + 1)
      }
      for (const [id, n] of counts) if (n > 1) out.push(`${id}: ${n} records on ${topic} (at most one)`)
    }
  }
  return out
}

/**
 * What orchestration adds: the orchestrator's saga ended the way the order did (completed with
 * confirmed, failed with failed) with nothing left awaited or to compensate; and on the command
 * topics each step was commanded once per order. A crash may publish an outbox row twice, with the
 * same eventId, which participants deduplicate; so distinct eventIds are counted, not records. A
 * command re-sent because its step went unanswered (header saga-resend) is the same step again, and
 * participants answer it from their state: it is not counted. A saga flagged for an operator is reported.
 */
async function orchestrationViolations (saga: Saga, ids: string[], orders: Map<string, Record<string, unknown>>, checkTopics: boolean): Promise<string[]> {
  const out: string[] = []
  let sagas: Array<Record<string, unknown>>
  try {
    sagas = await saga.sql.unsafe(`select order_id, state, outcome, awaiting, compensate, attention from ${saga.schema('orchestrator')}.sagas where order_id = any($1)`, [ids])
  } catch (err) {
    return [`orchestrated orders but no orchestrator saga table: ${(err as Error).message}`]
  }
  const byId = new Map(sagas.map(r => [r.order_id as string, r]))
  for (const id of ids) {
    const o = orders.get(id)!
    const s = byId.get(id)
    if (!s) { out.push(`${id}: orchestrated but the orchestrator has no saga for it`); continue }
    if (s.attention) out.push(`${id}: saga flagged for an operator: ${s.attention as string}`)
    if (o.status === 'pending') continue
    const expected = o.status === 'confirmed' ? 'completed' : 'failed'
    if (s.state !== expected) out.push(`${id}: order ${o.status as string} but saga ${s.state as string}`)
    if (s.outcome !== o.status) out.push(`${id}: order ${o.status as string} but the orchestrator told checkout ${String(s.outcome)}`)
    if (s.state === expected && Object.keys(s.awaiting as object).length > 0) out.push(`${id}: saga ${s.state as string} still awaits ${JSON.stringify(s.awaiting)}`)
    if (s.state === expected && (s.compensate as string[]).length > 0) out.push(`${id}: saga ${s.state as string} with ${(s.compensate as string[]).join(', ')} left to compensate`)
  }
  if (checkTopics) {
    const serde = new TopicSerde(saga.env.registryUrl, saga.env.prefix)
    const wanted = new Set(ids)
    for (const topic of ['payments.commands', 'inventory.commands', 'orders.commands'] as const) {
      const seen = new Map<string, Set<string>>()
      for (const rec of await readAllNow(saga.env.brokers, saga.env.prefix + topic)) {
        if (!rec.key || !wanted.has(rec.key) || !rec.value || rec.headers[HEADERS.resend]) continue
        const v = await serde.decode(rec.value) as { eventId: string, command: string }
        // orders.commands: CONFIRM or FAIL, one of them, once.
        const step = `${rec.key} ${topic === 'orders.commands' ? 'outcome' : v.command}`
        seen.set(step, (seen.get(step) ?? new Set()).add(v.eventId))
      }
      for (const [step, events] of seen) if (events.size > 1) out.push(`${step}: commanded ${events.size} times on ${topic} (at most once)`)
    }
  }
  return out
}

/** Waits for compensations and sales to settle, then returns the violations left (expect none). */
export async function settle (saga: Saga, orderIds: string[], timeoutMs = 30_000): Promise<string[]> {
  let last: string[] = []
  try {
    await waitFor('the saga invariants', async () => {
      last = await violations(saga, orderIds)
      return last.length === 0
    }, timeoutMs, 500)
  } catch {
    return last
  }
  return await violations(saga, orderIds, { checkTopics: true })
}
