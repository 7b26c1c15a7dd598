import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { BenchResult } from '../../../src/bench/report.ts'
import { badNumbers, evaluateGoals, formatBrowser, formatTable, sanityProblems, writeResult } from '../../../src/bench/report.ts'

// A real `--quick` result from the dev machine (see fixtures/), altered per test.
const sample = (): BenchResult => JSON.parse(readFileSync(new URL('./fixtures/quick-result.json', import.meta.url), 'utf8')) as BenchResult

test('a complete result has no sanity problems', () => {
  assert.deepEqual(sanityProblems(sample()), [])
})

test('the sanity check names what is missing, not finite, zero or out of order, and never asks for speed', () => {
  const r = sample()
  r.m1.consumer.ratio = 0
  r.m4.frontDoor.requestsPerSec = Number.NaN
  if (r.m3.choreography.available) r.m3.choreography.all.p95 = r.m3.choreography.all.p99 + 1
  Reflect.deleteProperty(r.m5, 'payment')
  Reflect.deleteProperty(r.memory, 'postgres')
  const problems = sanityProblems(r).join('\n')
  assert.match(problems, /m1\.consumer\.ratio should be > 0/)
  assert.match(problems, /m4\.frontDoor\.requestsPerSec = NaN/)
  assert.match(problems, /m3\.choreography\.all: expected 0 ≤ p50 ≤ p95 ≤ p99/)
  assert.match(problems, /m5\.payment is missing/)
  assert.match(problems, /memory\.postgres\.peakRssMb should be > 0/)
  const slow = sample()
  slow.m1.producer.recordsPerSec = 0.001
  slow.m1.producer.ratio = 0.00001
  assert.deepEqual(sanityProblems(slow), [], 'a slow figure is still a sane figure')
})

test('orchestration may be unavailable, with a reason', () => {
  const r = sample()
  r.m2.orchestration = { mode: 'orchestration', available: false, reason: 'services/orchestrator/src/server.ts não existe' }
  r.m3.orchestration = { mode: 'orchestration', available: false, reason: 'services/orchestrator/src/server.ts não existe' }
  assert.deepEqual(sanityProblems(r), [])
  const goals = evaluateGoals(r).filter(g => g.what.startsWith('orchestration'))
  assert.deepEqual(goals.map(g => g.met), [null, null])
  assert.match(formatTable({ ...r, goals: evaluateGoals(r) }), /orquestração +não disponível: services\/orchestrator/)
})

test('goals: each figure against the issue\'s target', () => {
  const r = sample()
  r.m1.producer.ratio = 0.5
  r.m4.ratio = 1.9
  const goals = evaluateGoals(r)
  assert.equal(goals.length, 8)
  assert.equal(goals.find(g => g.what.startsWith('EventProducer'))?.met, true)
  assert.equal(goals.find(g => g.id === 'M4')?.met, false)
  const m5 = goals.find(g => g.id === 'M5')!
  assert.equal(m5.figure, Math.max(...Object.values(r.m5).map(d => d.p99Ms)))
})

test('the table shows every measure, its ratio and the machine', () => {
  const table = formatTable(sample(), 'infra/bench-results/x.json')
  for (const line of ['M0 Teto do Kafka', 'M1 Nossos clientes', 'M2 Saga', 'M3 Latência', 'M4 HTTP', 'M5 Atraso do laço de eventos', 'Memória (pico de RSS)', 'CPU sob a carga do M2']) assert.ok(table.includes(line), line)
  assert.match(table, /Máquina: .*2 núcleos.*Kafka 4\.1\.1/)
  assert.match(table, /razão \d+,\d+/)
  assert.match(table, /Metas atingidas: \d de 8 · resultado em infra\/bench-results\/x\.json/)
})

