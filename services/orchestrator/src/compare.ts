import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { HEADERS, findTopic } from '@vitrine/contracts'
import type { SagaMode, ServiceName } from '@vitrine/contracts'
import { ShopError } from '@vitrine/service-kit'
import type { OrchestratorConfigType } from './config.ts'
import { isTerminal } from './machine.ts'
import type { SagaState } from './machine.ts'
import type { CompareBodyType, CompareResultType, SagaRunType } from './schemas/compare.ts'
import { CommittedOffsets, TraceReader, causalOrder, topicRank } from './trace.ts'
import type { TraceRecord } from './trace.ts'

// POST /compare: places the same order once per saga style through checkout-api, waits for each to
// finish, and reports what Kafka holds for it. Each run is sequential, so the two do not compete.

const MODES: readonly SagaMode[] = ['choreography', 'orchestration']
const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))
// Producer clocks and the broker share this machine; a little slack keeps a record stamped just before the start.
const READ_FROM_SLACK_MS = 2000
// Services commit offsets every second (auto-commit); give them a few rounds before reporting.
const COMMIT_WAIT_MS = 4000

/** Every consumer service names its group after itself (service-kit appends KAFKA_GROUP_SUFFIX); the gateway has none. */
function groupOf (service: ServiceName, suffix: string): string | null {
  return service === 'gateway' ? null : service + suffix
}

async function getJson (url: string): Promise<{ status: number, body: any }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
  return { status: res.status, body: await res.json().catch(() => null) }
}

interface Decoded { record: TraceRecord, value: Record<string, unknown> | null }

const COMMANDS_PT: Record<string, string> = { CHARGE: 'cobrar', REFUND: 'estornar', RESERVE: 'reservar', RELEASE: 'liberar', COMMIT: 'efetivar a venda', CONFIRM: 'confirmar', FAIL: 'encerrar como falho' }

/** One line in pt-BR about what a record says, from its own fields. */
export function summarize (topic: string, v: Record<string, unknown> | null, headers: Record<string, string>): string {
  const s = (k: string): string => String(v?.[k] ?? '')
  switch (topic) {
    case 'orders.new': return `pedido criado (${s('totalCents')} centavos)`
    case 'payments.requested': return 'pagamento em processamento'
    case 'payments.approved': return 'pagamento aprovado'
    case 'payments.failed': return `pagamento recusado (${s('reason')})`
    case 'payments.refunded': return 'pagamento estornado'
    case 'inventory.reserved': return 'estoque reservado'
    case 'inventory.failed': return `estoque indisponível (${s('reason')}${v?.productId ? `: ${s('productId')}` : ''})`
    case 'inventory.released': return 'reserva devolvida ao estoque'
    case 'orders.confirmed': return 'pedido confirmado'
    case 'orders.failed': return `pedido falhou (${s('reason')})`
    case 'notifications.sent': return `cliente notificado (${(v?.channels as string[] | undefined)?.join(', ') ?? ''})`
    case 'payments.commands':
    case 'inventory.commands':
    case 'orders.commands': return `comando ${s('command')} (${COMMANDS_PT[s('command')] ?? s('command')})`
    case 'payments.replies':
    case 'inventory.replies': return `resposta a ${s('command')}: ${s('outcome')}${v?.reason ? ` (${s('reason')})` : ''}`
    case 'orders.dlq': return `dead-letter de ${headers[HEADERS.originalTopic] ?? '?'}: ${headers[HEADERS.error] ?? ''}`
    default: return topic.startsWith('orders.retry.') ? `nova tentativa de ${headers[HEADERS.originalTopic] ?? '?'}` : topic
  }
}

export class Comparison {
  constructor (private readonly app: FastifyInstance, private readonly config: OrchestratorConfigType, private readonly log: Logger) {}

