import type { Admin } from '@platformatic/kafka'
import type { Logger } from 'pino'
import { HEADERS, findTopic, summarizeRecord } from '@vitrine/contracts'
import type { SagaMode, ServiceName, TopicSerde } from '@vitrine/contracts'
import { ShopError, serviceAuthHeaders } from '@vitrine/service-kit'
import type { GatewayConfigType } from '../config.ts'
import type { CompareBodyType, CompareResultType, SagaRunType } from '../schemas/compare.ts'
import { TraceStart, causalOrder, expectedTopics, minimalTopics, missingFrom, topicRank } from './trace.ts'
import type { Outcome, TraceRecord } from './trace.ts'

// POST /api/compare: places the same order once per saga style through checkout-api, reads what
// Kafka holds for each (by its key, from the offsets noted before placing it) until every record its
// outcome implies is there, and reports the two side by side. One saga after the other, so the two
// do not compete; the whole comparison is bounded by COMPARE_TIMEOUT_MS (plus MIN_READ_MS).

const MODES: readonly SagaMode[] = ['choreography', 'orchestration']
// Services auto-commit offsets every second: a few rounds, then what Kafka says is shown as it is.
const COMMIT_WAIT_MS = 3000
// The second saga still gets a last look when the first used up the time, so what is there is found.
const MIN_READ_MS = 2000

/**
 * Every consumer service names its group after itself (service-kit appends KAFKA_GROUP_SUFFIX). The
 * gateway has none; Flink (streams) has one but keeps its progress in its checkpoints and only copies
 * it to Kafka at each checkpoint, so its committed offset says nothing about this order: not shown.
 */
function groupOf (service: ServiceName, suffix: string): string | null {
  return service === 'gateway' || service === 'streams' ? null : service + suffix
}

async function getJson (url: string, headers: Record<string, string>): Promise<{ status: number, body: any }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) })
  return { status: res.status, body: await res.json().catch(() => null) }
}

interface Decoded { record: TraceRecord, value: Record<string, unknown> | null }

interface Traced { mode: SagaMode, orderId: string, outcome: Outcome | null, expected: Record<string, number> | null, decoded: Decoded[], incomplete: string[] }

export interface ComparisonDeps { config: GatewayConfigType, serde: TopicSerde, admin: Admin, log: Logger }

export class Comparison {
  private readonly decodedCache = new Map<string, Promise<Decoded>>()

  constructor (private readonly d: ComparisonDeps) {}

