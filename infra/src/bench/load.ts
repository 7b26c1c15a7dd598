import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { Admin } from '@platformatic/kafka'
import { FROM_BEGINNING, KafkaReader } from '@vitrine/service-kit'
import type { ReadRange } from '@vitrine/service-kit'

// The benchmark's side of the saga: an open-loop order generator (orders leave at the rate asked,
// whether or not the shop keeps up, as customers do), a reader that notes when each order's
// outcome reaches Kafka, and probes for consumer lag and each service's event loop.

export type OrderKind = 'ok' | 'fail-payment' | 'out-of-stock'

export interface PlacedOrder { orderId: string, kind: OrderKind, phase: string, sentAt: number, acceptedAt: number }

export interface HttpAnswer { status: number, body: string }

/** Keep-alive HTTP/1.1 to one service: what a browser or a load balancer in front of it would do. */
export class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 128 })
  private readonly host: string
  private readonly port: number

  constructor (baseUrl: string) {
    const u = new URL(baseUrl)
    this.host = u.hostname
    this.port = Number(u.port)
  }

  async send (method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return await new Promise((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, path, method, agent: this.agent, timeout: timeoutMs, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} }, res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
        res.on('error', reject)
      })
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)))
      req.on('error', reject)
      req.end(payload)
    })
  }

  close (): void {
    this.agent.destroy()
  }
}

export interface Catalog { products: string[], outOfStock: string }

/** The order body for each path: `fail-payment` is the payment service's teacher trigger; the price is the catalog's. */
export function orderBody (kind: OrderKind, i: number, catalog: Catalog): Record<string, unknown> {
  const productId = kind === 'out-of-stock' ? catalog.outOfStock : catalog.products[i % catalog.products.length]!
  const customerId = kind === 'fail-payment' ? `bench-${i}-fail-payment` : `bench-${i}-pay-ok`
  return { customerId, items: [{ productId, quantity: 1 }] }
}

/**
 * Kinds in the proportions asked for, spread evenly: order i takes the fractional part of i times
 * the golden ratio, a sequence that fills [0, 1) evenly, and the shares are cut from it.
 */
export function kindAt (i: number, mix: { failPayment: number, outOfStock: number }): OrderKind {
  const x = (i * 0.6180339887498949) % 1
  if (x < mix.failPayment) return 'fail-payment'
  if (x < mix.failPayment + mix.outOfStock) return 'out-of-stock'
  return 'ok'
}

export interface LoadStats { phase: string, sent: number, accepted: number, errors: number, dropped: number, firstError?: string }

export interface LoadOptions {
  phase: string
  rate: number
  durationMs: number
  mix?: { failPayment: number, outOfStock: number }
  mode?: 'choreography' | 'orchestration'
  /** Requests allowed in flight; past it an order is dropped and counted, as a sign the shop lags. */
  maxInFlight?: number
}

export class OrderLoad {
  readonly placed: PlacedOrder[] = []
  private seq = 0
  inFlight = 0

  constructor (private readonly http: HttpClient, private readonly catalog: Catalog) {}

  /** Accepted orders so far (each answered 202). */
  get accepted (): number {
    return this.placed.length
  }

  private fire (stats: LoadStats, mode: LoadOptions['mode'], mix: NonNullable<LoadOptions['mix']>): Promise<void> {
    const i = this.seq++
    const kind = kindAt(i, mix)
    const body = { ...orderBody(kind, i, this.catalog), ...(mode ? { mode } : {}) }
    const sentAt = performance.now()
    stats.sent++
    this.inFlight++
    return this.http.send('POST', '/orders', body).then(res => {
      if (res.status !== 202) {
        stats.errors++
        stats.firstError ??= `${res.status} ${res.body.slice(0, 200)}`
        return
      }
      const orderId = (JSON.parse(res.body) as { orderId: string }).orderId
      this.placed.push({ orderId, kind, phase: stats.phase, sentAt, acceptedAt: performance.now() })
      stats.accepted++
    }, err => {
      stats.errors++
      stats.firstError ??= (err as Error).message
    }).finally(() => { this.inFlight-- })
  }

  /** Sends orders at `rate` per second for `durationMs`, then waits for the answers still in flight. */
  async run (o: LoadOptions, onTick?: (elapsedMs: number) => void): Promise<LoadStats> {
    const stats: LoadStats = { phase: o.phase, sent: 0, accepted: 0, errors: 0, dropped: 0 }
    const maxInFlight = o.maxInFlight ?? 512
    const mix = o.mix ?? { failPayment: 0, outOfStock: 0 }
    const pending = new Set<Promise<void>>()
    const started = performance.now()
    const total = Math.round((o.rate * o.durationMs) / 1000)
    let issued = 0
    await new Promise<void>(resolve => {
      const tick = (): void => {
        const elapsed = performance.now() - started
        const due = Math.min(total, Math.floor((o.rate * elapsed) / 1000))
        while (issued < due) {
          issued++
          if (this.inFlight >= maxInFlight) {
            stats.dropped++
            continue
          }
          const p = this.fire(stats, o.mode, mix).finally(() => pending.delete(p))
          pending.add(p)
        }
        onTick?.(elapsed)
        if (elapsed >= o.durationMs) {
          clearInterval(timer)
          resolve()
        }
      }
      const timer = setInterval(tick, 5)
      tick()
    })
    await Promise.allSettled([...pending])
    return stats
  }

