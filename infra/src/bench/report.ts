import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { KafkaCeiling } from './kafka-ceiling.ts'
import type { MachineFacts } from './machine.ts'
import type { LoopDelay } from './load.ts'
import type { HttpFigures, LatencyFigures, SagaThroughput, Unavailable } from './phases.ts'
import type { MemoryPeak } from './procs.ts'
import type { WorkerResult } from './client.ts'
import type { ProfileSummary } from './profile.ts'
import type { CounterThroughput } from './counter.ts'
import { formatKpi } from './kpi.ts'
import type { KpiJobFigures } from './kpi.ts'

// One run's figures: the JSON written under infra/bench-results/, the table on screen, the goals
// of issue 6 and the sanity check the smoke test applies (figures present and coherent, never fast).

export interface ClientRatio extends WorkerResult { ceilingPerSec: number, ratio: number }

export interface BenchResult {
  schemaVersion: 1
  mode: 'quick' | 'full'
  startedAt: string
  finishedAt: string
  durationS: number
  machine: MachineFacts
  settings: Record<string, unknown>
  m0: KafkaCeiling
  m1: { producer: ClientRatio, consumer: ClientRatio, rawConsumer: ClientRatio }
  m2: { choreography: SagaThroughput | Unavailable, orchestration: SagaThroughput | Unavailable }
  m3: { choreography: LatencyFigures | Unavailable, orchestration: LatencyFigures | Unavailable }
  /** M3 at a fixed low rate (10 orders/s): latency without queueing. Runs before issue 12 lack it. */
  m3Low?: { choreography: LatencyFigures | Unavailable, orchestration: LatencyFigures | Unavailable }
  /** M2 (choreography) with 1 and with 2 instances of each service, same groups. */
  scaleOut?: { one: SagaThroughput | Unavailable, two: SagaThroughput | Unavailable }
  /** Components of our stack that ran beside the shop during the run (their CPU is not the shop's). */
  beside?: string[]
  m4: HttpFigures
  /** Event loop delay of each service under the load of M2 (choreography), from the best step. */
  m5: Record<string, LoopDelay>
  /** The sales-counter's exactly-once ÷ at-least-once throughput (runs before issue 14 lack it). */
  m9?: CounterThroughput
  /** The Flink SQL job order_kpis: throughput and order → KPI delay (runs before issue 15 lack it). */
  m10?: KpiJobFigures
  /** Peak resident memory of each process (tree) during the run. */
  memory: Record<string, MemoryPeak>
  /** The gateway team's browser benchmark (full runs only), its figures as it reports them. */
  browser: { available: true, source: string, figures: unknown } | { available: false, reason: string }
  profiles?: Record<string, ProfileSummary>
  goals: Goal[]
  cleanupProblems: string[]
}

export interface Goal { id: string, what: string, figure: number | null, target: string, met: boolean | null }

export function evaluateGoals (r: Omit<BenchResult, 'goals'>): Goal[] {
  const goals: Goal[] = [
    { id: 'M1', what: 'EventProducer ÷ ProducerPerformance', figure: r.m1.producer.ratio, target: '≥ 0,5', met: r.m1.producer.ratio >= 0.5 },
    { id: 'M1', what: 'ConsumerEngine ÷ ConsumerPerformance', figure: r.m1.consumer.ratio, target: '≥ 0,5', met: r.m1.consumer.ratio >= 0.5 }
  ]
  for (const mode of ['choreography', 'orchestration'] as const) {
    const t = r.m2[mode]
    goals.push({ id: 'M2', what: `${mode}: pedidos/s ÷ (teto do produtor ÷ k)`, figure: t.available ? t.ratio : null, target: '≥ 0,25', met: t.available ? t.ratio >= 0.25 : null })
  }
  for (const mode of ['choreography', 'orchestration'] as const) {
    const l = r.m3[mode]
    goals.push({ id: 'M3', what: `${mode}: p99 do 202 ao desfecho (ms)`, figure: l.available ? l.all.p99 : null, target: '≤ 100 ms', met: l.available ? l.all.p99 <= 100 : null })
  }
  goals.push({ id: 'M4', what: 'POST /orders por segundo, só o checkout-api, ÷ M2 (coreografia)', figure: r.m4.ratio, target: '≥ 2', met: r.m4.ratio >= 2 })
  const worst = Object.entries(r.m5).sort((a, b) => b[1].p99Ms - a[1].p99Ms)[0]
  goals.push({ id: 'M5', what: `pior p99 do laço de eventos (ms)${worst ? `: ${worst[0]}` : ''}`, figure: worst ? worst[1].p99Ms : null, target: '≤ 10 ms', met: worst ? worst[1].p99Ms <= 10 : null })
  if (r.m9) goals.push({ id: 'M9', what: 'sales-counter: exactly-once ÷ at-least-once (registros/s)', figure: r.m9.available ? r.m9.ratio : null, target: '≥ 0,9', met: r.m9.available ? r.m9.ratio >= 0.9 : null })
  return goals
}

