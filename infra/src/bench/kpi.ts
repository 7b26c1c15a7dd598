import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Kafka from 'node-rdkafka'
import { TopicSerde, registryAuthHeaders, topic } from '@vitrine/contracts'
import type { OrderKpis } from '@vitrine/contracts'
import { FROM_BEGINNING, KafkaReader, PARTITIONER, envKafkaSecurity } from '@vitrine/service-kit'
import type { StoredRecord } from '@vitrine/service-kit'
import { sleep } from '@vitrine/service-kit/time'
import type { StackSettings } from '../settings.ts'
import { ROOT, bootstrapServers, loadSettings, registryUrl } from '../settings.ts'
import { nodeTs } from '../proc.ts'
import { createAdmin, effectiveSpec } from '../topics.ts'
import { CHECKPOINT_INTERVAL, checkpointsDir, flinkReady, flinkStateDir, sqlGatewayUrl } from '../streams-flink.ts'
import { percentiles } from './stats.ts'
import type { Percentiles } from './stats.ts'

// M10: the Flink SQL job order_kpis (services/streams/sql/order_kpis.sql) on the stack's own Flink,
// over topics of its own (one partition, so the watermark follows the read position closely):
// 1. throughput: a backlog of orders.confirmed spread over many 1-minute windows in event time; the
//    rate is the orders of the windows emitted (seen uncommitted, as Flink writes them) per second
//    between the first and the last window: the job's own pace, without its start-up;
// 2. delay: orders confirmed now at a steady rate; each order's delay is from its confirmation to the
//    moment its window's KPI becomes visible to a read_committed reader (the dashboard). It is mostly
//    the window itself (1 min), then the watermark (5 s) and the exactly-once commit at the next
//    checkpoint (every CHECKPOINT_INTERVAL), so the figures are tens of seconds by design.
// Measured only when Flink runs (not under LITE=1): it runs beside the shop's own figures.

export interface KpiPlan { backlogOrders: number, backlogWindows: number, ratePerSec: number, liveS: number }

export type KpiJobFigures =
  | {
    available: true
    job: 'order_kpis'
    partitions: 1
    checkpointInterval: string
    backlog: { orders: number, windows: number, seconds: number, eventsPerSec: number }
    delay: { ratePerSec: number, orders: number, windows: number, orderToKpiMs: Percentiles, afterWindowEndMs: Percentiles }
  }
  | { available: false, reason: string }

// The backlog is large enough that reading it takes seconds once the JVM is warm: on 2 cores a
// 100 000-order backlog gave 39 000 orders/s (mostly warm-up), 1 000 000 gave 154 000/s.
export const KPI_PLAN: KpiPlan = { backlogOrders: 1_000_000, backlogWindows: 100, ratePerSec: 20, liveS: 120 }

const MIN = 60_000
const CUSTOMERS = 200

interface Order { orderId: string, occurredAt: number }

function newProducer (brokers: string): Kafka.Producer {
  return new Kafka.Producer({ 'metadata.broker.list': brokers, 'enable.idempotence': true, 'linger.ms': 10, 'queue.buffering.max.messages': 2_000_000, ...envKafkaSecurity() }, { 'request.required.acks': -1, partitioner: PARTITIONER })
}

async function connected (p: Kafka.Producer): Promise<Kafka.Producer> {
  await new Promise<void>((resolve, reject) => p.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  p.setPollInterval(20)
  return p
}

async function produce (p: Kafka.Producer, serde: TopicSerde, name: string, i: number, occurredAt: number): Promise<Order> {
  const orderId = randomUUID()
  const value = await serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: `bench-c${i % CUSTOMERS}`, totalCents: 1000 + (i % 5000), occurredAt })
  p.produce(name, null, value, orderId, Date.now())
  return { orderId, occurredAt }
}

async function flush (p: Kafka.Producer): Promise<void> {
  await new Promise<void>((resolve, reject) => p.flush(60_000, err => (err ? reject(err) : resolve())))
}

/** Starts order_kpis on the prefix's topics with the streams submitter (as make up does); returns its job id. */
async function submit (prefix: string, groupSuffix: string): Promise<string> {
  const { command, args } = nodeTs(join(ROOT, 'services/streams/src/main.ts'), ['order_kpis'])
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, TOPIC_PREFIX: prefix, KAFKA_GROUP_SUFFIX: groupSuffix }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.once('exit', code => {
      const report = out.trim().split('\n').map(l => { try { return JSON.parse(l) as { jobId?: string } } catch { return {} } }).find(r => r.jobId)
      if (code === 0 && report?.jobId) resolve(report.jobId)
      else reject(new Error(`the streams submitter exited with ${code}: ${(err || out).trim().split('\n').slice(-3).join(' / ')}`))
    })
  })
}

async function cancel (s: StackSettings, jobId: string): Promise<void> {
  // With a local executor each job's mini cluster has its own REST port in flinkUiPort … +9.
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`http://127.0.0.1:${s.flinkUiPort + i}/jobs/${jobId}?mode=cancel`, { method: 'PATCH', signal: AbortSignal.timeout(5000) }).catch(() => undefined)
    if (res?.ok) return
  }
}

