import { performance } from 'node:perf_hooks'
import os from 'node:os'
import type { Admin } from '@platformatic/kafka'
import autocannon from 'autocannon'
import { TOPICS } from '@vitrine/contracts'
import { sleep } from '@vitrine/service-kit/time'
import type { BenchSaga } from './saga.ts'
import type { HttpClient, LoopDelay, OrderKind, OrderLoad, OutcomeReader, PlacedOrder } from './load.ts'
import { groupLag, orderBody, scrapeLoopDelay, topicRecords } from './load.ts'
import type { CpuUse, ResourceMonitor } from './procs.ts'
import { cpuBetween } from './procs.ts'
import type { Percentiles } from './stats.ts'
import { percentiles, round } from './stats.ts'

// M2 to M4 on the running saga. M2 looks for the highest order rate the shop sustains: it offers a
// rate for a warm-up and a measuring window, and the rate counts as sustained only if orders finish
// as fast as they arrive and neither the backlog of unfinished orders nor the consumers' lag grows.

export type SagaMode = 'choreography' | 'orchestration'

/** prom-client samples the event loop every 10 ms (service-kit's metrics.ts). */
export const LOOP_RESOLUTION_MS = 10

export interface SearchSettings { warmupS: number, windowS: number, maxSteps: number, calibrationOrders: number }

export interface StepResult {
  targetPerSec: number
  windowS: number
  acceptedPerSec: number
  finishedPerSec: number
  /** Unfinished orders gained over the window (mean of its last third minus its first third). */
  backlogGrowth: number
  /** Consumer lag gained over the window, in records, summed over the saga's groups. */
  lagGrowth: number
  errors: number
  dropped: number
  sustained: boolean
  why: string | null
  eventLoop: Record<string, LoopDelay>
  cpu: CpuUse
  /** CPU time of the shop's processes (broker, database, registry, services) per order finished in the window. */
  cpuMsPerOrder: CpuPerOrder
}

/** Milliseconds of CPU per order: all of the shop's processes together, and each of them. */
export interface CpuPerOrder { total: number, byProcess: Record<string, number> }

export interface SagaThroughput {
  mode: SagaMode
  available: true
  /** M2: orders finished per second at the highest sustained rate. */
  ordersPerSec: number
  sustained: boolean
  calibrationPerSec: number
  /** Kafka records written per order, counted on this run's topics. */
  k: number
  recordsPerOrder: Record<string, number>
  ordersCounted: number
  /** What Kafka alone would allow: the producer ceiling divided by k. */
  kafkaBoundOrdersPerSec: number
  ratio: number
  steps: StepResult[]
  best: StepResult
  /** How many instances of each service ran (the scale-out check runs M2 with 2). */
  instances: number
}

export interface Unavailable { mode: SagaMode, available: false, reason: string }

export interface LatencyFigures {
  mode: SagaMode
  available: true
  ratePerSec: number
  orders: number
  mix: { failPayment: number, outOfStock: number }
  /** From the 202 answer to the outcome readable in Kafka, every path. */
  all: Percentiles
  confirmed: Percentiles
  compensated: Percentiles
  byKind: Record<OrderKind, Percentiles>
  /** From sending POST /orders to its 202. */
  acceptMs: Percentiles
  unexpectedOutcomes: number
  unfinished: number
  /** CPU while the orders were sent: on a shared machine, `otherCores` says how much others took. */
  cpu: CpuUse
}

export interface HttpRun { requestsPerSec: number, requests: number, non2xx: number, errors: number, latencyP50Ms: number, latencyP99Ms: number, durationS: number, cpu: CpuUse }

/**
 * M4. `frontDoor`: checkout-api alone answering, the other services paused (what a burst meets:
 * Kafka holds the orders until the saga catches up); it gives the ratio. `withSaga`: the same with
 * every service running, all sharing this machine's cores with the work the orders cause.
 */
