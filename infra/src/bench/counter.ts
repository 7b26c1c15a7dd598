import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Kafka from 'node-rdkafka'
import { TopicSerde, registryAuthHeaders, topic } from '@vitrine/contracts'
import { PARTITIONER, envKafkaSecurity } from '@vitrine/service-kit'
import { ROOT } from '../settings.ts'
import { freePort, sleep } from '../proc.ts'
import { createAdmin, effectiveSpec } from '../topics.ts'

// M9: the sales-counter's throughput in exactly-once ÷ at-least-once, in the same run, on the same
// number of orders.confirmed records written beforehand, with the same batch size and commit
// interval (a transaction per batch is what exactly-once costs). Each mode runs on its own topics
// and group; the counter runs as its own process, as under make demo.

export interface CounterModeFigures { records: number, seconds: number, recordsPerSec: number }
export type CounterThroughput =
  | { available: true, records: number, batchMax: number, commitIntervalMs: number, atLeastOnce: CounterModeFigures, exactlyOnce: CounterModeFigures, ratio: number }
  | { available: false, reason: string }

export interface CounterBenchOptions { brokers: string, registryUrl: string, records: number, batchMax: number, commitMs: number }

interface CounterState { batches: { records: number }, positions: Array<{ partition: number, offset: number }> }

async function produceOrders (brokers: string, serde: TopicSerde, name: string, records: number): Promise<void> {
  const producer = new Kafka.Producer({ 'metadata.broker.list': brokers, 'enable.idempotence': true, 'linger.ms': 20, 'queue.buffering.max.messages': 1_000_000, ...envKafkaSecurity() }, { 'request.required.acks': -1, partitioner: PARTITIONER })
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  producer.setPollInterval(20)
  try {
    for (let i = 0; i < records; i++) {
      const orderId = randomUUID()
      const value = await serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: 'bench', totalCents: 1000 + (i % 5000), occurredAt: Date.now() })
      producer.produce(name, null, value, orderId, Date.now())
    }
    await new Promise<void>((resolve, reject) => producer.flush(60_000, err => (err ? reject(err) : resolve())))
  } finally {
    await new Promise<void>(resolve => producer.disconnect(() => resolve()))
  }
}

async function counterState (port: number): Promise<CounterState | undefined> {
  try {
    // No recount: it would read orders.confirmed in the counter's own process while it is timed.
    const res = await fetch(`http://127.0.0.1:${port}/counter?truth=false`, { signal: AbortSignal.timeout(10_000) })
    return res.ok ? await res.json() as CounterState : undefined
  } catch {
    return undefined
  }
}

/** One mode: the records are already there; from the first batch counted to the last. */
async function runMode (o: CounterBenchOptions, mode: 'exactly-once' | 'at-least-once'): Promise<CounterModeFigures> {
  const id = randomUUID().slice(0, 8)
  const prefix = `bench-m9-${id}.`
  const admin = createAdmin(o.brokers, 'vitrine-bench')
  const names = (['orders.confirmed', 'sales.totals'] as const).map(n => prefix + n)
  const port = await freePort()
  let child: ReturnType<typeof spawn> | undefined
  try {
    const brokers = (await admin.metadata({ topics: [] })).brokers.size
    for (const n of ['orders.confirmed', 'sales.totals'] as const) {
      const want = effectiveSpec(topic(n), brokers)
      await admin.createTopics({ topics: [prefix + n], partitions: want.partitions, replicas: want.replicationFactor, configs: Object.entries(want.config).map(([name, value]) => ({ name, value })) })
    }
    await produceOrders(o.brokers, new TopicSerde(o.registryUrl, prefix), prefix + 'orders.confirmed', o.records)
    child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: join(ROOT, 'services/sales-counter'),
      env: { ...process.env, PORT: String(port), KAFKA_BROKERS: o.brokers, SCHEMA_REGISTRY_URL: o.registryUrl, TOPIC_PREFIX: prefix, KAFKA_GROUP_SUFFIX: `-bench-m9-${id}`, LOG_LEVEL: 'warn', SALES_COUNTER_MODE: mode, SALES_COUNTER_BATCH_MAX: String(o.batchMax), SALES_COUNTER_COMMIT_MS: String(o.commitMs) },
      stdio: 'ignore'
    })
    let first: { at: number, records: number } | undefined
    const deadline = Date.now() + 300_000
    while (Date.now() < deadline) {
      const s = await counterState(port)
      const now = Date.now()
      if (s && s.batches.records > 0) {
        first ??= { at: now, records: s.batches.records }
        if (s.positions.reduce((n, p) => n + p.offset, 0) >= o.records) {
          const counted = o.records - first.records
          const seconds = Math.max(0.001, (now - first.at) / 1000)
          return { records: counted, seconds, recordsPerSec: counted / seconds }
        }
      }
      await sleep(50)
    }
    throw new Error(`the counter (${mode}) did not count ${o.records} records in 300 s`)
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise(resolve => child!.once('exit', resolve))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(15_000)])
    }
    await admin.deleteTopics({ topics: names }).catch(() => {})
    await admin.close().catch(() => {})
    for (const n of names) {
      const url = `${o.registryUrl.replace(/\/$/, '')}/subjects/${encodeURIComponent(`${n}-value`)}`
      await fetch(url, { method: 'DELETE', headers: registryAuthHeaders() }).catch(() => {})
      await fetch(`${url}?permanent=true`, { method: 'DELETE', headers: registryAuthHeaders() }).catch(() => {})
    }
  }
}

export async function counterThroughput (o: CounterBenchOptions): Promise<CounterThroughput> {
  try {
    const atLeastOnce = await runMode(o, 'at-least-once')
    const exactlyOnce = await runMode(o, 'exactly-once')
    return { available: true, records: o.records, batchMax: o.batchMax, commitIntervalMs: o.commitMs, atLeastOnce, exactlyOnce, ratio: exactlyOnce.recordsPerSec / atLeastOnce.recordsPerSec }
  } catch (err) {
    return { available: false, reason: (err as Error).message }
  }
}
