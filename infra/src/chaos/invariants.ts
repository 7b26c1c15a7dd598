import type { Sql } from 'postgres'
import type { Admin } from '@platformatic/kafka'
import { HEADERS, TopicSerde, topicsReadBy } from '@vitrine/contracts'
import type { ServiceName } from '@vitrine/contracts'
import { readTopicNow } from '@vitrine/service-kit'
import { groupLag } from '../bench/load.ts'
import { SHOP_SCHEMAS, isStateTopic } from '../control/reset.ts'
import { createAdmin } from '../topics.ts'
import { waitFor } from '../testing/saga-env.ts'

// The saga's promises, checked after a scenario (saga-tests), a drill (the control plane's chaos
// drills) or a fault-matrix row: every order finished; a confirmed order is paid and its stock sold;
// a failed one kept no money and no stock; each charge, refund, reservation, release and sale
// happened at most once; the stock ledger adds up and no stock went below zero; and, when asked,
// every consumer group of the shop read all there was (lag back to 0). It takes where the shop
// lives (database, schema suffix, topic prefix, broker, registry), never a test harness, so the
// control plane and the test suites share this one check.

/** Inventory's GET /stock/check answer. */
export interface StockCheck { consistent: boolean, mismatches: unknown[] }

/** Where the shop lives: an ExerciseContext has all of it but stockCheck (see shopTarget in drills). */
export interface InvariantTarget {
  /** The shop's database (one schema per service, SHOP_SCHEMAS + schemaSuffix). */
  sql: Sql
  schemaSuffix: string
  /** Kafka bootstrap servers. */
  brokers: string
  /** The shop's topic prefix ('' on the demo). */
  topicPrefix: string
  /** The shop's consumer group suffix ('' on the demo). */
  groupSuffix: string
  registryUrl: string
  /** Inventory's ledger check (GET /stock/check): over HTTP, or inject in a test. */
  stockCheck: () => Promise<StockCheck>
  /**
   * A service was killed or frozen: an outbox row sent just before and marked published only after
   * may be sent again, with the same eventId (at-least-once publication; consumers skip it). Without
   * such a fault a record published twice is a relay defect and counts as a violation.
   */
  redeliveriesAllowed?: () => boolean
}

const schemaOf = (t: InvariantTarget, service: string): string => `"${SHOP_SCHEMAS[service]!}${t.schemaSuffix}"`

/**
 * The saga's promises for these orders, one English line per broken one (empty when all hold).
 * checkTopics also counts the events on the outcome topics (reads them whole: tests, not a demo of hours).
 */