export interface HttpFigures { connections: number, frontDoor: HttpRun, withSaga: HttpRun, ratio: number, withSagaRatio: number }

export interface SagaContext {
  saga: BenchSaga
  admin: Admin
  http: HttpClient
  load: OrderLoad
  reader: OutcomeReader
  monitor: ResourceMonitor
  log: (line: string) => void
  /** Which watched processes are the shop (their CPU is counted per order); the rest ran beside it. */
  shop: (name: string) => boolean
}

/** CPU ms per order over a window: the cores each shop process kept busy × 1000 ÷ orders finished per second. */
export function cpuPerOrder (cpu: CpuUse, finishedPerSec: number, shop: (name: string) => boolean): CpuPerOrder {
  const byProcess: Record<string, number> = {}
  let total = 0
  for (const [name, cores] of Object.entries(cpu.cores)) {
    if (!shop(name)) continue
    const ms = finishedPerSec > 0 ? (cores * 1000) / finishedPerSec : 0
    byProcess[name] = round(ms, 2)
    total += ms
  }
  return { total: round(total, 2), byProcess }
}

/** Waits until every accepted order has an outcome in Kafka; returns how many still have none. */
export async function drain (c: SagaContext, orders: readonly PlacedOrder[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (c.load.inFlight === 0 && c.reader.finished(orders) === orders.length) return 0
    await sleep(100)
  }
  return orders.length - c.reader.finished(orders)
}

function allTopics (c: SagaContext): string[] {
  return TOPICS.map(t => c.saga.env.prefix + t.name)
}

/** Waits until the consumers have nothing left to read and no topic grows; returns the records per topic then. */
export async function settle (c: SagaContext, timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs
  let previous = await topicRecords(c.admin, allTopics(c))
  while (Date.now() < deadline) {
    await sleep(1000)
    const now = await topicRecords(c.admin, allTopics(c))
    const lag = Object.values(await groupLag(c.admin, c.saga.groups())).reduce((a, b) => a + b, 0)
    const still = [...now].every(([t, n]) => previous.get(t) === n)
    if (lag === 0 && still) return now
    previous = now
  }
  c.log('aviso: o Kafka não ficou parado a tempo; a contagem de registros por pedido pode incluir trabalho em andamento')
  return previous
}

function mean (xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length
}

/** Mean of the last third of the samples minus the mean of the first third: growth that survives noise. */
export function growth (samples: readonly number[]): number {
  const third = Math.max(1, Math.floor(samples.length / 3))
  return mean(samples.slice(-third)) - mean(samples.slice(0, third))
}

async function loopDelays (c: SagaContext): Promise<Record<string, LoopDelay>> {
  const out: Record<string, LoopDelay> = {}
  await Promise.all([...c.saga.services.values()].map(async s => {
    const d = await scrapeLoopDelay(s.url, s.name, LOOP_RESOLUTION_MS)
    if (d) out[s.name] = d
  }))
  return out
}

export interface Verdict { sustained: boolean, why: string | null }

/** Whether a step's figures show a rate the shop keeps up with. */
export function judgeStep (s: Omit<StepResult, 'sustained' | 'why' | 'eventLoop' | 'cpu' | 'cpuMsPerOrder'>, recordsPerOrder: number): Verdict {
  const expected = s.targetPerSec * s.windowS
  if (s.errors > 0) return { sustained: false, why: `${s.errors} pedido(s) recusado(s) ou com erro` }
  if (s.dropped > 0) return { sustained: false, why: `${s.dropped} pedido(s) não enviados: respostas demorando demais` }
  if (s.acceptedPerSec < 0.95 * s.targetPerSec) return { sustained: false, why: `aceitou ${round(s.acceptedPerSec, 1)}/s de ${round(s.targetPerSec, 1)}/s` }
  if (s.finishedPerSec < 0.95 * s.targetPerSec) return { sustained: false, why: `terminou ${round(s.finishedPerSec, 1)}/s de ${round(s.targetPerSec, 1)}/s` }
  if (s.backlogGrowth > Math.max(5, 0.05 * expected)) return { sustained: false, why: `pedidos inacabados cresceram ${Math.round(s.backlogGrowth)}` }
  // Offsets are committed once a second, so lag saw-tooths by up to a second of records.
  if (s.lagGrowth > Math.max(25, 0.5 * s.targetPerSec * recordsPerOrder)) return { sustained: false, why: `lag dos consumidores cresceu ${Math.round(s.lagGrowth)} registros` }
  return { sustained: true, why: null }
}

