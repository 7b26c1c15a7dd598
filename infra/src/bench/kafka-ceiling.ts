import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { topic as catalogTopic } from '@vitrine/contracts'
import type { StackSettings } from '../settings.ts'
import { bootstrapServers, loadSettings } from '../settings.ts'
import { kafkaTool } from '../kafka-node.ts'
import { createAdmin, effectiveSpec } from '../topics.ts'

// The raw ceiling of this machine's Kafka, measured by Kafka's own tools (ProducerPerformance,
// ConsumerPerformance, EndToEndLatency): every later benchmark is reported as a fraction of it.
// Same record size and durability as the shop's producers: 300 bytes, acks=all, idempotence on.

export interface ProducerFigures { records: number, recordsPerSec: number, mbPerSec: number, avgLatencyMs: number, maxLatencyMs: number, p50Ms: number, p95Ms: number, p99Ms: number, p999Ms: number }
export interface ConsumerFigures { records: number, recordsPerSec: number, mbPerSec: number, rebalanceMs: number, fetchMs: number, fetchRecordsPerSec: number }
export interface LatencyFigures { messages: number, avgMs: number, p50Ms: number, p99Ms: number, p999Ms: number }

export interface KafkaCeiling {
  bootstrap: string
  /** The throw-away topics it measured on (deleted when it returns). */
  topics: string[]
  partitions: number
  replicationFactor: number
  recordSize: number
  lingerMs: number
  acks: 'all'
  idempotence: true
  producer: ProducerFigures
  consumer: ConsumerFigures
  endToEnd: LatencyFigures
}

export interface CeilingOptions {
  settings?: StackSettings
  /** Fewer records: a rough figure in about half the time. */
  quick?: boolean
  records?: number
  latencyMessages?: number
  lingerMs?: number
  log?: (line: string) => void
}

export const RECORD_SIZE = 300

export class BenchToolError extends Error {
  code = 'SHOP_ERR_BENCH_TOOL'
}

function num (raw: string | undefined, what: string, output: string): number {
  const n = Number(raw)
  if (raw === undefined || !Number.isFinite(n)) throw new BenchToolError(`could not read ${what} from the tool's output:\n${output.trim().split('\n').slice(-8).join('\n')}`)
  return n
}

/** The summary line ProducerPerformance prints last (the periodic lines have no percentiles). */
export function parseProducerPerformance (stdout: string): ProducerFigures {
  const line = stdout.split('\n').filter(l => l.includes('records sent') && l.includes('50th')).at(-1) ?? ''
  const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(line.trim())
  const field = (i: number, what: string): number => num(m?.[i], what, stdout)
  return {
    records: field(1, 'records sent'),
    recordsPerSec: field(2, 'records/sec'),
    mbPerSec: field(3, 'MB/sec'),
    avgLatencyMs: field(4, 'avg latency'),
    maxLatencyMs: field(5, 'max latency'),
    p50Ms: field(6, 'p50'),
    p95Ms: field(7, 'p95'),
    p99Ms: field(8, 'p99'),
    p999Ms: field(9, 'p99.9')
  }
}

/** ConsumerPerformance prints a comma-separated header and one row of figures. */
export function parseConsumerPerformance (stdout: string): ConsumerFigures {
  const lines = stdout.split('\n').map(l => l.trim()).filter(Boolean)
  const at = lines.findIndex(l => l.startsWith('start.time'))
  const header = (lines[at] ?? '').split(',').map(h => h.trim())
  const row = (lines[at + 1] ?? '').split(',').map(v => v.trim())
  const get = (name: string): number => num(at < 0 ? undefined : row[header.indexOf(name)], name, stdout)
  return {
    records: get('data.consumed.in.nMsg'),
    recordsPerSec: get('nMsg.sec'),
    mbPerSec: get('MB.sec'),
    rebalanceMs: get('rebalance.time.ms'),
    fetchMs: get('fetch.time.ms'),
    fetchRecordsPerSec: get('fetch.nMsg.sec')
  }
}

/** EndToEndLatency ends with "Avg latency: X ms" and "Percentiles: 50th = a, 99th = b, 99.9th = c". */
export function parseEndToEndLatency (stdout: string, messages: number): LatencyFigures {
  const avg = /Avg latency: ([\d.]+) ms/.exec(stdout)?.[1]
  const p = /Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)/.exec(stdout)
  return { messages, avgMs: num(avg, 'avg latency', stdout), p50Ms: num(p?.[1], 'p50', stdout), p99Ms: num(p?.[2], 'p99', stdout), p999Ms: num(p?.[3], 'p99.9', stdout) }
}

async function tool (s: StackSettings, mainClass: string, args: string[], timeoutMs: number): Promise<string> {
  const r = await kafkaTool(s, mainClass, args, { timeoutMs })
  if (r.exitCode !== 0) throw new BenchToolError(`${mainClass} exited with ${r.exitCode}:\n${(r.stderr || r.stdout).trim().split('\n').slice(-12).join('\n')}`)
  return r.stdout
}