test('issue 12\'s figures: CPU per order, M3 at 10 orders/s, M2 with 1 and 2 instances, what ran beside the shop', () => {
  const r = sample()
  const t = r.m2.choreography
  assert.ok(t.available)
  const withCpu = { ...t, best: { ...t.best, cpuMsPerOrder: { total: 14.8, byProcess: { postgres: 5.1, inventory: 2.4, 'checkout-api': 2.3, payment: 1.7 } } } }
  const l = r.m3.choreography
  assert.ok(l.available)
  const table = formatTable({ ...r, m2: { ...r.m2, choreography: withCpu }, m3Low: { choreography: { ...l, ratePerSec: 10 }, orchestration: { mode: 'orchestration', available: false, reason: 'sem orquestrador' } }, scaleOut: { one: withCpu, two: { ...withCpu, ordersPerSec: 80.5 } }, beside: ['prometheus', 'alertmanager'] })
  assert.match(table, /CPU por pedido \(processos da loja, no degrau do M2\): 14,8 ms \(postgres 5,1, inventory 2,4, checkout-api 2,3\)/)
  assert.match(table, /M3 a 10 pedidos\/s, sem fila/)
  assert.match(table, /1 instância de cada serviço .* · 2 instâncias 80,5 pedidos\/s/)
  assert.match(table, /Ao lado da loja durante a rodada: prometheus, alertmanager/)
  // A result from before issue 12 still prints.
  assert.match(formatTable(sample()), /CPU por pedido .*: não medida/)
})

test('the browser benchmark\'s figures are shown by name, whatever their shape', () => {
  assert.equal(formatBrowser({ page: 'fluxo', frames: { slowShare: 0.125, count: 1800 } }), 'page fluxo · frames.slowShare 0,13 · frames.count 1.800')
})

test('NaN and infinities are found anywhere in the result', () => {
  assert.deepEqual(badNumbers({ a: [1, { b: Infinity }], c: null, d: 'x' }), ['a[1].b = Infinity'])
})

test('every run writes its JSON; only a full run is added to the history', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-bench-report-'))
  try {
    const quick = writeResult(dir, sample())
    assert.equal(quick.history, undefined)
    const full = writeResult(dir, { ...sample(), mode: 'full', startedAt: '2026-01-01T00:00:00.000Z' })
    assert.ok(full.history)
    assert.deepEqual(readdirSync(dir).sort(), ['2026-01-01T00-00-00-000Z-full.json', 'history.jsonl', readdirSync(dir).find(f => f.endsWith('-quick.json'))!].sort())
    const lines = readFileSync(full.history, 'utf8').trim().split('\n')
    assert.equal(lines.length, 1)
    assert.equal((JSON.parse(lines[0]!) as BenchResult).mode, 'full')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('M10 (the Flink SQL job order_kpis): its throughput and delays in the table and the sanity check, or why it was not measured', () => {
  const r = sample()
  r.m10 = { available: true, job: 'order_kpis', partitions: 1, checkpointInterval: '10s', backlog: { orders: 98_000, windows: 49, seconds: 2.52, eventsPerSec: 38_904 }, delay: { ratePerSec: 20, orders: 2400, windows: 3, orderToKpiMs: { count: 2400, p50: 41_667, p95: 68_673, p99: 71_067, max: 71_659 }, afterWindowEndMs: { count: 3, p50: 11_705, p95: 11_708, p99: 11_708, max: 11_708 } } }
  assert.deepEqual(sanityProblems(r), [])
  const table = formatTable({ ...r, goals: evaluateGoals(r) })
  assert.match(table, /M10 job order_kpis \(Flink SQL, janelas de 1 min, checkpoint a cada 10s/)
  assert.match(table, /vazão sustentada 38\.904 pedidos\/s/)
  assert.match(table, /p50 41,7 s · p99 71,1 s/)
  assert.match(table, /do fim da janela ao KPI visível: p50 11,7 s/)
  if (r.m10.available) r.m10.delay.orderToKpiMs.p50 = 80_000
  assert.match(sanityProblems(r).join('\n'), /m10\.delay\.orderToKpiMs: expected 0 ≤ p50 ≤ p95 ≤ p99/)
  r.m10 = { available: false, reason: 'o Flink não está rodando' }
  assert.match(formatTable({ ...r, goals: evaluateGoals(r) }), /M10 job order_kpis \(Flink SQL\): não medido: o Flink não está rodando/)
})