async function runStep (c: SagaContext, mode: SagaMode, rate: number, set: SearchSettings, recordsPerOrder: number): Promise<StepResult> {
  const placedBefore = c.load.placed.length
  const left = await drain(c, c.load.placed, 60_000)
  if (left > 0) c.log(`aviso: ${left} pedido(s) anteriores ainda sem desfecho`)
  const warmupMs = set.warmupS * 1000
  const totalMs = warmupMs + set.windowS * 1000
  let started = false
  let ended = false
  let startMark = { at: 0, accepted: 0, finished: 0 }
  let endMark = { at: 0, accepted: 0, finished: 0 }
  let cpu0 = c.monitor.cpuSnapshot()
  let cpu1 = cpu0
  const backlog: number[] = []
  const lags: number[] = []
  let sampler: NodeJS.Timeout | undefined
  let sampling: Promise<void> = Promise.resolve()
  let loopEnd: Promise<Record<string, LoopDelay>> = Promise.resolve({})
  const mark = (): { at: number, accepted: number, finished: number } => ({ at: performance.now(), accepted: c.load.placed.length, finished: c.reader.finished(c.load.placed.slice(placedBefore)) })
  const stats = await c.load.run({ phase: `m2-${mode}-${Math.round(rate)}`, rate, durationMs: totalMs, mode }, elapsed => {
    if (!started && elapsed >= warmupMs) {
      started = true
      startMark = mark()
      cpu0 = c.monitor.cpuSnapshot()
      // Scraping resets prom-client's event loop histogram: what the end scrape reads is this window.
      loopDelays(c).catch(() => {})
      sampler = setInterval(() => {
        const mine = c.load.placed.slice(placedBefore)
        backlog.push(mine.length - c.reader.finished(mine))
        sampling = sampling.then(async () => {
          lags.push(Object.values(await groupLag(c.admin, c.saga.groups())).reduce((a, b) => a + b, 0))
        }).catch(() => {})
      }, 500)
    }
    if (started && !ended && elapsed >= totalMs) {
      ended = true
      endMark = mark()
      cpu1 = c.monitor.cpuSnapshot()
      if (sampler) clearInterval(sampler)
      loopEnd = loopDelays(c)
    }
  })
  await sampling
  const windowS = Math.max(0.001, (endMark.at - startMark.at) / 1000)
  const figures = {
    targetPerSec: round(rate, 1),
    windowS: round(windowS, 2),
    acceptedPerSec: round((endMark.accepted - startMark.accepted) / windowS, 1),
    finishedPerSec: round((endMark.finished - startMark.finished) / windowS, 1),
    backlogGrowth: round(growth(backlog), 1),
    lagGrowth: round(growth(lags), 1),
    errors: stats.errors,
    dropped: stats.dropped
  }
  const verdict = judgeStep(figures, recordsPerOrder)
  if (stats.firstError) c.log(`primeiro erro: ${stats.firstError}`)
  const cpu = cpuBetween(cpu0, cpu1, os.cpus().length)
  return { ...figures, ...verdict, eventLoop: await loopEnd, cpu, cpuMsPerOrder: cpuPerOrder(cpu, figures.finishedPerSec, c.shop) }
}