/** Runs the three tools on fresh topics laid out like orders.new, deletes them, and returns the figures. */
export async function measureKafkaCeiling (options: CeilingOptions = {}): Promise<KafkaCeiling> {
  const s = options.settings ?? loadSettings()
  const log = options.log ?? (() => {})
  const bootstrap = process.env.KAFKA_BROKERS ?? bootstrapServers(s)
  const records = options.records ?? (options.quick ? 100_000 : 1_000_000)
  const latencyMessages = options.latencyMessages ?? (options.quick ? 500 : 5_000)
  const lingerMs = options.lingerMs ?? 5
  const admin = createAdmin(bootstrap, 'vitrine-bench')
  const brokers = (await admin.metadata({ topics: [] })).brokers.size
  const layout = effectiveSpec(catalogTopic('orders.new'), brokers)
  const id = randomUUID()
  const throughputTopic = `bench.ceiling-${id}`
  const latencyTopic = `bench.latency-${id}`
  const group = `bench-ceiling-${id}`
  const durability = ['acks=all', 'enable.idempotence=true', `linger.ms=${lingerMs}`]
  try {
    await admin.createTopics({
      topics: [throughputTopic, latencyTopic],
      partitions: layout.partitions,
      replicas: layout.replicationFactor,
      configs: Object.entries(layout.config).map(([name, value]) => ({ name, value }))
    })

    log(`ProducerPerformance: ${records} registros de ${RECORD_SIZE} bytes, ${durability.join(', ')}, ${layout.partitions} partições`)
    const producer = parseProducerPerformance(await tool(s, 'org.apache.kafka.tools.ProducerPerformance', [
      '--topic', throughputTopic, '--num-records', String(records), '--record-size', String(RECORD_SIZE), '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${bootstrap}`, ...durability
    ], 300_000))

    log(`ConsumerPerformance: lendo os mesmos ${records} registros`)
    const consumer = parseConsumerPerformance(await tool(s, 'org.apache.kafka.tools.ConsumerPerformance', [
      '--bootstrap-server', bootstrap, '--topic', throughputTopic, '--messages', String(records), '--group', group, '--timeout', '30000'
    ], 300_000))

    log(`EndToEndLatency: ${latencyMessages} mensagens, uma de cada vez (produzir, consumir, medir)`)
    // Its last argument is a properties file; without one, its producer uses the client defaults.
    const endToEnd = parseEndToEndLatency(await tool(s, 'org.apache.kafka.tools.EndToEndLatency', [
      bootstrap, latencyTopic, String(latencyMessages), 'all', String(RECORD_SIZE)
    ], 300_000), latencyMessages)

    return { bootstrap, topics: [throughputTopic, latencyTopic], partitions: layout.partitions, replicationFactor: layout.replicationFactor, recordSize: RECORD_SIZE, lingerMs, acks: 'all', idempotence: true, producer, consumer, endToEnd }
  } finally {
    await admin.deleteTopics({ topics: [throughputTopic, latencyTopic] }).catch(() => {})
    await admin.deleteGroups({ groups: [group] }).catch(() => {})
    await admin.close().catch(() => {})
  }
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('pt-BR', { minimumFractionDigits: digits, maximumFractionDigits: digits })

// EndToEndLatency reports whole milliseconds, so a fast round trip shows as 0.
const ms = (n: number): string => (n === 0 ? '< 1 ms' : `${fmt(n)} ms`)

/** The figures as a small table, in pt-BR for the learner at the terminal. */
export function formatCeilingTable (c: KafkaCeiling): string {
  const rows: Array<[string, string]> = [
    ['Produtor (ProducerPerformance)', `${fmt(c.producer.recordsPerSec)} registros/s · ${fmt(c.producer.mbPerSec, 2)} MB/s · latência p50 ${c.producer.p50Ms} ms, p99 ${c.producer.p99Ms} ms`],
    // fetch.nMsg.sec leaves out the time spent joining the group: the rate the consumer can read at.
    ['Consumidor (ConsumerPerformance)', `${fmt(c.consumer.fetchRecordsPerSec)} registros/s na leitura · ${fmt(c.consumer.recordsPerSec)} registros/s contando a entrada no grupo (${fmt(c.consumer.rebalanceMs)} ms)`],
    ['Ponta a ponta (EndToEndLatency)', `p50 ${ms(c.endToEnd.p50Ms)} · p99 ${ms(c.endToEnd.p99Ms)} · média ${fmt(c.endToEnd.avgMs, 2)} ms (${c.endToEnd.messages} mensagens)`]
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  return [
    `Teto do Kafka nesta máquina: registros de ${c.recordSize} bytes, acks=all, idempotência ligada, linger.ms=${c.lingerMs}, ${c.partitions} partições, replicação ${c.replicationFactor}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)
  ].join('\n')
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const started = Date.now()
  measureKafkaCeiling({ quick, log: line => console.log(`▶ ${line}`) }).then(c => {
    console.log(`\n${formatCeilingTable(c)}\n(${((Date.now() - started) / 1000).toFixed(0)}s${quick ? ', --quick' : ''})`)
  }, err => {
    console.error(`\n${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
}
