import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { topic as catalogTopic } from '@vitrine/contracts'
import { sleep } from '@vitrine/service-kit/time'
import { ROOT, bootstrapServers, loadSettings, registryUrl } from '../settings.ts'
import type { StackSettings } from '../settings.ts'
import { components } from '../stack.ts'
import { isAlive, readPid } from '../proc.ts'
import { createAdmin, effectiveSpec } from '../topics.ts'
import { info, step } from '../steps.ts'
import { RECORD_SIZE, measureKafkaCeiling } from './kafka-ceiling.ts'
import { measureClients } from './client.ts'
import { machineFacts } from './machine.ts'
import { HttpClient, OrderLoad, OutcomeReader } from './load.ts'
import type { Catalog } from './load.ts'
import { measureHttp, measureLatency, measureThroughput } from './phases.ts'
import type { LatencyFigures, SagaContext, SagaMode, SagaThroughput, SearchSettings, Unavailable } from './phases.ts'
import { ResourceMonitor } from './procs.ts'
import { formatProfile, mainThreadProfile, monotonicUs, summarizeProfileFile } from './profile.ts'
import type { ProfileSummary, Window } from './profile.ts'
import { LOW_RATE_PER_SEC, evaluateGoals, formatTable, writeResult } from './report.ts'
import type { BenchResult } from './report.ts'
import { BenchSaga, orchestratorPresent, serverFile } from './saga.ts'
import { counterThroughput } from './counter.ts'
import { measureKpiJob } from './kpi.ts'
import type { SagaService } from './saga.ts'

// `make bench`: in one run, Kafka's own ceiling (M0), our clients against it (M1), the saga's
// sustained throughput (M2), its latency (M3), the HTTP front door (M4), the services' event loops
// (M5) and every process's memory, each figure next to a ceiling measured in the same run, because
// this machine is shared and its speed changes from one minute to the next.

export interface BenchOptions {
  quick: boolean
  profile: boolean
  outDir: string
}

export const RESULTS_DIR = join(ROOT, 'infra', 'bench-results')

export function parseArgs (argv: readonly string[]): BenchOptions {
  const at = argv.indexOf('--out')
  return {
    quick: argv.includes('--quick'),
    profile: argv.includes('--profile'),
    outDir: at >= 0 && argv[at + 1] ? argv[at + 1]! : RESULTS_DIR
  }
}

interface Plan {
  ceilingRecords: number
  ceilingLatencyMessages: number
  clientRecords: number
  search: SearchSettings
  latencyS: number
  mix: { failPayment: number, outOfStock: number }
  httpConnections: number
  httpS: number
  products: number
  stock: number
}

export function plan (quick: boolean): Plan {
  return quick
    ? { ceilingRecords: 100_000, ceilingLatencyMessages: 500, clientRecords: 50_000, search: { warmupS: 1, windowS: 3, maxSteps: 2, calibrationOrders: 100 }, latencyS: 4, mix: { failPayment: 0.1, outOfStock: 0.1 }, httpConnections: 32, httpS: 3, products: 16, stock: 1_000_000 }
    : { ceilingRecords: 1_000_000, ceilingLatencyMessages: 5_000, clientRecords: 300_000, search: { warmupS: 3, windowS: 10, maxSteps: 7, calibrationOrders: 300 }, latencyS: 20, mix: { failPayment: 0.1, outOfStock: 0.1 }, httpConnections: 32, httpS: 10, products: 32, stock: 1_000_000 }
}

/** Components of our stack that are the shop (or what it needs); any other one running ran beside it. */
const SHOP_COMPONENTS = /^(kafka-\d+|postgres|registry|registry-backend)$/

/**
 * Has `monitor` watch the stack's running components (`shopOnly`: the shop's alone); returns the
 * names of those that are not the shop (what ran beside it).
 */
export function watchStack (monitor: ResourceMonitor, s: StackSettings, shopOnly = false): string[] {
  const beside: string[] = []
  for (const c of components(s)) {
    const pid = readPid(s.stateDir, c.name)
    if (pid === undefined || !isAlive(pid)) continue
    if (!SHOP_COMPONENTS.test(c.name)) {
      if (shopOnly) continue
      beside.push(c.name)
    }
    // The database runs under a small Node host; only PostgreSQL's own processes are the database.
    monitor.watch({ name: c.name, pid, ...(c.name === 'postgres' ? { comm: 'postgres' } : {}) })
  }
  return beside
}

// Payment decides at once and never declines at random: the saga's own cost, nothing simulated.
export const SERVICE_ENV = { PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 0, PAYMENT_FAILURE_RATE: 0, ORDER_DEADLINE_MS: 120_000, LOG_LEVEL: 'warn' }

