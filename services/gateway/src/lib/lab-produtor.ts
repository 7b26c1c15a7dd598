import { performance } from 'node:perf_hooks'
import pino from 'pino'
import type Kafka from 'node-rdkafka'
import { Consumer } from '@platformatic/kafka'
import type { Admin } from '@platformatic/kafka'
import { EventProducer, ShopError, sleep } from '@vitrine/service-kit'
import type { Delivered, KafkaReader, KafkaSecurity } from '@vitrine/service-kit'
import type { KafkaConsole } from './kafka-console.ts'
import { ValidationFailed } from './kafka-console.ts'
import { FaultProxy } from './fault-proxy.ts'
import type { ProducerLabStateType, ProducerRunBodyType, ProducerRunType, StoredBatchType } from '../schemas/lab-produtor.ts'
import { PRODUCER_LAB_MAX_SPREAD_MS } from '../schemas/lab-produtor.ts'

// The producer lab (/api/lab/produtor): each run opens a fresh librdkafka producer with the settings
// chosen (acks, linger.ms, batch.size, enable.idempotence), sends `count` records to a one-partition
// lab topic and answers with what its delivery reports said, how long they took, how many Produce
// requests it sent (librdkafka's statistics) and the record batches the broker stored for the run,
// read back with Fetch (each batch's offsets, record count, producer id and sequence). With `fault`,
// the producer goes through the lab's proxy (fault-proxy.ts), which drops the connection after the
// broker wrote the first Produce request, before its answer arrives: the producer sends it again,
// and the log shows whether the broker stored it twice.

const READ_BATCHES = 200
const SHOWN_VALUES = 20
const SHOWN_REPORTS = 20
/** librdkafka's statistics come at most once a second; the run waits for the first one after its last report. */
const STATS_INTERVAL_MS = 1000
const FETCH_MAX_BYTES = 8 * 1024 * 1024

export interface ProducerLabOptions {
  console: KafkaConsole
  reader: KafkaReader
  admin: Admin
  brokers: string
  /** TOPIC_PREFIX: a test's lab topics stay among its own. */
  prefix: string
  security?: KafkaSecurity
  /** The gateway's Kafka login for @platformatic/kafka (the Fetch reader). */
  login?: { sasl?: NonNullable<ConstructorParameters<typeof Consumer>[0]['sasl']> }
}

interface Stats { produceRequests: number }

/** Sums every real broker's Produce request counter (librdkafka's statistics JSON). */
export function produceRequestsOf (json: string): number | null {
  try {
    const s = JSON.parse(json) as { brokers?: Record<string, { nodeid?: number, req?: Record<string, number> }> }
    let n = 0
    for (const b of Object.values(s.brokers ?? {})) if ((b.nodeid ?? -1) >= 0) n += b.req?.Produce ?? 0
    return n
  } catch {
    return null
  }
}

/** The values stored at more than one offset. */
export function duplicatesOf (all: ReadonlyArray<{ offset: number, value: string }>): Array<{ value: string, offsets: number[] }> {
  const by = new Map<string, number[]>()
  for (const r of all) by.set(r.value, [...(by.get(r.value) ?? []), r.offset])
  return [...by].filter(([, o]) => o.length > 1).map(([value, offsets]) => ({ value, offsets }))
}

interface ReadBatches { batches: StoredBatchType[], records: Array<{ offset: number, value: string }> }

