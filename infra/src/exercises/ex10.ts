import { TOPICS } from '@vitrine/contracts'
import { KafkaReader, partitionOf } from '@vitrine/service-kit'
import type { ReadRange, StoredRecord } from '@vitrine/service-kit'
import { readExerciseState, startSaga, writeExerciseState } from './saga.ts'
import { defineExercise } from './types.ts'
import type { CheckResult, ExerciseContext } from './types.ts'

// Exercise 10: the same order in choreography and in orchestration. The student places two orders
// with the same items for the exercise's customer, one in each mode, follows them (UI, make compare,
// the topics) and counts messages and hops. The check reads checkout-api's orders (both there, same
// items, one per mode, both finished) and shows what Kafka holds for each, read by key from the
// topics; "explain the difference" is a discussion question on the page, not a check.

/** The customer the exercise names (`pay-ok`: payment always approves it, so both sagas can go all the way). */
export const ex10Customer = (ctx: Pick<ExerciseContext, 'groupSuffix'>): string => `turma-ex10-pay-ok${ctx.groupSuffix}`

const MODES = { choreography: 'coreografia', orchestration: 'orquestração' } as const
type Mode = keyof typeof MODES

/** Every catalog topic keyed by the order id: its saga's records, the retry tiers and the DLQ. */
const ORDER_TOPICS = TOPICS.filter(t => t.key !== 'productId').map(t => t.name)

/** What the setup notes for the checker (in the control plane's state folder). */
interface Ex10State { since: string }

interface OrderRow { id: string, mode: Mode, status: string, reason: string | null, items: Array<{ productId: string, quantity: number }>, created_at: Date }

/** Items as one comparable line: quantities summed per product, products in order ("2× prod_1, 1× prod_3"). */
function itemsLine (items: OrderRow['items']): string {
  const by = new Map<string, number>()
  for (const i of items) by.set(i.productId, (by.get(i.productId) ?? 0) + i.quantity)
  return [...by].sort(([a], [b]) => a.localeCompare(b)).map(([p, q]) => `${q}× ${p}`).join(', ')
}

const short = (id: string): string => id.slice(0, 8)
const STATUS: Record<string, string> = { pending: 'em andamento', confirmed: 'confirmado', failed: 'falhou' }

/**
 * Each order's records on the order topics, read by key up to the ends the partitions have now:
 * only the partition each topic puts the key on (murmur2, the partitioner every producer of ours
 * and Kafka's Java clients use: kit's partitionOf), so a demo
 * that ran for hours is not read whole at every background check.
 */
async function recordsByOrder (ctx: ExerciseContext, ids: readonly string[]): Promise<Map<string, StoredRecord[]>> {
  const wanted = new Set(ids)
  const out = new Map<string, StoredRecord[]>(ids.map(id => [id, []]))
  const reader = new KafkaReader(ctx.brokers, 'vitrine-exercise', undefined, ctx.security)
  try {
    const ranges: ReadRange[] = []
    for (const name of ORDER_TOPICS) {
      const topic = ctx.topicPrefix + name
      const partitions = await reader.partitions(topic)
      if (partitions.length === 0) continue // a topic this shop does not have
      for (const partition of new Set(ids.map(id => partitionOf(id, partitions.length)))) {
        const w = await reader.watermarks(topic, partition)
        if (w.high > w.low) ranges.push({ topic, partition, offset: w.low, until: w.high })
      }
    }
    const { records } = await reader.read(ranges, { timeoutMs: 10_000, keep: r => r.key !== null && wanted.has(r.key) })
    for (const r of records) out.get(r.key!)!.push({ ...r, topic: r.topic.slice(ctx.topicPrefix.length) })
  } finally {
    await reader.close()
  }
  return out
}

