import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Admin } from '@platformatic/kafka'

// M1: our Kafka client code against Kafka's own tools. The worker runs in a child process so it
// has a fresh event loop and heap, like a service.

export interface WorkerOptions {
  mode: 'produce' | 'consume' | 'consume-raw'
  brokers: string
  topic: string
  records: number
  recordSize: number
  lingerMs: number
  group: string
  /** Records in flight at once when producing: enough to keep every batch full. */
  window: number
}

export interface WorkerResult { records: number, seconds: number, recordsPerSec: number }

/** What a worker prints: its figures and, for a CPU profile, when it measured (CLOCK_MONOTONIC µs). */
export interface WorkerReport { result: WorkerResult, fromUs: number, toUs: number }

export const RESULT_PREFIX = 'BENCH-RESULT '

export class BenchWorkerError extends Error {
  code = 'SHOP_ERR_BENCH_WORKER'
}

const WORKER = fileURLToPath(new URL('./client-worker.ts', import.meta.url))

export async function runWorker (options: WorkerOptions, profileDir?: string, timeoutMs = 300_000): Promise<WorkerReport> {
  // A folder per worker: tsx's loader thread writes a profile of its own beside the main thread's.
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `m1-${options.mode}`)}`] : []
  const child = spawn(process.execPath, [...profile, '--import', import.meta.resolve('tsx'), WORKER, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // node-rdkafka waits for records on libuv's thread pool.
    env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' }
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearTimeout(timer)
  const line = out.split('\n').find(l => l.startsWith(RESULT_PREFIX))
  if (code !== 0 || !line) throw new BenchWorkerError(`the ${options.mode} worker exited with ${code}:\n${(err || out).trim().split('\n').slice(-12).join('\n')}`)
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkerReport
}

export interface ClientFigures {
  producer: WorkerResult
  consumer: WorkerResult
  rawConsumer: WorkerResult
  /** When each worker measured, to cut start-up out of its CPU profile. */
  windows: Record<string, { fromUs: number, toUs: number }>
}

export interface ClientOptions {
  admin: Admin
  brokers: string
  records: number
  recordSize: number
  lingerMs: number
  layout: { partitions: number, replicationFactor: number, config: Record<string, string> }
  /** Write a V8 CPU profile of each worker here. */
  profileDir?: string
  log?: (line: string) => void
}

/** Produces `records` with our EventProducer, reads them back with our ConsumerEngine, deletes the topic. */
export async function measureClients (o: ClientOptions): Promise<ClientFigures> {
  const id = randomUUID()
  const topic = `bench.client-${id}`
  const group = `bench-client-${id}`
  await o.admin.createTopics({ topics: [topic], partitions: o.layout.partitions, replicas: o.layout.replicationFactor, configs: Object.entries(o.layout.config).map(([name, value]) => ({ name, value })) })
  try {
    const base = { brokers: o.brokers, topic, records: o.records, recordSize: o.recordSize, lingerMs: o.lingerMs, group, window: 20_000 }
    o.log?.(`EventProducer: ${o.records} registros de ${o.recordSize} bytes, acks=all, idempotência ligada, linger.ms=${o.lingerMs}`)
    const producer = await runWorker({ ...base, mode: 'produce' }, o.profileDir)
    o.log?.(`ConsumerEngine: lendo os mesmos ${o.records} registros`)
    const consumer = await runWorker({ ...base, mode: 'consume' }, o.profileDir)
    o.log?.('node-rdkafka sem o ConsumerEngine: os mesmos registros, o mesmo consume(500)')
    const rawConsumer = await runWorker({ ...base, group: `${group}-raw`, mode: 'consume-raw' }, o.profileDir)
    const window = (r: WorkerReport): { fromUs: number, toUs: number } => ({ fromUs: r.fromUs, toUs: r.toUs })
    return {
      producer: producer.result,
      consumer: consumer.result,
      rawConsumer: rawConsumer.result,
      windows: { 'm1-produce': window(producer), 'm1-consume': window(consumer), 'm1-consume-raw': window(rawConsumer) }
    }
  } finally {
    await o.admin.deleteTopics({ topics: [topic] }).catch(() => {})
    await o.admin.deleteGroups({ groups: [group, `${group}-raw`] }).catch(() => {})
  }
}