/** Follows the KPI topic from its start, calling `seen` with each window and when it was read. */
function follow (brokers: string, name: string, isolation: 'read_committed' | 'read_uncommitted', serde: TopicSerde, seen: (k: OrderKpis, at: number) => void): { stop: () => Promise<void> } {
  const reader = new KafkaReader(brokers, 'vitrine-bench-kpi', isolation)
  const abort = new AbortController()
  const pending: Array<Promise<void>> = []
  const onRecord = (r: StoredRecord): void => {
    const at = Date.now()
    if (r.value) pending.push(serde.decode(r.value, 'streams.order-kpis').then(k => seen(k as OrderKpis, at)))
  }
  const done = reader.read([{ topic: name, partition: 0, offset: FROM_BEGINNING }], { timeoutMs: 3_600_000, onRecord, signal: abort.signal })
  return {
    stop: async () => {
      abort.abort()
      await done.catch(() => {})
      await Promise.all(pending)
      await reader.close()
    }
  }
}

async function waitUntil (what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`)
    await sleep(100)
  }
}

export interface KpiBenchOptions { settings: StackSettings, brokers: string, registryUrl: string, plan?: KpiPlan, log?: (line: string) => void }

export async function measureKpiJob (o: KpiBenchOptions): Promise<KpiJobFigures> {
  const s = o.settings
  const plan = o.plan ?? KPI_PLAN
  if (!await flinkReady(s)) return { available: false, reason: `o Flink não está rodando (${sqlGatewayUrl(s)}; make up sem LITE=1)` }
  const id = randomUUID().slice(0, 8)
  const prefix = `bench-kpi-${id}.`
  const groupSuffix = `-bench-kpi-${id}`
  const names = (['orders.confirmed', 'streams.order-kpis'] as const).map(n => prefix + n)
  const admin = createAdmin(o.brokers, 'vitrine-bench')
  const serde = new TopicSerde(o.registryUrl, prefix)
  const producer = newProducer(o.brokers)
  const followers: Array<{ stop: () => Promise<void> }> = []
  let jobId: string | undefined
  try {
    const brokers = (await admin.metadata({ topics: [] })).brokers.size
    for (const n of ['orders.confirmed', 'streams.order-kpis'] as const) {
      const want = effectiveSpec(topic(n), brokers)
      await admin.createTopics({ topics: [prefix + n], partitions: 1, replicas: want.replicationFactor, configs: Object.entries(want.config).map(([name, value]) => ({ name, value })) })
    }
    await connected(producer)
    // 1. The backlog, in event time well before now (so the live orders of step 2 come after it):
    // evenly over backlogWindows minutes, then one order 10 minutes later to close the last window.
    const producing = Date.now()
    const t0 = Math.floor(Date.now() / MIN) * MIN - (plan.backlogWindows + 30) * MIN
    const step = (plan.backlogWindows * MIN) / plan.backlogOrders
    for (let i = 0; i < plan.backlogOrders; i++) await produce(producer, serde, prefix + 'orders.confirmed', i, t0 + Math.floor(i * step))
    await produce(producer, serde, prefix + 'orders.confirmed', 0, t0 + (plan.backlogWindows + 10) * MIN)
    await flush(producer)
    o.log?.(`M10: ${plan.backlogOrders} pedidos em ${plan.backlogWindows} janelas de 1 min escritos em ${((Date.now() - producing) / 1000).toFixed(1)} s; submetendo order_kpis (${prefix}*)`)

    const written = new Map<number, { at: number, orders: number }>()
    const visible = new Map<number, number>()
    followers.push(follow(o.brokers, prefix + 'streams.order-kpis', 'read_uncommitted', serde, (k, at) => { if (!written.has(k.windowStart)) written.set(k.windowStart, { at, orders: k.orders }) }))
    followers.push(follow(o.brokers, prefix + 'streams.order-kpis', 'read_committed', serde, (k, at) => { if (!visible.has(k.windowStart)) visible.set(k.windowStart, at) }))
    jobId = await submit(prefix, groupSuffix)
    await waitUntil(`the backlog's ${plan.backlogWindows} windows`, () => written.size >= plan.backlogWindows, 600_000)
    const backlog = [...written.entries()].filter(([w]) => w < t0 + plan.backlogWindows * MIN).sort((a, b) => a[0] - b[0]).map(([, v]) => v)
    const total = backlog.reduce((n, w) => n + w.orders, 0)
    if (total !== plan.backlogOrders) throw new Error(`the backlog's windows count ${total} orders, ${plan.backlogOrders} were written`)
    // The first tenth of the windows is the JIT's warm-up; a window's orders were read before its
    // record came out, so the rate counts the windows after the first one timed.
    const from = Math.max(1, Math.floor(backlog.length / 10))
    const seconds = (backlog.at(-1)!.at - backlog[from - 1]!.at) / 1000
    const counted = backlog.slice(from).reduce((n, w) => n + w.orders, 0)
    if (seconds <= 0) throw new Error('the backlog\'s windows all came out at once: no rate to measure')
    o.log?.(`M10: vazão ${Math.round(counted / seconds)} pedidos/s (${backlog.length - from} janelas em ${seconds.toFixed(1)} s, depois de ${from} de aquecimento); agora ${plan.ratePerSec} pedidos/s por ${plan.liveS} s`)

    // 2. Live orders until each measured order's window is visible to a read_committed reader.
    const live: Order[] = []
    const started = Date.now()
    let i = 0
    let measuring = true
    const lastWindow = (): number => Math.floor(live.at(-1)!.occurredAt / MIN) * MIN
    while (measuring || !visible.has(lastWindow())) {
      const due = Math.floor(((Date.now() - started) / 1000) * plan.ratePerSec)
      for (; i < due; i++) {
        const order = await produce(producer, serde, prefix + 'orders.confirmed', i, Date.now())
        if (measuring) live.push(order)
      }
      if (measuring && Date.now() - started >= plan.liveS * 1000) measuring = false
      if (Date.now() - started > (plan.liveS + 150) * 1000) throw new Error(`the window of ${new Date(lastWindow()).toISOString()} was not visible within 150 s of the last order`)
      await sleep(20)
    }
    await flush(producer)
    const delays = live.map(o => visible.get(Math.floor(o.occurredAt / MIN) * MIN)! - o.occurredAt)
    const windows = [...new Set(live.map(o => Math.floor(o.occurredAt / MIN) * MIN))]
    const afterEnd = windows.map(w => visible.get(w)! - (w + MIN))
    return {
      available: true,
      job: 'order_kpis',
      partitions: 1,
      checkpointInterval: CHECKPOINT_INTERVAL,
      backlog: { orders: counted, windows: backlog.length - from, seconds: Math.round(seconds * 100) / 100, eventsPerSec: Math.round(counted / seconds) },
      delay: { ratePerSec: plan.ratePerSec, orders: live.length, windows: windows.length, orderToKpiMs: percentiles(delays, 0), afterWindowEndMs: percentiles(afterEnd, 0) }
    }
  } catch (err) {
    return { available: false, reason: (err as Error).message }
  } finally {
    if (jobId) await cancel(s, jobId)
    for (const f of followers) await f.stop().catch(() => {})
    await new Promise<void>(resolve => producer.disconnect(() => resolve()))
    await admin.deleteTopics({ topics: names }).catch(() => {})
    await admin.deleteGroups({ groups: [`streams${groupSuffix}`] }).catch(() => {})
    await admin.close().catch(() => {})
    for (const n of names) {
      const url = `${o.registryUrl.replace(/\/$/, '')}/subjects/${encodeURIComponent(`${n}-value`)}`
      await fetch(url, { method: 'DELETE', headers: registryAuthHeaders() }).catch(() => {})
      await fetch(`${url}?permanent=true`, { method: 'DELETE', headers: registryAuthHeaders() }).catch(() => {})
    }
    // The submitter's memory of the job and the job's retained checkpoints: nothing will resume it.
    rmSync(join(flinkStateDir(s.stateDir), `jobs-${prefix.replace(/\W/g, '')}.json`), { force: true })
    if (jobId) rmSync(join(checkpointsDir(s.stateDir), jobId), { recursive: true, force: true })
  }
}