  /** Closed loop: `count` orders, `concurrency` at a time, each sent as soon as an answer frees a slot. */
  async burst (phase: string, count: number, concurrency: number, mode?: LoadOptions['mode']): Promise<LoadStats> {
    const stats: LoadStats = { phase, sent: 0, accepted: 0, errors: 0, dropped: 0 }
    const mix = { failPayment: 0, outOfStock: 0 }
    let left = count
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (left > 0) {
        left--
        await this.fire(stats, mode, mix)
      }
    }))
    return stats
  }
}

/**
 * Notes the moment each order's outcome (orders.confirmed / orders.failed, keyed by order id)
 * can be read from Kafka: kit's reader follows every partition from the start (no group, no
 * rebalance) and hands each record over as it arrives.
 */
export class OutcomeReader {
  readonly outcomes = new Map<string, { at: number, outcome: 'confirmed' | 'failed' }>()
  private reader: KafkaReader | undefined
  private readonly stopped = new AbortController()
  private loop: Promise<unknown> = Promise.resolve()

  constructor (private readonly brokers: string, private readonly prefix: string) {}

  async start (): Promise<void> {
    const reader = new KafkaReader(this.brokers, 'bench-outcomes')
    this.reader = reader
    const ranges: ReadRange[] = []
    for (const topic of [`${this.prefix}orders.confirmed`, `${this.prefix}orders.failed`]) {
      for (const partition of await reader.partitions(topic)) ranges.push({ topic, partition, offset: FROM_BEGINNING })
    }
    this.loop = reader.read(ranges, {
      timeoutMs: 24 * 60 * 60 * 1000,
      signal: this.stopped.signal,
      onRecord: r => {
        const id = r.key ?? ''
        if (!this.outcomes.has(id)) this.outcomes.set(id, { at: performance.now(), outcome: r.topic.endsWith('orders.confirmed') ? 'confirmed' : 'failed' })
      }
    })
  }

  finished (orders: readonly PlacedOrder[]): number {
    let n = 0
    for (const o of orders) if (this.outcomes.has(o.orderId)) n++
    return n
  }

  async stop (): Promise<void> {
    this.stopped.abort()
    await this.loop
    await this.reader?.close()
  }
}

/** Records on every partition of the given topics (high watermarks; no transactions, so offsets count records). */
export async function topicRecords (admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const meta = await admin.metadata({ topics: [...topics] })
  const request = topics.map(name => ({ name, partitions: Array.from({ length: meta.topics.get(name)?.partitionsCount ?? 0 }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }))
  const listed = await admin.listOffsets({ topics: request })
  return new Map(listed.map(t => [t.name, t.partitions.reduce((sum, p) => sum + Number(p.offset), 0)]))
}

/** Lag of each consumer group: records on its topics past its committed offsets. */
export async function groupLag (admin: Admin, groups: ReadonlyArray<{ group: string, topics: string[] }>): Promise<Record<string, number>> {
  const all = [...new Set(groups.flatMap(g => g.topics))]
  const meta = await admin.metadata({ topics: all })
  const request = all.map(name => ({ name, partitions: Array.from({ length: meta.topics.get(name)?.partitionsCount ?? 0 }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }))
  const ends = new Map<string, number>()
  for (const t of await admin.listOffsets({ topics: request })) for (const p of t.partitions) ends.set(`${t.name}:${p.partitionIndex}`, Number(p.offset))
  const committed = await admin.listConsumerGroupOffsets({ groups: groups.map(g => g.group) })
  const out: Record<string, number> = {}
  for (const g of groups) {
    const at = new Map<string, number>()
    for (const t of committed.find(c => c.groupId === g.group)?.topics ?? []) for (const p of t.partitions) at.set(`${t.name}:${p.partitionIndex}`, Number(p.committedOffset))
    let lag = 0
    for (const topic of g.topics) {
      for (const [key, end] of ends) {
        if (!key.startsWith(`${topic}:`)) continue
        lag += Math.max(0, end - Math.max(0, at.get(key) ?? 0))
      }
    }
    out[g.group] = lag
  }
  return out
}

export interface LoopDelay { p99Ms: number, maxMs: number }

/**
 * The event loop figures prom-client keeps for a service, since its previous scrape (each scrape
 * resets them). monitorEventLoopDelay samples every `resolutionMs`, and each sample includes that
 * interval, so it is taken off: what is left is how late the loop ran.
 */
export function parseLoopDelay (metrics: string, service: string, resolutionMs: number): LoopDelay | undefined {
  // One name across services: the `service` label says whose figures these are.
  const label = `service="${service.replace(/[^a-zA-Z0-9_-]/g, '')}"`
  const read = (name: string): number | undefined => {
    const m = new RegExp(`^vitrine_nodejs_eventloop_lag_${name}_seconds\\{[^}]*${label}[^}]*\\} ([0-9.eE+-]+)$`, 'm').exec(metrics)
    return m ? Number(m[1]) : undefined
  }
  const p99 = read('p99')
  const max = read('max')
  if (p99 === undefined || max === undefined) return undefined
  const excess = (s: number): number => Math.max(0, Math.round((s * 1000 - resolutionMs) * 100) / 100)
  return { p99Ms: excess(p99), maxMs: excess(max) }
}

export async function scrapeLoopDelay (baseUrl: string, service: string, resolutionMs: number): Promise<LoopDelay | undefined> {
  try {
    const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })
    return parseLoopDelay(await res.text(), service, resolutionMs)
  } catch {
    return undefined
  }
}