export async function createProducts (inventoryUrl: string, checkoutUrl: string, prefix: string, count: number, stock: number): Promise<Catalog> {
  const post = async (id: string, units: number): Promise<string> => {
    const res = await fetch(`${inventoryUrl}/products`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, name: `Produto de benchmark ${id}`, priceCents: 1000, stock: units }) })
    if (res.status !== 201) throw new Error(`creating product ${id} answered ${res.status}: ${await res.text()}`)
    return id
  }
  const tag = prefix.replace(/\W/g, '')
  // Several products, so orders do not all wait on one stock row's lock.
  const products = await Promise.all(Array.from({ length: count }, async (_, i) => await post(`${tag}-p${i}`, stock)))
  const outOfStock = await post(`${tag}-none`, 0)
  // checkout-api prices from its replica of products.catalog: the load starts once every product is in it.
  const deadline = Date.now() + 30_000
  for (;;) {
    const known = await fetch(`${checkoutUrl}/catalog`).then(async r => (await r.json() as { products: Array<{ productId: string }> }).products.map(x => x.productId)).catch(() => [] as string[])
    if ([...products, outOfStock].every(id => known.includes(id))) break
    if (Date.now() > deadline) throw new Error('checkout-api\'s catalog replica did not receive the benchmark products within 30 s')
    await sleep(100)
  }
  return { products, outOfStock }
}

/** Where the gateway team's browser benchmark may live (it prints its figures as one JSON line). */
const BROWSER_BENCH = ['web/bench/push.ts', 'services/gateway/bench/push.ts']

/** The gateway team's browser benchmark, when it exists: run as its own CLI, after the saga is gone. */
async function browserBench (): Promise<BenchResult['browser']> {
  const rel = BROWSER_BENCH.find(f => existsSync(join(ROOT, f)))
  if (!rel) return { available: false, reason: `${BROWSER_BENCH.join(' e ')} não existem` }
  const dir = join(ROOT, rel, '..', '..')
  return await new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), rel.split('/').slice(-2).join('/')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const timer = setTimeout(() => child.kill('SIGTERM'), 600_000)
    child.once('exit', code => {
      clearTimeout(timer)
      const line = out.trim().split('\n').at(-1) ?? ''
      try {
        if (code !== 0) throw new Error(`saiu com ${code}`)
        resolve({ available: true, source: rel, figures: JSON.parse(line) as unknown })
      } catch (e) {
        resolve({ available: false, reason: `${rel}: ${(e as Error).message}: ${(err || out).trim().split('\n').slice(-3).join(' / ')}` })
      }
    })
  })
}

function unavailable (mode: SagaMode, reason: string): Unavailable {
  return { mode, available: false, reason }
}