/** M10's lines of the bench table (pt-BR). */
export function formatKpi (m: KpiJobFigures): string[] {
  if (!m.available) return [`M10 job order_kpis (Flink SQL): não medido: ${m.reason}`]
  const n = (x: number, digits = 0): string => x.toLocaleString('pt-BR', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  const s = (ms: number): string => `${n(ms / 1000, 1)} s`
  const d = m.delay
  return [
    `M10 job order_kpis (Flink SQL, janelas de 1 min, checkpoint a cada ${m.checkpointInterval}, ${m.partitions} partição)`,
    `   vazão sustentada ${n(m.backlog.eventsPerSec)} pedidos/s (${n(m.backlog.orders)} pedidos acumulados, ${m.backlog.windows} janelas em ${n(m.backlog.seconds, 1)} s)`,
    `   do pedido confirmado ao KPI visível (read_committed), a ${n(d.ratePerSec)} pedidos/s: p50 ${s(d.orderToKpiMs.p50)} · p99 ${s(d.orderToKpiMs.p99)} (${n(d.orders)} pedidos, ${d.windows} janelas; a janela de 1 min é a maior parte)`,
    `   do fim da janela ao KPI visível: p50 ${s(d.afterWindowEndMs.p50)} · p99 ${s(d.afterWindowEndMs.p99)} (watermark de 5 s + commit no checkpoint seguinte)`
  ]
}

// `node --import tsx infra/src/bench/kpi.ts`: M10 alone against the stack's Flink, its figures as JSON.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = loadSettings()
  measureKpiJob({ settings: s, brokers: process.env.KAFKA_BROKERS ?? bootstrapServers(s), registryUrl: registryUrl(s), log: line => console.error(line) }).then(r => {
    console.log(JSON.stringify(r))
    process.exit(r.available ? 0 : 1)
  }, err => {
    console.error(err)
    process.exit(1)
  })
}