  async run (body: CompareBodyType): Promise<CompareResultType> {
    const startedAt = new Date()
    const deadline = Date.now() + this.d.config.COMPARE_TIMEOUT_MS
    // Before any order exists: everything either order writes comes after these offsets.
    const start = await TraceStart.now(this.d.config.KAFKA_BROKERS, this.d.config.TOPIC_PREFIX)
    const traced: Traced[] = []
    for (const mode of MODES) traced.push(await this.trace(mode, body, start, deadline))
    const committed = await this.commits(traced.flatMap(t => t.decoded))
    const runs = await Promise.all(traced.map(async t => await this.view(t, committed)))
    const [choreography, orchestration] = runs as [SagaRunType, SagaRunType]
    return { request: body, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), choreography, orchestration }
  }

  /** Places the order in one mode and reads its records until its outcome's set is complete or the time is up. */
  private async trace (mode: SagaMode, body: CompareBodyType, start: TraceStart, deadline: number): Promise<Traced> {
    const orderId = await this.place(mode, body)
    const placedAt = Date.now()
    const read = await start.read(orderId, async records => {
      const outcome = outcomeOf(await this.decodeAll(records))
      return outcome !== null && missingFrom(expectedTopics(mode, outcome) ?? minimalTopics(outcome), records).length === 0
    }, Math.max(MIN_READ_MS, deadline - Date.now()))
    const waited = `${((Date.now() - placedAt) / 1000).toFixed(1).replace('.', ',')} s`
    const decoded = await this.decodeAll(read.records)
    const outcome = outcomeOf(decoded)
    const expected = outcome === null ? null : expectedTopics(mode, outcome)
    const incomplete: string[] = []
    if (outcome === null) incomplete.push(`o desfecho (orders.confirmed ou orders.failed) não apareceu no Kafka em ${waited}`)
    else if (expected === null) incomplete.push(`desfecho sem conjunto de mensagens conhecido (${outcomeLabel(outcome)}): só o pedido, o desfecho e a notificação foram esperados`)
    const missing = outcome === null ? [] : missingFrom(expected ?? minimalTopics(outcome), read.records)
    if (missing.length > 0) incomplete.push(`faltam no Kafka após ${waited}: ${missing.join(', ')}`)
    this.d.log.info({ orderId, mode, outcome, messages: read.records.length, incomplete }, 'compared saga traced')
    return { mode, orderId, outcome, expected, decoded, incomplete }
  }

  private async place (mode: SagaMode, body: CompareBodyType): Promise<string> {
    const url = this.d.config.CHECKOUT_API_URL
    let res: Response
    try {
      res = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...serviceAuthHeaders(this.d.config, 'gateway') },
        body: JSON.stringify({ customerId: body.customerId, items: body.items, mode, channel: 'compare' }),
        signal: AbortSignal.timeout(10_000)
      })
    } catch (err) {
      throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `checkout-api is not reachable (${(err as Error).message})`, 502, { service: 'checkout-api', url })
    }
    const accepted = await res.json().catch(() => null) as { orderId?: string, code?: `SHOP_ERR_${string}`, message?: string, details?: Record<string, unknown> } | null
    // The order itself is refused (an unknown or inactive product): the client's mistake, said as checkout-api said it.
    if (res.status === 400 && accepted?.code) throw new ShopError(accepted.code, accepted.message ?? 'checkout-api refused the order', 400, accepted.details)
    if (res.status !== 202 || !accepted?.orderId) {
      throw new ShopError('SHOP_ERR_UPSTREAM', `checkout-api refused the ${mode} order (${res.status}): ${accepted?.message ?? ''}`, 502, { service: 'checkout-api', status: res.status })
    }
    return accepted.orderId
  }

  /** Decodes each record once (the reader asks again as records arrive). */
  private async decodeAll (records: readonly TraceRecord[]): Promise<Decoded[]> {
    return await Promise.all(records.map(async record => {
      const id = `${record.topic}:${record.partition}:${record.offset}`
      let d = this.decodedCache.get(id)
      if (!d) {
        d = this.d.serde.decode(record.value ?? Buffer.alloc(0))
          .then(value => ({ record, value: value as Record<string, unknown> }))
          // Not Avro (a poison record in the DLQ, say): shown with its headers, value unknown.
          .catch(() => ({ record, value: null }))
        this.decodedCache.set(id, d)
      }
      return await d
    }))
  }

  /** Committed offsets of every reader group over the partitions the traces touched, waited for a few auto-commit rounds. */
  private async commits (all: readonly Decoded[]): Promise<Map<string, Map<string, number>>> {
    const { KAFKA_GROUP_SUFFIX: suffix, TOPIC_PREFIX: prefix } = this.d.config
    const wanted = new Map<string, Array<{ key: string, offset: number }>>()
    for (const { record } of all) {
      for (const service of findTopic(record.topic)?.readers ?? []) {
        const group = groupOf(service, suffix)
        if (!group) continue
        const list = wanted.get(group) ?? []
        list.push({ key: `${prefix}${record.topic}:${record.partition}`, offset: record.offset })
        wanted.set(group, list)
      }
    }
    const result = new Map<string, Map<string, number>>()
    if (wanted.size === 0) return result
    const until = Date.now() + COMMIT_WAIT_MS
    for (;;) {
      try {
        const answer = await this.d.admin.listConsumerGroupOffsets({ groups: [...wanted.keys()] })
        for (const g of answer) {
          const got = new Map<string, number>()
          for (const t of g.topics) for (const p of t.partitions) if (p.committedOffset >= 0n) got.set(`${t.name}:${p.partitionIndex}`, Number(p.committedOffset))
          result.set(g.groupId, got)
        }
      } catch (err) {
        this.d.log.warn({ err }, 'committed offsets unavailable')
        return result
      }
      const missing = [...wanted].some(([group, list]) => list.some(x => (result.get(group)?.get(x.key) ?? -1) <= x.offset))
      if (!missing || Date.now() >= until) return result
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }

  private async view (t: Traced, committed: Map<string, Map<string, number>>): Promise<SagaRunType> {
    const { KAFKA_GROUP_SUFFIX: suffix, TOPIC_PREFIX: prefix } = this.d.config
    const items = t.decoded.map(d => ({
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
        summary: summarizeRecord(r.topic, it.value, r.headers),
        consumers: (spec?.readers ?? []).map(service => {
          const group = groupOf(service, suffix)
          const at = group ? committed.get(group)?.get(`${prefix}${r.topic}:${r.partition}`) : undefined
          return { service, group, committed: group ? at !== undefined && at > r.offset : null }
        })
      }
    })
    const outcome = messages.find(m => m.topic === 'orders.confirmed' || m.topic === 'orders.failed')
    const topics = [...new Set(messages.map(m => m.topic))]
    return {
      mode: t.mode,
      orderId: t.orderId,
      status: t.outcome?.status ?? 'pending',
      reason: t.outcome?.status === 'failed' ? t.outcome.reason : null,
      complete: t.incomplete.length === 0,
      incomplete: t.incomplete,
      expected: t.expected,
      messages,
      messageCount: messages.length,
      topicCount: topics.length,
      topics,
      producers: [...new Set(messages.map(m => m.producer).filter((x): x is string => x !== null))],
      timings: {
        toOutcomeMs: outcome ? outcome.atMs : null,
        totalMs: messages.length > 0 ? messages[messages.length - 1]!.atMs : 0
      },
      stateLives: t.mode === 'choreography'
        ? 'Espalhado: não existe um registro da saga. Cada serviço guarda só a sua parte (pedido, pagamento, reserva), e o andamento só se reconstrói juntando essas tabelas ou lendo os tópicos.'
        : 'Centralizado: uma linha em orchestrator.sagas guarda o passo atual, o prazo e o que falta compensar; cada participante continua guardando a sua parte.',
      state: await this.stateOf(t.mode, t.orderId)
    }
  }

  /** Where the saga's state lives, read from each owner's API, never from another service's tables. */
  private async stateOf (mode: SagaMode, orderId: string): Promise<SagaRunType['state']> {
    const { CHECKOUT_API_URL, PAYMENT_URL, INVENTORY_URL, ORCHESTRATOR_URL } = this.d.config
    const id = encodeURIComponent(orderId)
    const ask = async (service: string, table: string, column: string, url: string, read: (body: any) => { value: string, detail: string | null }): Promise<SagaRunType['state'][number]> => {
      try {
        const r = await getJson(url, serviceAuthHeaders(this.d.config, 'gateway'))
        if (r.status === 404) return { service, table, column, value: null, detail: 'sem registro para este pedido' }
        if (r.status !== 200) return { service, table, column, value: null, detail: `respondeu ${r.status}` }
        return { service, table, column, ...read(r.body) }
      } catch (err) {
        return { service, table, column, value: null, detail: `não respondeu: ${(err as Error).message}` }
      }
    }
    const field = (name: string) => (body: any) => ({ value: String(body[name]), detail: null })
    return await Promise.all([
      ...(mode === 'orchestration'
        ? [ask('orchestrator', 'sagas', 'state', `${ORCHESTRATOR_URL}/sagas/${id}`, body => ({ value: String(body.state), detail: `passo: ${(body.step as string | null) ?? 'nenhum'}; a compensar: ${(body.compensate as string[]).join(', ') || 'nada'}` }))]
        : []),
      ask('checkout-api', 'orders', 'status', `${CHECKOUT_API_URL}/orders/${id}`, field('status')),
      ask('payment', 'payments', 'status', `${PAYMENT_URL}/payments/${id}`, field('status')),
      ask('inventory', 'reservations', 'status', `${INVENTORY_URL}/reservations/${id}`, field('status'))
    ])
  }
}

/** The outcome as its record says it; null until orders.confirmed or orders.failed is read. */
function outcomeOf (decoded: readonly Decoded[]): Outcome | null {
  for (const d of decoded) {
    if (d.record.topic === 'orders.confirmed') return { status: 'confirmed' }
    if (d.record.topic === 'orders.failed') return { status: 'failed', reason: String(d.value?.reason ?? 'desconhecido') }
  }
  return null
}

function outcomeLabel (o: Outcome): string {
  return o.status === 'confirmed' ? 'confirmado' : `falhou: ${o.reason}`
}