/** A closed-loop burst: `count` orders, `concurrency` at a time; finished orders per second, a first guess of capacity. */
async function calibrate (c: SagaContext, mode: SagaMode, count: number): Promise<number> {
  const before = c.load.placed.length
  const started = performance.now()
  await c.load.burst(`m2-${mode}-calibration`, count, 32, mode)
  const mine = c.load.placed.slice(before)
  await drain(c, mine, 120_000)
  const last = Math.max(...mine.map(o => c.reader.outcomes.get(o.orderId)?.at ?? started))
  return mine.length / Math.max(0.001, (last - started) / 1000)
}

function recordsDelta (a: Map<string, number>, b: Map<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [topic, n] of b) {
    const d = n - (a.get(topic) ?? 0)
    if (d > 0) out[topic.slice(prefix.length)] = d
  }
  return out
}

/** M2 for one saga mode: calibrate, search for the highest sustained rate, count k. */
export async function measureThroughput (c: SagaContext, mode: SagaMode, set: SearchSettings, producerCeiling: number): Promise<SagaThroughput> {
  const r0 = await settle(c, 60_000)
  const o0 = c.load.placed.length
  const calibrationPerSec = await calibrate(c, mode, set.calibrationOrders)
  // A first k for the lag tolerance; the last notifications may still be on their way, k is counted again at the end.
  const r1 = await topicRecords(c.admin, allTopics(c))
  const firstK = Object.values(recordsDelta(r0, r1, c.saga.env.prefix)).reduce((a, b) => a + b, 0) / Math.max(1, c.load.placed.length - o0)
  c.log(`calibração: ${round(calibrationPerSec, 1)} pedidos/s em rajada; cerca de ${round(firstK, 1)} registros por pedido`)

  const steps: StepResult[] = []
  let good: StepResult | undefined
  let bad: StepResult | undefined
  let rate = Math.max(5, 0.7 * calibrationPerSec)
  for (let i = 0; i < set.maxSteps; i++) {
    const step = await runStep(c, mode, rate, set, firstK)
    steps.push(step)
    c.log(`${round(rate, 1)} pedidos/s oferecidos → ${step.finishedPerSec}/s terminados: ${step.sustained ? 'sustentado' : `não sustentado (${step.why})`}`)
    // The highest rate sustained and the lowest not: the answer lies between them.
    if (step.sustained) {
      if (!good || step.targetPerSec > good.targetPerSec) good = step
    } else if (!bad || step.targetPerSec < bad.targetPerSec) bad = step
    if (good && bad) {
      // Within 10 %, or the machine's noise made a lower rate fail after a higher one held.
      if (bad.targetPerSec / good.targetPerSec < 1.1) break
      rate = (good.targetPerSec + bad.targetPerSec) / 2
    } else {
      rate = good ? rate * 1.3 : rate * 0.6
    }
  }
  const best = good ?? [...steps].sort((a, b) => b.finishedPerSec - a.finishedPerSec)[0]!
  // Orders left over from the warm-up can finish inside the window and lift its count above the
  // rate offered; a sustained rate is never more than what was offered.
  const ordersPerSec = good ? Math.min(good.targetPerSec, good.finishedPerSec) : best.finishedPerSec
  const left = await drain(c, c.load.placed, 120_000)
  if (left > 0) c.log(`aviso: ${left} pedido(s) sem desfecho depois da busca`)
  const r2 = await settle(c, 60_000)
  const perTopic = recordsDelta(r0, r2, c.saga.env.prefix)
  const orders = c.load.placed.length - o0
  const total = Object.values(perTopic).reduce((a, b) => a + b, 0)
  const k = total / Math.max(1, orders)
  const kafkaBound = producerCeiling / k
  return {
    mode,
    available: true,
    ordersPerSec,
    sustained: good !== undefined,
    calibrationPerSec: round(calibrationPerSec, 1),
    k: round(k, 3),
    recordsPerOrder: Object.fromEntries(Object.entries(perTopic).map(([t, n]) => [t, round(n / Math.max(1, orders), 3)])),
    ordersCounted: orders,
    kafkaBoundOrdersPerSec: round(kafkaBound, 1),
    ratio: round(ordersPerSec / kafkaBound, 4),
    steps,
    best,
    instances: c.saga.instances
  }
}