export class ProducerLab {
  private fetcher: Consumer | undefined
  private runs = 0
  /** One run at a time: each has its own producer, statistics and (with a fault) proxy. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly o: ProducerLabOptions) {}

  get topicPrefix (): string {
    return `${this.o.prefix}lab.produtor.`
  }

  topicOf (name: string): string {
    return this.topicPrefix + name
  }

  async list (): Promise<Array<{ name: string, topic: string }>> {
    return (await this.o.console.topicNames()).filter(n => n.startsWith(this.topicPrefix)).map(topic => ({ name: topic.slice(this.topicPrefix.length), topic }))
  }

  async create (name: string): Promise<{ name: string, topic: string }> {
    const topic = this.topicOf(name)
    await this.o.console.createTopic({ name: topic, partitions: 1 })
    // A topic just created can take a moment to be in the metadata a write needs.
    const deadline = Date.now() + 10_000
    while ((await this.o.reader.partitions(topic)).length === 0 && Date.now() < deadline) await sleep(100)
    return { name, topic }
  }

  private async existing (name: string): Promise<string> {
    const topic = this.topicOf(name)
    if ((await this.o.reader.partitions(topic)).length === 0) throw new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `lab topic ${name} (${topic}) does not exist`, 404, { topic })
    return topic
  }

  async delete (name: string): Promise<void> {
    await this.o.console.deleteTopic(this.topicOf(name))
  }

  private consumer (): Consumer {
    // Never joins a group: it only sends Fetch requests (Consumer.fetch), whose answers carry the record batches.
    this.fetcher ??= new Consumer({ clientId: 'gateway-lab-produtor', groupId: 'gateway-lab-produtor-reader', bootstrapBrokers: this.o.brokers.split(','), timeout: 10_000, retries: 3, ...(this.o.login ?? {}) })
    return this.fetcher
  }

  /** The record batches stored between `from` and `until` (partition 0), as Fetch answers them. */
  async readBatches (topic: string, from: number, until: number): Promise<ReadBatches> {
    const out: ReadBatches = { batches: [], records: [] }
    if (until <= from) return out
    const c = this.consumer()
    const meta = await c.metadata({ topics: [topic], forceUpdate: true })
    const t = meta.topics.get(topic)
    const leader = t?.partitions[0]?.leader
    if (!t || leader === undefined || leader < 0) throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `partition 0 of ${topic} has no leader`, 502, { topic })
    let offset = from
    while (offset < until) {
      const res = await c.fetch({
        node: leader,
        maxWaitTime: 50,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        topics: [{ topicId: t.id, partitions: [{ partition: 0, fetchOffset: BigInt(offset), currentLeaderEpoch: -1, lastFetchedEpoch: -1, partitionMaxBytes: FETCH_MAX_BYTES }] }]
      })
      const p = res.responses[0]?.partitions[0]
      if (p && p.errorCode !== 0) throw new ShopError('SHOP_ERR_UPSTREAM', `the broker answered Fetch of ${topic} with error ${p.errorCode}`, 502, { topic, errorCode: p.errorCode })
      const batches = p?.records ?? []
      if (batches.length === 0) break
      for (const b of batches) {
        const base = Number(b.firstOffset)
        const last = base + b.lastOffsetDelta
        // A fetch from the middle of a batch answers the whole batch; Kafka's control batches (transaction markers) are not records.
        if (last < offset) continue
        const values = b.records.map(r => r.value?.toString('utf8') ?? '')
        b.records.forEach((r, i) => { out.records.push({ offset: base + r.offsetDelta, value: values[i]! }) })
        out.batches.push({ baseOffset: base, lastOffset: last, records: b.records.length, sizeBytes: b.length + 12, producerId: Number(b.producerId), producerEpoch: b.producerEpoch, baseSequence: b.firstSequence, values: values.slice(0, SHOWN_VALUES) })
        offset = last + 1
      }
    }
    out.batches = out.batches.filter(b => b.lastOffset >= from && b.baseOffset < until)
    out.records = out.records.filter(r => r.offset >= from && r.offset < until)
    return out
  }

  /** The topic's log now: its batches (the newest READ_BATCHES) and the values stored twice. */
  async state (name: string): Promise<ProducerLabStateType> {
    const topic = await this.existing(name)
    const [w, meta] = await Promise.all([this.o.reader.watermarks(topic, 0), this.o.reader.metadata(topic)])
    const p0 = meta.topics.find(t => t.name === topic)?.partitions.find(p => p.id === 0)
    const read = await this.readBatches(topic, w.low, w.high)
    return { name, topic, low: w.low, high: w.high, replicas: p0?.replicas?.length ?? 0, isr: p0?.isrs?.length ?? 0, batchCount: read.batches.length, batches: read.batches.slice(-READ_BATCHES), duplicates: duplicatesOf(read.records), readAt: Date.now() }
  }

  /** Rules that depend on more than one field (the schema checks each alone). */
  private check (s: ProducerRunBodyType): void {
    const errors = []
    if (s.idempotence && s.acks !== 'all') errors.push({ field: 'body.idempotence', rule: 'acks', message: 'needs acks=all (librdkafka refuses enable.idempotence with acks 0 or 1)' })
    if (s.fault && s.acks === '0') errors.push({ field: 'body.fault', rule: 'acks', message: 'needs acks 1 or all: with acks=0 the broker sends no answer to drop' })
    if (s.count * s.spacingMs > PRODUCER_LAB_MAX_SPREAD_MS) errors.push({ field: 'body.spacingMs', rule: 'maximum', message: `count × spacingMs must be at most ${PRODUCER_LAB_MAX_SPREAD_MS} ms (it is ${s.count * s.spacingMs})` })
    if (errors.length > 0) throw new ValidationFailed(errors)
  }

  async run (name: string, settings: ProducerRunBodyType): Promise<ProducerRunType> {
    this.check(settings)
    const topic = await this.existing(name)
    const go = this.queue.then(async () => await this.runNow(topic, settings))
    this.queue = go.catch(() => {})
    return await go
  }

  private async runNow (topic: string, s: ProducerRunBodyType): Promise<ProducerRunType> {
    const run = ++this.runs
    const proxy = s.fault ? await FaultProxy.start([...(await this.o.admin.metadata({ topics: [], forceUpdate: true })).brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port }))) : undefined
    const config: Record<string, string> = {
      acks: s.acks,
      'linger.ms': String(s.lingerMs),
      'batch.size': String(s.batchSize),
      'enable.idempotence': String(s.idempotence),
      'compression.type': 'none',
      'statistics.interval.ms': String(STATS_INTERVAL_MS)
    }
    let last: Stats | undefined
    let statsWaiter: ((st: Stats) => void) | undefined
    const producer = new EventProducer(proxy?.bootstrap ?? this.o.brokers, `gateway-lab-produtor-${run}`, pino({ level: 'silent' }), s.lingerMs, {
      ...(this.o.security ? { security: this.o.security } : {}),
      // acks is a topic setting: in the global config node-rdkafka would drop it (and send with acks=all).
      topicConfig: { acks: s.acks === 'all' ? -1 : Number(s.acks), 'message.timeout.ms': 30_000 },
      config: {
        'linger.ms': s.lingerMs,
        'compression.type': 'none',
        'enable.idempotence': s.idempotence,
        'batch.size': s.batchSize,
        'statistics.interval.ms': STATS_INTERVAL_MS,
        // The proxy listens on 127.0.0.1; the brokers' own names are never used through it.
        ...(proxy ? { 'broker.address.family': 'v4', 'reconnect.backoff.ms': 50 } : {})
      } as Partial<Kafka.ProducerGlobalConfig>,
      onStats: json => {
        const n = produceRequestsOf(json)
        if (n === null) return
        last = { produceRequests: n }
        statsWaiter?.(last)
      }
    })
    try {
      await producer.connect()
      const from = (await this.o.reader.watermarks(topic, 0)).high
      const values = Array.from({ length: s.count }, (_, i) => `r${run}-${String(i + 1).padStart(4, '0')}`)
      const record = (value: string): { topic: string, key: null, value: Buffer, headers: Record<string, string> } => ({ topic, key: null, value: Buffer.from(value), headers: {} })
      proxy?.dropNextProduceResponses(1)
      const started = performance.now()
      let results: Array<Delivered | Error>
      if (s.spacingMs === 0) {
        results = await producer.sendEach(values.map(record))
      } else {
        // Records arriving over time, as a service's events do: each handed over after the pause.
        const sends: Array<Promise<Delivered | Error>> = []
        for (const v of values) {
          sends.push(producer.send(record(v)).catch((err: unknown) => err instanceof Error ? err : new Error(String(err))))
          await sleep(s.spacingMs)
        }
        results = await Promise.all(sends)
      }
      const elapsedMs = Math.round((performance.now() - started) * 10) / 10
      // The statistics that follow the last report count every Produce request of this producer.
      const stats = await new Promise<Stats | undefined>(resolve => {
        const timer = setTimeout(() => resolve(last), STATS_INTERVAL_MS * 2)
        statsWaiter = st => { clearTimeout(timer); resolve(st) }
      })
      const to = (await this.o.reader.watermarks(topic, 0)).high
      const read = await this.readBatches(topic, from, to)
      const errors = results.filter((r): r is Error => r instanceof Error)
      const reports = results.map((r, i) => ({ value: values[i]!, rawOffset: r instanceof Error ? -1 : r.offset, offset: r instanceof Error || r.offset < 0 ? null : r.offset }))
      const known = reports.filter(r => r.offset !== null).map(r => r.offset!)
      return {
        run,
        topic,
        settings: s,
        config,
        elapsedMs,
        delivered: results.length - errors.length,
        failed: errors.length,
        errors: [...new Set(errors.map(e => e.message))],
        knownOffsets: known.length,
        offsets: known.length > 0 ? { first: Math.min(...known), last: Math.max(...known) } : null,
        reports: reports.slice(0, SHOWN_REPORTS),
        produceRequests: stats?.produceRequests ?? null,
        stored: { from, to, records: to - from, batchCount: read.batches.length, batches: read.batches.slice(0, READ_BATCHES) },
        duplicates: duplicatesOf(read.records),
        proxy: proxy ? { ...proxy.counts } : null
      }
    } finally {
      await producer.close().catch(() => {})
      await proxy?.close()
    }
  }

  async close (): Promise<void> {
    await this.queue
    const f = this.fetcher
    this.fetcher = undefined
    await f?.close().catch(() => {})
  }
}