export async function violations (t: InvariantTarget, orderIds: string[], opts: { checkTopics?: boolean } = {}): Promise<string[]> {
  // No orders (a drill without traffic): only the ledger to check, and a shop without some service's tables is fine.
  if (orderIds.length === 0) {
    const check = await t.stockCheck()
    return check.consistent ? [] : [`stock ledger mismatch: ${JSON.stringify(check.mismatches)}`]
  }
  const out: string[] = []
  const sql = t.sql
  const orders = await sql.unsafe(`select id, status, reason, mode, finished_at, deadline_at from ${schemaOf(t, 'checkout-api')}.orders where id = any($1)`, [orderIds])
  const byId = new Map(orders.map(o => [o.id as string, o]))
  const payments = new Map((await sql.unsafe(`select order_id, status, charged_at, refunded_at from ${schemaOf(t, 'payment')}.payments where order_id = any($1)`, [orderIds])).map(p => [p.order_id as string, p]))
  const reservations = new Map((await sql.unsafe(`select order_id, status from ${schemaOf(t, 'inventory')}.reservations where order_id = any($1)`, [orderIds])).map(r => [r.order_id as string, r]))
  const moves = await sql.unsafe(`select order_id, product_id, movement_type, count(*)::int as n, sum(quantity)::int as q from ${schemaOf(t, 'inventory')}.stock_movements where order_id = any($1) group by 1, 2, 3`, [orderIds])
  const notes = new Set((await sql.unsafe(`select order_id, kind from ${schemaOf(t, 'notification')}.notifications where order_id = any($1)`, [orderIds])).map(n => `${n.order_id as string}:${n.kind as string}`))

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
  if (orchestrated.length > 0) out.push(...await orchestrationViolations(t, orchestrated, byId, opts.checkTopics === true))

  const check = await t.stockCheck()
  if (!check.consistent) out.push(`stock ledger mismatch: ${JSON.stringify(check.mismatches)}`)

  if (opts.checkTopics) {
    const ids = new Set(orderIds)
    const serde = new TopicSerde(t.registryUrl, t.topicPrefix)
    const redeliveries = t.redeliveriesAllowed?.() === true
    for (const topic of ['payments.approved', 'payments.refunded', 'inventory.reserved', 'inventory.released', 'orders.confirmed', 'orders.failed']) {
      // Per order: each event (eventId) and how many records carry it.
      const events = new Map<string, Map<string, number>>()
      for (const rec of await readTopicNow(t.brokers, t.topicPrefix + topic)) {
        if (!rec.key || !ids.has(rec.key) || !rec.value) continue
        const { eventId } = await serde.decode(rec.value) as { eventId: string }
        const byEvent = events.get(rec.key) ?? new Map<string, number>()
        events.set(rec.key, byEvent.set(eventId, (byEvent.get(eventId) ?? 0) + 1))
      }
      for (const [id, byEvent] of events) {
        if (byEvent.size > 1) out.push(`${id}: ${byEvent.size} events on ${topic} (at most one)`)
        for (const [eventId, n] of byEvent) if (n > 1 && !redeliveries) out.push(`${id}: event ${eventId} published ${n} times on ${topic} with no crash to explain it`)
      }
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
async function orchestrationViolations (t: InvariantTarget, ids: string[], orders: Map<string, Record<string, unknown>>, checkTopics: boolean): Promise<string[]> {
  const out: string[] = []
  let sagas: Array<Record<string, unknown>>
  try {
    sagas = await t.sql.unsafe(`select order_id, state, outcome, awaiting, compensate, attention from ${schemaOf(t, 'orchestrator')}.sagas where order_id = any($1)`, [ids])
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
    const serde = new TopicSerde(t.registryUrl, t.topicPrefix)
    const wanted = new Set(ids)
    for (const topic of ['payments.commands', 'inventory.commands', 'orders.commands'] as const) {
      const seen = new Map<string, Set<string>>()
      for (const rec of await readTopicNow(t.brokers, t.topicPrefix + topic)) {
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
export async function settle (t: InvariantTarget, orderIds: string[], timeoutMs = 30_000): Promise<string[]> {
  let last: string[] = []
  try {
    await waitFor('the saga invariants', async () => {
      last = await violations(t, orderIds)
      return last.length === 0
    }, timeoutMs, 500)
  } catch {
    return last
  }
  return await violations(t, orderIds, { checkTopics: true })
}

/** Products whose stock or free stock is below zero (the table's checks forbid it; a drill proves it held). */
export async function negativeStock (t: InvariantTarget): Promise<string[]> {
  const rows = await t.sql.unsafe<Array<{ id: string, stock: number, reserved: number }>>(`select id, stock_quantity as stock, reserved_quantity as reserved from ${schemaOf(t, 'inventory')}.products
    where stock_quantity < 0 or reserved_quantity < 0 or reserved_quantity > stock_quantity`)
  return rows.map(r => `${r.id}: stock ${r.stock}, reserved ${r.reserved} (free stock below zero)`)
}

/**
 * Effects decided more than once per order, counted in the deciding service's outbox (one row per
 * decision; a crash may publish a row twice, which is the same decision): charges
 * (payments.approved), refunds (payments.refunded) and stock releases (inventory.released).
 * Outbox rows are kept a day after publishing, so this holds for a drill's recent orders.
 */
export async function repeatedEffects (t: InvariantTarget, orderIds: string[]): Promise<string[]> {
  const out: string[] = []
  if (orderIds.length === 0) return out
  for (const [service, topic] of [['payment', 'payments.approved'], ['payment', 'payments.refunded'], ['inventory', 'inventory.released']] as const) {
    const rows = await t.sql.unsafe<Array<{ key: string, n: number }>>(`select key, count(*)::int as n from ${schemaOf(t, service)}.outbox
      where topic = $1 and key = any($2) group by key having count(*) > 1`, [topic, orderIds])
    for (const r of rows) out.push(`${r.key}: ${r.n} ${topic} decided (at most one)`)
  }
  return out
}

export interface GroupLagRow { service: string, group: string, lag: number }

/**
 * Lag of each service's consumer group on the event topics it reads (compacted state topics are
 * replayed, not tracked): records past the group's committed offsets. Topics not created are skipped.
 */
export async function shopLag (t: Pick<InvariantTarget, 'brokers' | 'topicPrefix' | 'groupSuffix'>, services: readonly string[], shared?: Admin): Promise<GroupLagRow[]> {
  // A sampler asking every second brings its own admin client; a one-off check makes one.
  const admin = shared ?? createAdmin(t.brokers, 'vitrine-invariants')
  try {
    const existing = new Set(await admin.listTopics({ includeInternals: false }))
    const groups = services.map(service => ({
      service,
      group: service + t.groupSuffix,
      topics: topicsReadBy(service as ServiceName).filter(s => !isStateTopic(s.name)).map(s => t.topicPrefix + s.name).filter(n => existing.has(n))
    })).filter(g => g.topics.length > 0)
    if (groups.length === 0) return []
    const lag = await groupLag(admin, groups)
    return groups.map(g => ({ service: g.service, group: g.group, lag: lag[g.group] ?? 0 }))
  } finally {
    if (shared === undefined) await admin.close().catch(() => {})
  }
}

export type InvariantName = 'terminal' | 'saga' | 'one-charge' | 'stock' | 'once' | 'lag'

export interface InvariantCheck {
  name: InvariantName
  /** pt-BR, what the UI shows beside ok/failed. */
  label: string
  ok: boolean
  /** What is broken (empty when ok); at most 20 lines, the count in `more`. */
  problems: string[]
  more: number
}

export interface InvariantReport { ok: boolean, orders: number, checks: InvariantCheck[], checkedAt: string }

const LABELS: Record<InvariantName, string> = {
  terminal: 'todo pedido terminou (confirmado ou falhou)',
  saga: 'promessas da saga (pago e vendido, ou nada retido; cliente avisado)',
  'one-charge': 'uma cobrança por pedido',
  stock: 'estoque nunca negativo e livro de estoque fechando',
  once: 'estornos e devoluções de estoque no máximo uma vez',
  lag: 'lag dos consumer groups de volta a 0'
}

function check (name: InvariantName, problems: string[]): InvariantCheck {
  return { name, label: LABELS[name], ok: problems.length === 0, problems: problems.slice(0, 20), more: Math.max(0, problems.length - 20) }
}

export interface CheckOptions {
  /** Services whose group lag must be 0 (omit to skip the lag check). */
  lagServices?: readonly string[]
  /** Also count the events on the outcome topics (reads them whole). */
  checkTopics?: boolean
}

/**
 * Every invariant a drill or a fault-matrix row ends with, one named check each, for these orders
 * (typically every order created since the fault started).
 */
export async function checkInvariants (t: InvariantTarget, orderIds: string[], opts: CheckOptions = {}): Promise<InvariantReport> {
  const saga = await violations(t, orderIds, { checkTopics: opts.checkTopics })
  const unfinished = saga.filter(v => v.endsWith(': still pending') || v.endsWith(': unknown to checkout-api'))
  const ledger = saga.filter(v => v.startsWith('stock ledger mismatch'))
  const rest = saga.filter(v => !unfinished.includes(v) && !ledger.includes(v))
  const repeated = await repeatedEffects(t, orderIds)
  const lag = opts.lagServices === undefined ? undefined : (await shopLag(t, opts.lagServices)).filter(g => g.lag > 0).map(g => `${g.group}: lag ${g.lag}`)
  const checks = [
    check('terminal', unfinished),
    check('saga', rest),
    check('one-charge', repeated.filter(v => v.includes('payments.approved'))),
    check('stock', [...await negativeStock(t), ...ledger]),
    check('once', repeated.filter(v => !v.includes('payments.approved'))),
    ...(lag === undefined ? [] : [check('lag', lag)])
  ]
  return { ok: checks.every(c => c.ok), orders: orderIds.length, checks, checkedAt: new Date().toISOString() }
}

/** checkInvariants until all hold or the time is up (compensations and lag take a moment); the last report. */
export async function settleInvariants (t: InvariantTarget, orderIds: string[], opts: CheckOptions & { timeoutMs?: number, everyMs?: number } = {}): Promise<InvariantReport> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  for (;;) {
    let report: InvariantReport | undefined
    try {
      report = await checkInvariants(t, orderIds, opts)
    } catch (err) {
      if (Date.now() > deadline) throw err
    }
    if (report !== undefined && (report.ok || Date.now() > deadline)) return report
    await new Promise(resolve => setTimeout(resolve, opts.everyMs ?? 1000))
  }
}