const EXPECTED: Record<OrderKind, 'confirmed' | 'failed'> = { ok: 'confirmed', 'fail-payment': 'failed', 'out-of-stock': 'failed' }

/** M3: latency at half of M2's rate, with a share of orders on each compensation path. */
export async function measureLatency (c: SagaContext, mode: SagaMode, rate: number, durationS: number, mix: { failPayment: number, outOfStock: number }): Promise<LatencyFigures> {
  await drain(c, c.load.placed, 60_000)
  const before = c.load.placed.length
  const cpu0 = c.monitor.cpuSnapshot()
  await c.load.run({ phase: `m3-${mode}`, rate, durationMs: durationS * 1000, mode, mix })
  const cpu = cpuBetween(cpu0, c.monitor.cpuSnapshot(), os.cpus().length)
  const mine = c.load.placed.slice(before)
  const unfinished = await drain(c, mine, 60_000)
  const lat: Record<OrderKind, number[]> = { ok: [], 'fail-payment': [], 'out-of-stock': [] }
  let unexpected = 0
  for (const o of mine) {
    const out = c.reader.outcomes.get(o.orderId)
    if (!out) continue
    if (out.outcome !== EXPECTED[o.kind]) unexpected++
    // The outcome can reach Kafka before the 202 reaches us; that counts as no wait at all.
    lat[o.kind].push(Math.max(0, out.at - o.acceptedAt))
  }
  const all = [...lat.ok, ...lat['fail-payment'], ...lat['out-of-stock']]
  return {
    mode,
    available: true,
    ratePerSec: round(rate, 1),
    orders: mine.length,
    mix,
    all: percentiles(all),
    confirmed: percentiles(lat.ok),
    compensated: percentiles([...lat['fail-payment'], ...lat['out-of-stock']]),
    byKind: { ok: percentiles(lat.ok), 'fail-payment': percentiles(lat['fail-payment']), 'out-of-stock': percentiles(lat['out-of-stock']) },
    acceptMs: percentiles(mine.map(o => o.acceptedAt - o.sentAt)),
    unexpectedOutcomes: unexpected,
    unfinished,
    cpu
  }
}

async function postOrders (c: SagaContext, connections: number, durationS: number, products: string[]): Promise<HttpRun> {
  const cpu0 = c.monitor.cpuSnapshot()
  const r = await autocannon({
    url: `${c.saga.url('checkout-api')}/orders`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(orderBody('ok', 0, { products, outOfStock: products[0]! })),
    connections,
    duration: durationS,
    timeout: 30
  })
  const cpu = cpuBetween(cpu0, c.monitor.cpuSnapshot(), os.cpus().length)
  return {
    requestsPerSec: round(r['2xx'] / Math.max(0.001, r.duration), 1),
    requests: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    durationS: round(r.duration, 2),
    cpu
  }
}

/** M4: how many POST /orders checkout-api answers per second, autocannon keeping `connections` busy. */
export async function measureHttp (c: SagaContext, connections: number, durationS: number, products: string[], sagaOrdersPerSec: number): Promise<HttpFigures> {
  const withSaga = await postOrders(c, connections, durationS, products)
  const others = [...c.saga.services.keys()].filter(n => n !== 'checkout-api')
  c.saga.signal(others, 'SIGSTOP')
  let frontDoor: HttpRun
  try {
    frontDoor = await postOrders(c, connections, durationS, products)
  } finally {
    c.saga.signal(others, 'SIGCONT')
  }
  const per = (x: number): number => round(x / Math.max(0.001, sagaOrdersPerSec), 2)
  return { connections, frontDoor, withSaga, ratio: per(frontDoor.requestsPerSec), withSagaRatio: per(withSaga.requestsPerSec) }
}
