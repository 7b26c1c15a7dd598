import { randomBytes, randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import Kafka from 'node-rdkafka'
import pino from 'pino'
import type { TopicSerde } from '@vitrine/contracts'
// The services' own client code, measured as they run it.
import { ConsumerEngine, EventProducer, createRegistry, envKafkaSecurity, kitMetrics } from '@vitrine/service-kit'
import type { WorkerOptions, WorkerResult } from './client.ts'
import { monotonicUs } from './profile.ts'
import { RESULT_PREFIX } from './client.ts'

// M1 in a process of its own, as a service runs it: our producer wrapper (one promise per record,
// settled by its delivery report) and our consumer engine (per-partition queues, offset stored after
// each record), each timed on the same record size and durability as Kafka's own tools.

/** Uppercase letters at random, as ProducerPerformance fills its records. */
function letters (size: number): Buffer {
  const b = randomBytes(size)
  for (let i = 0; i < size; i++) b[i] = 65 + (b[i]! % 26)
  return b
}

/** Records per sendBatch call in M1's producer: the size of a consumer batch the services publish after commit. */
const SEND_BATCH = 500

async function produce (o: WorkerOptions): Promise<WorkerResult> {
  const log = pino({ level: 'warn' })
  const producer = new EventProducer(o.brokers, 'bench-m1-producer', log, o.lingerMs)
  await producer.connect()
  // Distinct payloads and keys, many more than one batch holds, so compression finds no repeats.
  const pool = 8192
  const values = Array.from({ length: pool }, () => letters(o.recordSize))
  const keys = Array.from({ length: pool }, () => randomUUID())
  let next = 0
  let done = 0
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      // In batches, one promise each (sendBatch), as the outbox relay and the post-commit publish send.
      while (next < o.records && next - done < o.window) {
        const from = next
        const n = Math.min(SEND_BATCH, o.records - from)
        next += n
        const batch = Array.from({ length: n }, (_, j) => ({ topic: o.topic, key: keys[(from + j) % pool]!, value: values[(from + j) % pool]!, headers: {} }))
        producer.sendBatch(batch).then(() => {
          done += n
          if (done === o.records) resolve()
          else pump()
        }, reject)
      }
    }
    pump()
  })
  const seconds = (performance.now() - started) / 1000
  await producer.close()
  return { records: o.records, seconds, recordsPerSec: o.records / seconds }
}

async function consume (o: WorkerOptions): Promise<WorkerResult> {
  const log = pino({ level: 'warn' })
  // ConsumerPerformance does not deserialize either: values pass through as bytes.
  const serde = { prefix: '', decode: async (value: Buffer) => value } as unknown as TopicSerde
  let seen = 0
  let first = 0
  let last = 0
  let finish: () => void = () => {}
  const finished = new Promise<void>(resolve => { finish = resolve })
  const engine = new ConsumerEngine({
    service: 'bench',
    groupId: o.group,
    brokers: o.brokers,
    topics: [o.topic],
    prefix: '',
    handler: async () => {
      // Timed from the first record, as ConsumerPerformance's fetch rate leaves out joining the group.
      if (seen === 0) first = performance.now()
      seen++
      if (seen === o.records) {
        last = performance.now()
        finish()
      }
    },
    serde,
    // Only the dead-letter path would use it, and the handler never fails.
    producer: new EventProducer(o.brokers, 'bench-m1-unused', log),
    log,
    metrics: kitMetrics(createRegistry('bench')),
    concurrency: 16,
    retryAttempts: 0,
    retryBackoffMs: 0,
    retryTiers: []
  })
  await engine.start()
  const timeout = setTimeout(() => finish(), 300_000)
  await finished
  clearTimeout(timeout)
  await engine.stop()
  if (seen < o.records) throw new Error(`consumed ${seen} of ${o.records} records before the timeout`)
  // The clock starts at the first record, so it covers records - 1 intervals.
  const seconds = Math.max(0.001, (last - first) / 1000)
  return { records: o.records, seconds, recordsPerSec: (o.records - 1) / seconds }
}

/**
 * The bare node-rdkafka path under the engine: the same consume calls (one record with a timeout
 * when idle, then up to 500 already fetched) and one offset store per record, nothing else.
 * Tells the library's share of the cost from the engine's.
 */
async function consumeRaw (o: WorkerOptions): Promise<WorkerResult> {
  const consumer = new Kafka.KafkaConsumer({
    'metadata.broker.list': o.brokers,
    'group.id': o.group,
    'enable.auto.commit': true,
    'enable.auto.offset.store': false,
    'auto.commit.interval.ms': 1000,
    'fetch.wait.max.ms': 100,
    ...envKafkaSecurity()
  }, { 'auto.offset.reset': 'earliest' })
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  consumer.subscribe([o.topic])
  let seen = 0
  let first = 0
  let before = 0
  let idle = true
  const deadline = Date.now() + 300_000
  while (seen < o.records && Date.now() < deadline) {
    consumer.setDefaultConsumeTimeout(idle ? 100 : 0)
    const messages = await new Promise<Kafka.Message[]>(resolve => consumer.consume(idle ? 1 : 500, (_err, msgs) => resolve(msgs ?? [])))
    idle = messages.length === 0
    // The clock starts when the first batch is in hand, so that batch is not counted.
    if (messages.length > 0 && first === 0) {
      first = performance.now()
      before = messages.length
    }
    for (const m of messages) consumer.offsetsStore([{ topic: m.topic, partition: m.partition, offset: m.offset + 1 }])
    seen += messages.length
  }
  const seconds = Math.max(0.001, (performance.now() - first) / 1000)
  await new Promise<void>(resolve => consumer.disconnect(() => resolve()))
  if (seen < o.records) throw new Error(`consumed ${seen} of ${o.records} records before the timeout`)
  return { records: o.records, seconds, recordsPerSec: (o.records - before) / seconds }
}

const options = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions
const run = { produce, consume, 'consume-raw': consumeRaw }[options.mode]
const fromUs = monotonicUs()
run(options).then(result => {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ result, fromUs, toUs: monotonicUs() })}\n`)
  process.exit(0)
}, err => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
