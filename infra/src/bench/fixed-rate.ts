import os from 'node:os'
import { pathToFileURL } from 'node:url'
import { bootstrapServers, loadSettings } from '../settings.ts'
import { createAdmin } from '../topics.ts'
import { HttpClient, OrderLoad, OutcomeReader } from './load.ts'
import { ResourceMonitor, clockTicks } from './procs.ts'
import { drain } from './phases.ts'
import type { SagaContext, SagaMode } from './phases.ts'
import { BenchSaga } from './saga.ts'
import type { SagaService } from './saga.ts'
import { SERVICE_ENV, createProducts, watchStack } from './run.ts'

// CPU per order at a FIXED rate, per service: for comparing two versions of the code on a shared
// machine, where make bench's M2 rate (and so its CPU per order) moves with what others run. The
// same orders each time (M3's mix), the services' own CPU time from /proc between the first order
// and the last outcome, divided by the orders; the broker and the database are left out (shared
// with other people's tests; STACK=1 counts them too, on a machine nobody else uses). Not a figure of
// make bench; an engineer's A/B tool:
//
//   [STACK=1] node --import tsx infra/src/bench/fixed-rate.ts [orders/s=20] [seconds=15] ['{"PRODUCER_LINGER_MS":1}']

export interface FixedRateRun {
  mode: SagaMode
  rate: number
  orders: number
  unfinished: number
  servicesCpuMsPerOrder: number
  byService: Record<string, number>
  latencyMs: { p50: number, p95: number, p99: number }
  loadAverage: number
}

function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN)
}

export async function fixedRate (rate: number, seconds: number, env: Record<string, string | number>): Promise<FixedRateRun[]> {
  const s = loadSettings()
  const brokers = process.env.KAFKA_BROKERS ?? bootstrapServers(s)
  const admin = createAdmin(brokers, 'vitrine-bench-fixed')
  const saga = BenchSaga.create(s)
  const monitor = new ResourceMonitor()
  const names: SagaService[] = ['inventory', 'payment', 'notification', 'orchestrator', 'checkout-api']
  const runs: FixedRateRun[] = []
  const mix = { failPayment: 0.1, outOfStock: 0.1 }
  try {
    await saga.createTopics()
    await saga.start(names, { env: { ...SERVICE_ENV, ...env } }, [])
    for (const svc of saga.services.values()) monitor.watch({ name: svc.name, pid: svc.pid })
    if (process.env.STACK === '1') watchStack(monitor, s, true)
    const reader = new OutcomeReader(brokers, saga.env.prefix)
    await reader.start()
    const http = new HttpClient(saga.url('checkout-api'))
    const load = new OrderLoad(http, await createProducts(saga.url('inventory'), saga.url('checkout-api'), saga.env.prefix, 32, 1_000_000))
    const c = { saga, admin, http, load, reader, monitor, log: console.log, shop: () => true } satisfies SagaContext
    try {
      for (const mode of ['choreography', 'orchestration'] as SagaMode[]) {
        await load.run({ phase: `warm-${mode}`, rate, durationMs: 3000, mode, mix })
        await drain(c, load.placed, 60_000)
        const before = load.placed.length
        const cpu0 = monitor.cpuSnapshot()
        await load.run({ phase: mode, rate, durationMs: seconds * 1000, mode, mix })
        const mine = load.placed.slice(before)
        const unfinished = await drain(c, mine, 120_000)
        const cpu1 = monitor.cpuSnapshot()
        const byService: Record<string, number> = {}
        let total = 0
        for (const [name, end] of cpu1.ticks) {
          const ms = ((end - (cpu0.ticks.get(name) ?? end)) / clockTicks()) * 1000 / Math.max(1, mine.length)
          byService[name] = Math.round(ms * 100) / 100
          total += ms
        }
        const lat = mine.flatMap(o => { const out = reader.outcomes.get(o.orderId); return out ? [out.at - o.acceptedAt] : [] })
        runs.push({ mode, rate, orders: mine.length, unfinished, servicesCpuMsPerOrder: Math.round(total * 100) / 100, byService, latencyMs: { p50: percentile(lat, 0.5), p95: percentile(lat, 0.95), p99: percentile(lat, 0.99) }, loadAverage: os.loadavg()[0]! })
        console.log(JSON.stringify(runs.at(-1)))
      }
    } finally {
      await reader.stop()
      http.close()
    }
  } finally {
    await saga.stop()
    await saga.cleanup(admin)
    await admin.close()
  }
  return runs
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  fixedRate(Number(process.argv[2] ?? 20), Number(process.argv[3] ?? 15), JSON.parse(process.argv[4] ?? '{}') as Record<string, string | number>).then(() => process.exit(0), err => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(1)
  })
}