/** Every number in the result that is NaN or infinite, by its path. */
export function badNumbers (value: unknown, path = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [`${path || '(root)'} = ${value}`]
  if (Array.isArray(value)) return value.flatMap((v, i) => badNumbers(v, `${path}[${i}]`))
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => badNumbers(v, path ? `${path}.${k}` : k))
  return []
}

/**
 * What is missing or incoherent in a result: the smoke test's check. It asks that every figure be
 * there, finite and positive, ratios above zero and percentiles ordered; it never asks for speed.
 */
export function sanityProblems (r: BenchResult): string[] {
  const p: string[] = badNumbers(r)
  const positive = (what: string, n: number | undefined): void => { if (!(typeof n === 'number' && n > 0)) p.push(`${what} should be > 0, got ${n}`) }
  const ordered = (what: string, x: { p50: number, p95?: number, p99: number }): void => {
    const seq = [x.p50, x.p95 ?? x.p50, x.p99]
    if (seq.some(v => !(v >= 0)) || seq[0]! > seq[1]! || seq[1]! > seq[2]!) p.push(`${what}: expected 0 ≤ p50 ≤ p95 ≤ p99, got ${JSON.stringify(x)}`)
  }
  positive('m0.producer.recordsPerSec', r.m0.producer.recordsPerSec)
  positive('m0.consumer.fetchRecordsPerSec', r.m0.consumer.fetchRecordsPerSec)
  ordered('m0.endToEnd', { p50: r.m0.endToEnd.p50Ms, p99: r.m0.endToEnd.p99Ms })
  for (const k of ['producer', 'consumer', 'rawConsumer'] as const) {
    positive(`m1.${k}.recordsPerSec`, r.m1[k].recordsPerSec)
    positive(`m1.${k}.ratio`, r.m1[k].ratio)
  }
  for (const mode of ['choreography', 'orchestration'] as const) {
    const t = r.m2[mode]
    if (!t.available) {
      if (mode === 'choreography') p.push('m2.choreography is not available')
      else if (!t.reason) p.push('m2.orchestration is unavailable without a reason')
      continue
    }
    positive(`m2.${mode}.ordersPerSec`, t.ordersPerSec)
    positive(`m2.${mode}.k`, t.k)
    positive(`m2.${mode}.ratio`, t.ratio)
    if (t.steps.length === 0) p.push(`m2.${mode} has no steps`)
  }
  for (const mode of ['choreography', 'orchestration'] as const) {
    const l = r.m3[mode]
    if (!l.available) {
      if (mode === 'choreography') p.push('m3.choreography is not available')
      continue
    }
    positive(`m3.${mode}.ratePerSec`, l.ratePerSec)
    positive(`m3.${mode}.all.count`, l.all.count)
    ordered(`m3.${mode}.all`, l.all)
    for (const [kind, q] of Object.entries(l.byKind)) {
      positive(`m3.${mode}.byKind.${kind}.count`, q.count)
      ordered(`m3.${mode}.byKind.${kind}`, q)
    }
  }
  positive('m4.frontDoor.requestsPerSec', r.m4.frontDoor.requestsPerSec)
  positive('m4.withSaga.requestsPerSec', r.m4.withSaga.requestsPerSec)
  positive('m4.ratio', r.m4.ratio)
  positive('m4.withSagaRatio', r.m4.withSagaRatio)
  for (const s of ['checkout-api', 'payment', 'inventory', 'notification']) {
    const d = r.m5[s]
    if (!d) p.push(`m5.${s} is missing`)
    else if (!(d.p99Ms >= 0 && d.maxMs >= d.p99Ms)) p.push(`m5.${s}: expected 0 ≤ p99 ≤ max, got ${JSON.stringify(d)}`)
  }
  for (const name of ['kafka-1', 'postgres', 'checkout-api', 'payment', 'inventory', 'notification']) positive(`memory.${name}.peakRssMb`, r.memory[name]?.peakRssMb)
  if (r.m10?.available) {
    positive('m10.backlog.eventsPerSec', r.m10.backlog.eventsPerSec)
    ordered('m10.delay.orderToKpiMs', r.m10.delay.orderToKpiMs)
    ordered('m10.delay.afterWindowEndMs', r.m10.delay.afterWindowEndMs)
  }
  return p
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('pt-BR', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const mark = (met: boolean | null): string => (met === null ? '–' : met ? '✔' : '✘')
const ms = (n: number): string => `${fmt(n, n < 10 ? 1 : 0)} ms`
const MODE: Record<string, string> = { choreography: 'coreografia', orchestration: 'orquestração' }

/** The run as a table for the terminal, in pt-BR like every message the learner reads. */
export function formatTable (r: BenchResult, file?: string): string {
  const m = r.machine
  const out: string[] = []
  const goal = (id: string, i = 0): Goal | undefined => r.goals.filter(g => g.id === id)[i]
  out.push(`Vitrine · make bench${r.mode === 'quick' ? ' --quick' : ''} · ${r.startedAt} · ${fmt(r.durationS)} s`)
  out.push(`Máquina: ${m.hostname}, ${m.cores} núcleos, ${fmt(m.memoryGb, 1)} GiB, ${m.cpuModel}; Node ${m.node}, Java ${m.java}, Kafka ${m.kafka}, PostgreSQL ${m.postgres}, ${m.brokers} broker(s); carga média no início ${fmt(m.loadAverageStart, 2)}`)
  out.push('')
  out.push(`M0 Teto do Kafka (ferramentas do próprio Kafka, ${r.m0.recordSize} B, acks=all, idempotência, linger.ms=${r.m0.lingerMs}, ${r.m0.partitions} partições)`)
  out.push(`   produtor       ${fmt(r.m0.producer.recordsPerSec).padStart(9)} registros/s`)
  out.push(`   consumidor     ${fmt(r.m0.consumer.fetchRecordsPerSec).padStart(9)} registros/s`)
  out.push(`   ponta a ponta  p50 ${r.m0.endToEnd.p50Ms === 0 ? '< 1 ms' : ms(r.m0.endToEnd.p50Ms)} · p99 ${ms(r.m0.endToEnd.p99Ms)}`)
  out.push('M1 Nossos clientes ÷ teto (meta ≥ 0,5)')
  out.push(`   EventProducer  ${fmt(r.m1.producer.recordsPerSec).padStart(9)} registros/s  ${fmt(r.m1.producer.ratio, 2)} ${mark(goal('M1', 0)?.met ?? null)}`)
  out.push(`   ConsumerEngine ${fmt(r.m1.consumer.recordsPerSec).padStart(9)} registros/s  ${fmt(r.m1.consumer.ratio, 2)} ${mark(goal('M1', 1)?.met ?? null)}   (node-rdkafka sem o engine: ${fmt(r.m1.rawConsumer.recordsPerSec)}/s = ${fmt(r.m1.rawConsumer.ratio, 2)})`)
  out.push('M2 Saga: maior taxa sustentada, pagamento sem atraso e sem falhas (meta: razão ≥ 0,25)')
  for (const mode of ['choreography', 'orchestration'] as const) {
    const t = r.m2[mode]
    if (!t.available) {
      out.push(`   ${MODE[mode]!.padEnd(13)} não disponível: ${t.reason.split('\n')[0]}`)
      continue
    }
    out.push(`   ${MODE[mode]!.padEnd(13)} ${fmt(t.ordersPerSec, 1)} pedidos/s${t.sustained ? '' : ' (nenhuma taxa sustentada; a melhor medida)'} · k = ${fmt(t.k, 2)} registros/pedido · teto ÷ k = ${fmt(t.kafkaBoundOrdersPerSec)} pedidos/s · razão ${fmt(t.ratio, 4)} ${mark(t.ratio >= 0.25)}`)
    out.push(`   ${''.padEnd(13)} CPU por pedido (processos da loja, no degrau do M2): ${cpuLine(t)}`)
  }
  if (r.scaleOut) {
    const [one, two] = [r.scaleOut.one, r.scaleOut.two]
    const fig = (t: SagaThroughput | Unavailable): string => {
      if (!t.available) return `não disponível: ${t.reason.split('\n')[0]}`
      return t.ordersPerSec > 0 ? `${fmt(t.ordersPerSec, 1)} pedidos/s, ${fmt(t.best.cpuMsPerOrder.total, 1)} ms de CPU por pedido` : 'nenhum pedido terminou nos degraus'
    }
    out.push(`   escala (coreografia, mesmos grupos): 1 instância de cada serviço ${fig(one)} · 2 instâncias ${fig(two)}${r.machine.cores <= 2 ? ' (com 2 núcleos, mostra o custo de mais processos, não um ganho)' : ''}`)
  }
  const l0 = r.m3.choreography
  out.push(`M3 Latência do 202 ao desfecho no Kafka, a metade da taxa do M2${l0.available ? `, ${fmt(l0.mix.failPayment * 100)}% pagamento recusado, ${fmt(l0.mix.outOfStock * 100)}% sem estoque` : ''} (meta p99 ≤ 100 ms)`)
  for (const mode of ['choreography', 'orchestration'] as const) {
    const l = r.m3[mode]
    if (!l.available) {
      out.push(`   ${MODE[mode]!.padEnd(13)} não disponível: ${l.reason.split('\n')[0]}`)
      continue
    }
    out.push(`   ${MODE[mode]!.padEnd(13)} p50 ${ms(l.all.p50)} · p95 ${ms(l.all.p95)} · p99 ${ms(l.all.p99)} ${mark(l.all.p99 <= 100)}  (${fmt(l.ratePerSec, 1)} pedidos/s, ${l.orders} pedidos; confirmados p99 ${ms(l.confirmed.p99)}, compensados p99 ${ms(l.compensated.p99)}; outros processos ${fmt(l.cpu.otherCores, 2)} núcleo)`)
  }
  if (r.m3Low) {
    out.push(`M3 a ${fmt(LOW_RATE_PER_SEC, 0)} pedidos/s, sem fila (a latência de cada salto, sem esperar outros pedidos)`)
    for (const mode of ['choreography', 'orchestration'] as const) {
      const l = r.m3Low[mode]
      if (!l.available) out.push(`   ${MODE[mode]!.padEnd(13)} não disponível: ${l.reason.split('\n')[0]}`)
      else out.push(`   ${MODE[mode]!.padEnd(13)} p50 ${ms(l.all.p50)} · p95 ${ms(l.all.p95)} · p99 ${ms(l.all.p99)}  (${l.orders} pedidos; outros processos ${fmt(l.cpu.otherCores, 2)} núcleo)`)
    }
  }
  const h = r.m4
  const errs = (x: typeof h.frontDoor): string => (x.non2xx + x.errors > 0 ? ` (${x.non2xx} não-2xx, ${x.errors} erros)` : '')
  out.push(`M4 HTTP POST /orders (autocannon, ${h.connections} conexões, ${fmt(h.frontDoor.durationS, 1)} s) ÷ M2 (meta ≥ 2)`)
  out.push(`   só o checkout-api (os outros serviços pausados): ${fmt(h.frontDoor.requestsPerSec, 1)} req/s · p50 ${ms(h.frontDoor.latencyP50Ms)} · p99 ${ms(h.frontDoor.latencyP99Ms)} · razão ${fmt(h.ratio, 2)} ${mark(h.ratio >= 2)}${errs(h.frontDoor)}`)
  out.push(`   com a saga rodando junto: ${fmt(h.withSaga.requestsPerSec, 1)} req/s · p50 ${ms(h.withSaga.latencyP50Ms)} · p99 ${ms(h.withSaga.latencyP99Ms)} · razão ${fmt(h.withSagaRatio, 2)}${errs(h.withSaga)} · máquina ${fmt(h.withSaga.cpu.machineBusyShare * 100)}% ocupada`)
  out.push('M5 Atraso do laço de eventos sob a carga do M2, além da amostragem de 10 ms (meta p99 ≤ 10 ms)')
  out.push(`   ${Object.entries(r.m5).map(([s, d]) => `${s} p99 ${ms(d.p99Ms)} máx ${ms(d.maxMs)} ${mark(d.p99Ms <= 10)}`).join(' · ')}`)
  if (r.m9?.available) {
    const m = r.m9
    out.push(`M9 sales-counter: exactly-once ÷ at-least-once, ${fmt(m.records)} registros, lotes de até ${m.batchMax}, commit a cada ${m.commitIntervalMs} ms (meta ≥ 0,9)`)
    out.push(`   at-least-once ${fmt(m.atLeastOnce.recordsPerSec)} registros/s · exactly-once ${fmt(m.exactlyOnce.recordsPerSec)} registros/s · razão ${fmt(m.ratio, 2)} ${mark(m.ratio >= 0.9)}`)
  } else if (r.m9) out.push(`M9 sales-counter: não medido: ${r.m9.reason}`)
  if (r.m10) out.push(...formatKpi(r.m10))
  const best = r.m2.choreography.available ? r.m2.choreography.best : undefined
  if (best) {
    const cores = Object.entries(best.cpu.cores).sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${fmt(c, 2)}`).join(' · ')
    out.push(`CPU sob a carga do M2 (núcleos em uso): ${cores} · outros processos ${fmt(best.cpu.otherCores, 2)} · máquina ${fmt(best.cpu.machineBusyShare * 100)}% ocupada`)
  }
  // For a tree of processes RSS counts shared memory once per process; PSS splits it between them.
  out.push(`Memória (pico de RSS): ${Object.entries(r.memory).map(([n, v]) => `${n} ${fmt(v.peakRssMb)} MB${v.processes > 2 ? ` (${v.processes} processos, PSS ${fmt(v.peakPssMb)} MB)` : ''}`).join(' · ')}`)
  if (r.beside) out.push(`Ao lado da loja durante a rodada: ${r.beside.length > 0 ? `${r.beside.join(', ')} (a CPU deles fica fora da CPU por pedido; meça com eles parados)` : 'nada (métricas e processamento de streams parados)'}`)
  if (r.browser.available) out.push(`Navegador (${r.browser.source}): ${formatBrowser(r.browser.figures)}`)
  else if (r.mode === 'full') out.push(`Navegador: não medido: ${r.browser.reason}`)
  if (r.cleanupProblems.length > 0) out.push(`Limpeza incompleta: ${r.cleanupProblems.join('; ')}`)
  const met = r.goals.filter(g => g.met === true).length
  const judged = r.goals.filter(g => g.met !== null).length
  out.push(`Metas atingidas: ${met} de ${judged}${file ? ` · resultado em ${file}` : ''}`)
  return out.join('\n')
}

/** M3 without queueing: a rate low enough that no hop waits behind another order. */
export const LOW_RATE_PER_SEC = 10

/** Total CPU ms per order of the best M2 step and its three largest parts. */
function cpuLine (t: SagaThroughput): string {
  const c = t.best.cpuMsPerOrder
  if (!c) return 'não medida'
  const parts = Object.entries(c.byProcess).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, v]) => `${n} ${fmt(v, 1)}`).join(', ')
  return `${fmt(c.total, 1)} ms (${parts})`
}

/** The browser benchmark's figures, whatever their shape: its numbers by name. */
export function formatBrowser (figures: unknown): string {
  const parts: string[] = []
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'number') parts.push(`${path} ${fmt(v, Number.isInteger(v) ? 0 : 2)}`)
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k)
    else if (typeof v === 'string') parts.push(`${path} ${v}`)
  }
  walk(figures, '')
  return parts.join(' · ')
}

export function resultFileName (r: BenchResult): string {
  return `${r.startedAt.replace(/[:.]/g, '-')}-${r.mode}.json`
}

/** Writes the run's JSON; a full run is also appended to history.jsonl (committed, so runs can be compared). */
export function writeResult (dir: string, r: BenchResult): { file: string, history: string | undefined } {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, resultFileName(r))
  writeFileSync(file, JSON.stringify(r, null, 2) + '\n')
  let history: string | undefined
  if (r.mode === 'full') {
    history = join(dir, 'history.jsonl')
    appendFileSync(history, JSON.stringify(r) + '\n')
  }
  return { file, history }
}