  async run (body: CompareBodyType): Promise<CompareResultType> {
    const startedAt = new Date()
    const reader = await TraceReader.open(this.config.KAFKA_BROKERS, this.config.TOPIC_PREFIX, Date.now() - READ_FROM_SLACK_MS, this.log)
    const offsets = new CommittedOffsets(this.config.KAFKA_BROKERS)
    try {
      const placed: Array<{ mode: SagaMode, orderId: string, status: string, reason: string | null, incomplete: string[] }> = []
      for (const mode of MODES) placed.push(await this.place(mode, body, reader))
      const runs = new Map<SagaMode, SagaRunType>()
      const decoded = new Map<string, Decoded[]>()
      for (const p of placed) decoded.set(p.orderId, await this.decode(reader.recordsFor(p.orderId)))
      const committed = await this.commits(offsets, [...decoded.values()].flat())
      for (const p of placed) runs.set(p.mode, await this.view(p, decoded.get(p.orderId)!, committed))
      return { request: body, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), choreography: runs.get('choreography')!, orchestration: runs.get('orchestration')! }
    } finally {
      await offsets.close().catch(() => {})
      await reader.close().catch(err => this.log.warn({ err }, 'closing the trace reader failed'))
    }
  }

  /** Places the order in one mode and waits until it is finished (or the time runs out, which the result says). */
  private async place (mode: SagaMode, body: CompareBodyType, reader: TraceReader): Promise<{ mode: SagaMode, orderId: string, status: string, reason: string | null, incomplete: string[] }> {
    let res: Response
    try {
      res = await fetch(`${this.config.CHECKOUT_URL}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customerId: body.customerId, items: body.items, mode, channel: 'compare' }),
        signal: AbortSignal.timeout(10_000)
      })
    } catch (err) {
      throw new ShopError('SHOP_ERR_UPSTREAM', `checkout-api at ${this.config.CHECKOUT_URL} did not answer: ${(err as Error).message}`, 502, { upstream: 'checkout-api' })
    }
    const accepted = await res.json().catch(() => null) as { orderId?: string, code?: `SHOP_ERR_${string}`, message?: string, details?: Record<string, unknown> } | null
    // The order itself is refused (an unknown or inactive product): the client's mistake, said as checkout-api said it.
    if (res.status === 400 && accepted?.code) throw new ShopError(accepted.code, accepted.message ?? 'checkout-api refused the order', 400, accepted.details)
    if (res.status !== 202 || !accepted?.orderId) {
      throw new ShopError('SHOP_ERR_UPSTREAM', `checkout-api refused the ${mode} order (${res.status}): ${accepted?.message ?? ''}`, 502, { upstream: 'checkout-api', status: res.status })
    }
    const orderId = accepted.orderId
    const log = this.log.child({ orderId, mode })
    const deadline = Date.now() + this.config.COMPARE_TIMEOUT_MS
    const incomplete: string[] = []
    let status = 'pending'
    let reason: string | null = null
    while (Date.now() < deadline) {
      const o = await getJson(`${this.config.CHECKOUT_URL}/orders/${orderId}`).catch(() => undefined)
      if (o?.status === 200 && o.body.status !== 'pending') {
        status = o.body.status as string
        reason = (o.body.reason as string | null) ?? null
        break
      }
      await sleep(100)
    }
    if (status === 'pending') incomplete.push('o pedido não terminou no tempo da comparação')
    if (mode === 'orchestration') {
      let state: SagaState | undefined
      while (Date.now() < deadline) {
        const [row] = await this.app.sql`select state from sagas where order_id = ${orderId}`
        state = row?.state as SagaState | undefined
        if (state && isTerminal(state)) break
        await sleep(100)
      }
      if (!state || !isTerminal(state)) incomplete.push(`a saga no orquestrador não terminou (estado ${state ?? 'desconhecido'})`)
    }
    // The saga goes on after the outcome (sale committed, compensations, notification): wait until its topics go quiet.
    let notified = false
    let quiet = false
    while (Date.now() < deadline) {
      notified = reader.recordsFor(orderId).some(r => r.topic === 'notifications.sent')
      const last = reader.lastReadAt(orderId)
      quiet = last !== undefined && Date.now() - last >= this.config.COMPARE_QUIET_MS
      if (notified && quiet) break
      await sleep(100)
    }
    if (!notified) incomplete.push('notifications.sent não apareceu')
    else if (!quiet) incomplete.push('ainda chegavam mensagens quando o tempo acabou')
    log.info({ status, reason, messages: reader.recordsFor(orderId).length, incomplete }, 'compared saga finished')
    return { mode, orderId, status, reason, incomplete }
  }

  private async decode (records: TraceRecord[]): Promise<Decoded[]> {
    return await Promise.all(records.map(async record => {
      try {
        return { record, value: record.value ? await this.app.serde.decode(record.value) as Record<string, unknown> : null }
      } catch {
        // Not Avro (a poison record in the DLQ, say): shown with its headers, value unknown.
        return { record, value: null }
      }
    }))
  }

  /** Committed offsets of every reader group over the partitions the traces touched, waited for a few auto-commit rounds. */
  private async commits (offsets: CommittedOffsets, all: Decoded[]): Promise<Map<string, Map<string, number>>> {
    const groups = new Map<string, Array<{ topic: string, partition: number, offset: number }>>()
    for (const { record } of all) {
      for (const service of findTopic(record.topic)?.readers ?? []) {
        const group = groupOf(service, this.config.KAFKA_GROUP_SUFFIX)
        if (!group) continue
        const list = groups.get(group) ?? []
        list.push({ topic: this.config.TOPIC_PREFIX + record.topic, partition: record.partition, offset: record.offset })
        groups.set(group, list)
      }
    }
    const result = new Map<string, Map<string, number>>()
    const until = Date.now() + COMMIT_WAIT_MS
    for (;;) {
      let missing = 0
      for (const [group, list] of groups) {
        const unique = [...new Map(list.map(x => [`${x.topic}:${x.partition}`, { topic: x.topic, partition: x.partition }])).values()]
        const got = await offsets.of(group, unique).catch(err => { this.log.warn({ err, group }, 'committed offsets unavailable'); return new Map<string, number>() })
        result.set(group, got)
        missing += list.filter(x => (got.get(`${x.topic}:${x.partition}`) ?? -1) <= x.offset).length
      }
      if (missing === 0 || Date.now() >= until) return result
      await sleep(500)
    }
  }

  private async view (p: { mode: SagaMode, orderId: string, status: string, reason: string | null, incomplete: string[] }, decoded: Decoded[], committed: Map<string, Map<string, number>>): Promise<SagaRunType> {
    const items = decoded.map(d => ({
      ...d,
      eventId: typeof d.value?.eventId === 'string' ? d.value.eventId : null,
      causationId: d.record.headers[HEADERS.causationId] ?? null,
      timestamp: d.record.timestamp,
      rank: topicRank(d.record.topic),
      partition: d.record.partition,
      offset: d.record.offset
    }))
    const ordered = causalOrder(items)
    const first = ordered[0]?.timestamp ?? 0
    const byEventId = new Map<string, number>()
    for (const it of ordered) if (it.eventId && !byEventId.has(it.eventId)) byEventId.set(it.eventId, it.timestamp)
    const messages = ordered.map((it, index) => {
      const r = it.record
      const spec = findTopic(r.topic)
      const causeAt = it.causationId ? byEventId.get(it.causationId) : undefined
      return {
        index,
        topic: r.topic,
        kind: spec?.kind ?? 'unknown',
        partition: r.partition,
        offset: r.offset,
        timestamp: new Date(r.timestamp).toISOString(),
        timestampMs: r.timestamp,
        atMs: r.timestamp - first,
        sinceCauseMs: causeAt === undefined ? null : r.timestamp - causeAt,
        producer: r.headers[HEADERS.producer] ?? null,
        eventType: r.headers[HEADERS.eventType] ?? null,
        eventId: it.eventId,
        causationId: it.causationId,
        summary: summarize(r.topic, it.value, r.headers),
        consumers: (spec?.readers ?? []).map(service => {
          const group = groupOf(service, this.config.KAFKA_GROUP_SUFFIX)
          const at = group ? committed.get(group)?.get(`${this.config.TOPIC_PREFIX}${r.topic}:${r.partition}`) : undefined
          return { service, group, committed: group ? at !== undefined && at > r.offset : null }
        })
      }
    })
    const outcome = messages.find(m => m.topic === 'orders.confirmed' || m.topic === 'orders.failed')
    const topics = [...new Set(messages.map(m => m.topic))]
    return {
      mode: p.mode,
      orderId: p.orderId,
      status: p.status,
      reason: p.reason,
      complete: p.incomplete.length === 0,
      incomplete: p.incomplete,
      messages,
      messageCount: messages.length,
      topicCount: topics.length,
      topics,
      producers: [...new Set(messages.map(m => m.producer).filter((x): x is string => x !== null))],
      timings: {
        toOutcomeMs: outcome ? outcome.atMs : null,
        totalMs: messages.length > 0 ? messages[messages.length - 1]!.atMs : 0
      },
      stateLives: p.mode === 'choreography'
        ? 'Espalhado: não existe um registro da saga. Cada serviço guarda só a sua parte (pedido, pagamento, reserva), e o andamento só se reconstrói juntando essas tabelas ou lendo os tópicos.'
        : 'Centralizado: uma linha em orchestrator.sagas guarda o passo atual, o prazo e o que falta compensar; cada participante continua guardando a sua parte.',
      state: await this.stateOf(p.mode, p.orderId)
    }
  }

  /** Where the saga's state lives, read from each owner (its API, or our own table), never from another service's schema. */
  private async stateOf (mode: SagaMode, orderId: string): Promise<SagaRunType['state']> {
    const ask = async (service: string, table: string, column: string, url: string, field: string): Promise<SagaRunType['state'][number]> => {
      try {
        const r = await getJson(url)
        if (r.status === 404) return { service, table, column, value: null, detail: 'sem registro para este pedido' }
        if (r.status !== 200) return { service, table, column, value: null, detail: `respondeu ${r.status}` }
        return { service, table, column, value: String(r.body[field]), detail: null }
      } catch (err) {
        return { service, table, column, value: null, detail: `não respondeu: ${(err as Error).message}` }
      }
    }
    const out: SagaRunType['state'] = []
    if (mode === 'orchestration') {
      const [row] = await this.app.sql`select state, step, compensate from sagas where order_id = ${orderId}`
      out.push(row
        ? { service: 'orchestrator', table: 'sagas', column: 'state', value: row.state as string, detail: `passo: ${(row.step as string | null) ?? 'nenhum'}; a compensar: ${(row.compensate as string[]).join(', ') || 'nada'}` }
        : { service: 'orchestrator', table: 'sagas', column: 'state', value: null, detail: 'sem registro para este pedido' })
    }
    out.push(await ask('checkout-api', 'orders', 'status', `${this.config.CHECKOUT_URL}/orders/${orderId}`, 'status'))
    out.push(await ask('payment', 'payments', 'status', `${this.config.PAYMENT_URL}/payments/${orderId}`, 'status'))
    out.push(await ask('inventory', 'reservations', 'status', `${this.config.INVENTORY_URL}/reservations/${orderId}`, 'status'))
    return out
  }
}