/** "6 mensagens em 6 tópicos (orders.new 1, ...), escritas por 4 serviços (checkout-api, ...)". */
function kafkaLine (mode: Mode, order: OrderRow, records: readonly StoredRecord[]): string {
  // Topics in the order the saga wrote them (records arrive from the reader in any order across
  // partitions); records of the same millisecond follow the catalog's order.
  const rank = (topic: string): number => (ORDER_TOPICS as readonly string[]).indexOf(topic)
  const inSagaOrder = [...records].sort((a, b) => a.timestamp - b.timestamp || rank(a.topic) - rank(b.topic))
  const topics = new Map<string, number>()
  for (const r of inSagaOrder) topics.set(r.topic, (topics.get(r.topic) ?? 0) + 1)
  const writers = [...new Set(records.map(r => r.headers.producer).filter((p): p is string => p !== undefined && p !== ''))].sort()
  return `${MODES[mode]} (pedido ${short(order.id)}): ${records.length} mensagens em ${topics.size} tópicos` +
    ` (${[...topics].map(([t, n]) => `${t} ${n}`).join(', ')}), escritas por ${writers.length} serviços (${writers.join(', ')})`
}

export default defineExercise({
  n: 10,
  slug: '10-coreografia-vs-orquestracao',
  title: 'O mesmo pedido em coreografia e em orquestração',
  concepts: ['topicos', 'produtores', 'consumidores', 'grupos-de-consumidores'],
  setup: async (ctx) => {
    // The saga's services running (the orchestrator too: each mode needs its own).
    await startSaga(ctx)
    // A new attempt: only the customer's orders placed from now on count (earlier ones stay as they are).
    writeExerciseState(ctx, 10, { since: new Date().toISOString() } satisfies Ex10State)
  },
  check: async (ctx): Promise<CheckResult> => {
    const customer = ex10Customer(ctx)
    const orders = ctx.schema('checkout-api')
    const since = new Date(readExerciseState<Ex10State>(ctx, 10)?.since ?? 0)
    let rows: OrderRow[]
    try {
      rows = await ctx.sql.unsafe<OrderRow[]>(`select id, mode, status, reason, items, created_at from "${orders}".orders
        where customer_id = $1 and created_at >= $2 order by created_at desc`, [customer, since])
    } catch (err) {
      // No orders table yet (checkout-api never started on this shop) or no database: say what to do.
      return { done: false, missing: [`não consegui ler os pedidos do checkout-api (${(err as Error).message}): a loja está no ar? Confira com make status ou suba com make demo`] }
    }
    // The latest order of each mode is the attempt.
    const latest = new Map<Mode, OrderRow>()
    for (const r of rows) if (!latest.has(r.mode)) latest.set(r.mode, r)

    const missing: string[] = []
    const seen: string[] = []
    for (const mode of Object.keys(MODES) as Mode[]) {
      const o = latest.get(mode)
      if (o === undefined) {
        missing.push(`faça um pedido em ${MODES[mode]} para o cliente ${customer} (campo "mode": "${mode}" no POST, ou o seletor de modo da página Novo pedido)`)
        continue
      }
      seen.push(`${MODES[mode]}: pedido ${short(o.id)} de ${itemsLine(o.items)}, ${STATUS[o.status] ?? o.status}${o.reason ? ` (${o.reason})` : ''}`)
      if (o.status === 'pending') missing.push(`o pedido ${short(o.id)} (${MODES[mode]}) ainda não terminou: acompanhe-o na página Pedido; se não andar, veja make status`)
    }
    const choreo = latest.get('choreography')
    const orch = latest.get('orchestration')
    if (choreo && orch && itemsLine(choreo.items) !== itemsLine(orch.items)) {
      missing.push(`os dois pedidos precisam ter os mesmos itens: coreografia tem ${itemsLine(choreo.items)}, orquestração tem ${itemsLine(orch.items)}; faça de novo o de ${choreo.created_at > orch.created_at ? 'coreografia' : 'orquestração'} com os itens do outro`)
    }

    // What Kafka keeps of each (for the counting; the verdict does not depend on it).
    const found = [...latest.entries()]
    if (found.length > 0) {
      try {
        const byOrder = await recordsByOrder(ctx, found.map(([, o]) => o.id))
        for (const [mode, o] of found) seen.push(kafkaLine(mode, o, byOrder.get(o.id) ?? []))
      } catch (err) {
        seen.push(`não consegui ler os tópicos agora (${(err as Error).message}): conte pela página Pedido ou por make compare`)
      }
    }
    return { done: missing.length === 0, missing, seen }
  }
})