export async function runBench (o: BenchOptions): Promise<{ result: BenchResult, file: string, history: string | undefined }> {
  const started = new Date()
  const p = plan(o.quick)
  const s = loadSettings()
  const brokers = process.env.KAFKA_BROKERS ?? bootstrapServers(s)
  const admin = createAdmin(brokers, 'vitrine-bench')
  const monitor = new ResourceMonitor()
  // What else of our stack ran beside the shop (metrics, stream processing): named in the result,
  // its CPU kept out of the shop's CPU per order. Measure with them stopped unless measuring them.
  const beside = watchStack(monitor, s)
  monitor.watch({ name: 'bench', pid: process.pid, tree: false })
  monitor.start()
  const profileDir = o.profile ? join(o.outDir, 'profiles', started.toISOString().replace(/[:.]/g, '-')) : undefined
  if (profileDir) mkdirSync(profileDir, { recursive: true })
  const saga = BenchSaga.create(s)
  let reader: OutcomeReader | undefined
  let http: HttpClient | undefined
  let cleanedUp = false
  const cleanupProblems: string[] = []
  const cleanup = async (): Promise<void> => {
    if (cleanedUp) return
    cleanedUp = true
    await reader?.stop().catch(() => {})
    http?.close()
    await saga.stop()
    cleanupProblems.push(...await saga.cleanup(admin))
  }
  const onSignal = (): void => {
    info('interrompido: parando os serviços do benchmark e apagando seus tópicos')
    cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  try {
    const machine = await machineFacts(s)
    const layout = effectiveSpec(catalogTopic('orders.new'), (await admin.metadata({ topics: [] })).brokers.size)
    const m0 = await step('M0 teto do Kafka (ProducerPerformance, ConsumerPerformance, EndToEndLatency)', async () =>
      await measureKafkaCeiling({ settings: s, records: p.ceilingRecords, latencyMessages: p.ceilingLatencyMessages, log: info }))
    const clients = await step('M1 nossos clientes (EventProducer, ConsumerEngine)', async () =>
      await measureClients({ admin, brokers, records: p.clientRecords, recordSize: RECORD_SIZE, lingerMs: m0.lingerMs, layout, log: info, ...(profileDir ? { profileDir } : {}) }))
    const ratio = (x: number, ceiling: number): number => Math.round((x / ceiling) * 1000) / 1000
    const m1 = {
      producer: { ...clients.producer, ceilingPerSec: m0.producer.recordsPerSec, ratio: ratio(clients.producer.recordsPerSec, m0.producer.recordsPerSec) },
      consumer: { ...clients.consumer, ceilingPerSec: m0.consumer.fetchRecordsPerSec, ratio: ratio(clients.consumer.recordsPerSec, m0.consumer.fetchRecordsPerSec) },
      rawConsumer: { ...clients.rawConsumer, ceilingPerSec: m0.consumer.fetchRecordsPerSec, ratio: ratio(clients.rawConsumer.recordsPerSec, m0.consumer.fetchRecordsPerSec) }
    }

    const withOrchestrator = orchestratorPresent()
    const names: SagaService[] = ['inventory', 'payment', 'notification', ...(withOrchestrator ? ['orchestrator' as const] : []), 'checkout-api']
    const failed = await step(`Serviços do benchmark como processos (tópicos ${saga.env.prefix}*, grupos *${saga.env.groupSuffix}, esquemas *${saga.env.schemaSuffix})`, async () => {
      await saga.createTopics()
      return await saga.start(names, { env: SERVICE_ENV, ...(profileDir ? { profileDir } : {}) }, ['orchestrator'])
    })
    const orchestration = withOrchestrator && saga.has('orchestrator')
    const orchestratorWhy = !withOrchestrator ? `${serverFile('orchestrator').slice(ROOT.length + 1)} não existe` : (failed.orchestrator ?? '')
    if (!orchestration) info(`orquestração: não disponível (${orchestratorWhy.split('\n')[0]})`)
    for (const svc of saga.services.values()) monitor.watch({ name: svc.name, pid: svc.pid })

    reader = new OutcomeReader(brokers, saga.env.prefix)
    await reader.start()
    http = new HttpClient(saga.url('checkout-api'))
    const catalog = await createProducts(saga.url('inventory'), saga.url('checkout-api'), saga.env.prefix, p.products, p.stock)
    const load = new OrderLoad(http, catalog)
    if (beside.length > 0) info(`rodando ao lado da loja (fora da CPU por pedido): ${beside.join(', ')}`)
    const c: SagaContext = { saga, admin, http, load, reader, monitor, log: info, shop: name => name !== 'bench' && !beside.includes(name) }

    // The services' CPU profiles are cut to the saga's load, leaving start-up (module loading) out.
    const sagaWindow: Window = { fromUs: monotonicUs(), toUs: 0 }
    const m2: BenchResult['m2'] = { choreography: unavailable('choreography', 'not measured'), orchestration: unavailable('orchestration', orchestratorWhy) }
    const m3: BenchResult['m3'] = { choreography: unavailable('choreography', 'not measured'), orchestration: unavailable('orchestration', orchestratorWhy) }
    const m3Low: NonNullable<BenchResult['m3Low']> = { choreography: unavailable('choreography', 'not measured'), orchestration: unavailable('orchestration', orchestratorWhy) }
    for (const mode of ['choreography', ...(orchestration ? ['orchestration' as const] : [])] as SagaMode[]) {
      const t: SagaThroughput = await step(`M2 vazão da saga (${mode})`, async () => await measureThroughput(c, mode, p.search, m0.producer.recordsPerSec))
      m2[mode] = t
      const l: LatencyFigures = await step(`M3 latência a ${Math.round(t.ordersPerSec / 2)} pedidos/s (${mode})`, async () => await measureLatency(c, mode, t.ordersPerSec / 2, p.latencyS, p.mix))
      m3[mode] = l
      m3Low[mode] = await step(`M3 latência a ${LOW_RATE_PER_SEC} pedidos/s, sem fila (${mode})`, async () => await measureLatency(c, mode, LOW_RATE_PER_SEC, p.latencyS, p.mix))
    }
    const choreo = m2.choreography as SagaThroughput
    // Scale-out check: M2 again with a second instance of each service (other ports, same groups).
    // On 2 cores it shows the cost of more processes sharing them, not a gain. Full runs only: it
    // starts every service again and searches M2 once more (minutes), too long for make test's --quick.
    const scaleOut = o.quick
      ? unavailable('choreography', 'fica fora do --quick')
      : await step('M2 com 2 instâncias de cada serviço (coreografia)', async (): Promise<SagaThroughput | Unavailable> => {
        try {
          await saga.startTwins({ env: SERVICE_ENV })
          for (const svc of saga.twins.values()) monitor.watch({ name: saga.twinLogName(svc.name).replace(/^bench-/, ''), pid: svc.pid })
          return await measureThroughput(c, 'choreography', p.search, m0.producer.recordsPerSec)
        } catch (err) {
          return unavailable('choreography', (err as Error).message)
        } finally {
          await saga.stopTwins()
          for (const name of saga.services.keys()) monitor.unwatch(saga.twinLogName(name).replace(/^bench-/, ''))
        }
      })
    sagaWindow.toUs = monotonicUs()
    // Last: the orders it floods the shop with are never waited for, the run's cleanup drops them.
    const m4 = await step(`M4 HTTP POST /orders (autocannon, ${p.httpConnections} conexões, ${p.httpS} s com a saga e ${p.httpS} s só o checkout-api)`, async () =>
      await measureHttp(c, p.httpConnections, p.httpS, catalog.products, choreo.ordersPerSec))

    await step('Parando os serviços do benchmark e apagando tópicos, grupos, subjects e esquemas', cleanup)
    // M9 with the shop stopped: the sales-counter alone on its own topics, one mode after the other.
    // The sales-counter's own defaults (SALES_COUNTER_BATCH_MAX, SALES_COUNTER_COMMIT_MS); enough records
    // for ~100 batches per mode, so the timing is not a handful of commits.
    const m9Plan = { records: o.quick ? 20_000 : 200_000, batchMax: 2000, commitMs: 100 }
    const m9 = await step(`M9 sales-counter exactly-once ÷ at-least-once (${m9Plan.records} registros, lotes de até ${m9Plan.batchMax}, commit a cada ${m9Plan.commitMs} ms)`, async () =>
      await counterThroughput({ brokers, registryUrl: registryUrl(s), ...m9Plan }))
    // M10 only where Flink runs (not LITE=1), and in full runs: its delay phase alone takes minutes.
    const m10 = o.quick
      ? { available: false as const, reason: 'fica fora do --quick' }
      : await step('M10 job order_kpis do Flink SQL (vazão e atraso do pedido confirmado ao KPI)', async () =>
        await measureKpiJob({ settings: s, brokers, registryUrl: registryUrl(s), log: info }))
    monitor.stop()

    let profiles: Record<string, ProfileSummary> | undefined
    if (profileDir) {
      profiles = {}
      for (const name of readdirSync(profileDir).sort()) {
        const file = mainThreadProfile(join(profileDir, name))
        if (file) profiles[name] = summarizeProfileFile(file, 12, clients.windows[name] ?? sagaWindow)
      }
    }
    const browser = o.quick
      ? { available: false as const, reason: 'fica fora do --quick' }
      : await step('Benchmark do navegador (gateway → página, da equipe do gateway)', browserBench)

    const finished = new Date()
    const partial: Omit<BenchResult, 'goals'> = {
      schemaVersion: 1,
      mode: o.quick ? 'quick' : 'full',
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationS: Math.round((finished.getTime() - started.getTime()) / 1000),
      machine,
      settings: {
        recordSize: RECORD_SIZE,
        lingerMs: m0.lingerMs,
        acks: 'all',
        idempotence: true,
        partitions: layout.partitions,
        replicationFactor: layout.replicationFactor,
        ceilingRecords: p.ceilingRecords,
        clientRecords: p.clientRecords,
        search: p.search,
        latencyS: p.latencyS,
        mix: p.mix,
        httpConnections: p.httpConnections,
        httpS: p.httpS,
        products: p.products,
        stockPerProduct: p.stock,
        services: SERVICE_ENV,
        topicPrefix: saga.env.prefix,
        groupSuffix: saga.env.groupSuffix,
        schemaSuffix: saga.env.schemaSuffix,
        profile: o.profile
      },
      m0,
      m1,
      m2,
      m3,
      m3Low,
      scaleOut: { one: choreo, two: scaleOut },
      beside,
      m4,
      m5: choreo.best.eventLoop,
      m9,
      m10,
      memory: monitor.memory(),
      browser,
      ...(profiles ? { profiles } : {}),
      cleanupProblems
    }
    const result: BenchResult = { ...partial, goals: evaluateGoals(partial) }
    const { file, history } = writeResult(o.outDir, result)
    console.log(`\n${formatTable(result, file.startsWith(ROOT) ? file.slice(ROOT.length + 1) : file)}`)
    if (history) console.log(`Histórico: ${history.startsWith(ROOT) ? history.slice(ROOT.length + 1) : history}`)
    if (profiles) for (const [name, summary] of Object.entries(profiles)) console.log(`\n${formatProfile(name, summary)}`)
    return { result, file, history }
  } finally {
    await cleanup().catch(err => cleanupProblems.push((err as Error).message))
    monitor.stop()
    await admin.close().catch(() => {})
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runBench(parseArgs(process.argv.slice(2))).then(() => process.exit(0), err => {
    console.error(`\n${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
}
