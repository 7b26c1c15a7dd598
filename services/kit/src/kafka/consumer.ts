import Kafka from 'node-rdkafka'
import type { Logger } from 'pino'
import { DLQ_TOPIC, HEADERS, RETRY_TIERS } from '@vitrine/contracts'
import type { TopicSerde } from '@vitrine/contracts'
import type { EventProducer } from './producer.ts'
import type { KitMetrics } from '../metrics.ts'
import { isRetryable } from '../errors.ts'

export interface ConsumedRecord {
  /** Logical catalog name (the topic prefix removed); for a retried record, its original topic. */
  topic: string
  partition: number
  offset: number
  key: string | null
  value: unknown
  headers: Record<string, string>
  timestamp: number
  /** 0 on first delivery; the retry tier number (1..n) when it comes back from a retry topic. */
  attempt: number
}

export type Handler = (record: ConsumedRecord, log: Logger) => Promise<void>

export interface ConsumerEngineOptions {
  service: string
  groupId: string
  brokers: string
  /** Logical topic names; the retry topics are added for this group automatically. */
  topics: readonly string[]
  prefix: string
  handler: Handler
  serde: TopicSerde
  producer: EventProducer
  log: Logger
  metrics: KitMetrics
  concurrency: number
  retryAttempts: number
  retryBackoffMs: number
  retryTiers?: ReadonlyArray<{ topic: string, delayMs: number }>
  /** Queued records of one partition at which it is paused for backpressure, and resumed. */
  highWater?: number
  lowWater?: number
}

interface PartitionQueue { items: Kafka.Message[], running: boolean, paused: boolean }

// Pausing a partition makes librdkafka drop what it had already fetched for it and fetch that again
// on resume, so the marks are far apart: at 500/100 a busy partition paused every 400 records.
const HIGH_WATER = 1000
const LOW_WATER = 250
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

export function headersOf (message: Kafka.Message): Record<string, string> {
  const out: Record<string, string> = {}
  for (const h of message.headers ?? []) {
    for (const [k, v] of Object.entries(h)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v)
  }
  return out
}

class Stopped extends Error {}

/**
 * One consumer group member. Records of a partition are handled one at a time, in order;
 * partitions run side by side up to `concurrency`. An offset is stored only after its record is
 * handled, dead-lettered or handed to a retry topic, so a crash re-delivers and never skips.
 * A failing record is retried in process with backoff, then goes through the retry topics
 * (orders.retry.5s → 30s → 5m), then to orders.dlq with its origin in the headers; a record that
 * cannot be decoded goes to the DLQ at once. Either way the partition moves on.
 */
export class ConsumerEngine {
  private readonly consumer: Kafka.KafkaConsumer
  private readonly queues = new Map<string, PartitionQueue>()
  private readonly tiers: ReadonlyArray<{ topic: string, delayMs: number }>
  private active = 0
  private readonly waiting: Array<() => void> = []
  private running = false
  private pumpDone: Promise<void> = Promise.resolve()
  private readonly workers = new Set<Promise<void>>()

  constructor (private readonly o: ConsumerEngineOptions) {
    this.tiers = o.retryTiers ?? RETRY_TIERS
    this.consumer = new Kafka.KafkaConsumer({
      'metadata.broker.list': o.brokers,
      'group.id': o.groupId,
      'client.id': `${o.service}-${o.groupId}`,
      'enable.auto.commit': true,
      'enable.auto.offset.store': false,
      'auto.commit.interval.ms': 1000,
      'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 2_000,
      'fetch.wait.max.ms': 100,
      'socket.keepalive.enable': true,
      rebalance_cb: (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) => this.onRebalance(err, assignment)
    } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' })
    this.consumer.on('event.error', err => o.log.warn({ err }, 'kafka consumer error'))
  }

  private raw (logical: string): string {
    return this.o.prefix + logical
  }

  private logical (raw: string): string {
    return raw.startsWith(this.o.prefix) ? raw.slice(this.o.prefix.length) : raw
  }

  private onRebalance (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.consumer.assign(assignment)
      this.o.log.info({ groupId: this.o.groupId, partitions: assignment.map(a => `${a.topic}[${a.partition}]`) }, 'partitions assigned')
    } else {
      // What is queued for a revoked partition will be delivered to its next owner from the stored offset.
      for (const a of assignment) {
        const q = this.queues.get(`${a.topic}:${a.partition}`)
        if (q) q.items.length = 0
      }
      this.consumer.unassign()
      this.o.log.info({ groupId: this.o.groupId }, 'partitions revoked')
    }
  }

  async start (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.consumer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve()))
    })
    this.consumer.subscribe([...this.o.topics.map(t => this.raw(t)), ...this.tiers.map(t => this.raw(t.topic))])
    this.running = true
    this.pumpDone = this.pump()
  }

  get isRunning (): boolean {
    return this.running && this.consumer.isConnected()
  }

  /**
   * Waits up to 100 ms for one record, then takes whatever else is already fetched without waiting.
   * consume(500) with a timeout would hold records until 500 arrive or none comes for the whole
   * timeout: every hop of a saga at a steady trickle waited those 100 ms.
   */
  private async pump (): Promise<void> {
    let idle = true
    while (this.running) {
      this.consumer.setDefaultConsumeTimeout(idle ? 100 : 0)
      const messages = await new Promise<Kafka.Message[]>(resolve => {
        this.consumer.consume(idle ? 1 : 500, (err, msgs) => {
          if (err) this.o.log.warn({ err }, 'consume failed')
          resolve(msgs ?? [])
        })
      })
      for (const m of messages) this.enqueue(m)
      idle = messages.length === 0
    }
  }

  private enqueue (m: Kafka.Message): void {
    const key = `${m.topic}:${m.partition}`
    let q = this.queues.get(key)
    if (!q) {
      q = { items: [], running: false, paused: false }
      this.queues.set(key, q)
    }
    q.items.push(m)
    if (!q.paused && q.items.length >= HIGH_WATER) {
      q.paused = true
      this.consumer.pause([{ topic: m.topic, partition: m.partition }])
    }
    if (!q.running) {
      const w = this.drain(q).catch(err => {
        if (!(err instanceof Stopped)) this.o.log.error({ err }, 'partition worker failed')
      })
      this.workers.add(w)
      w.finally(() => this.workers.delete(w)).catch(() => {})
    }
  }

  private async acquire (): Promise<void> {
    if (this.active < this.o.concurrency) {
      this.active++
      return
    }
    await new Promise<void>(resolve => this.waiting.push(resolve))
  }

  private release (): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.active--
  }

  private async drain (q: PartitionQueue): Promise<void> {
    q.running = true
    try {
      while (this.running && q.items.length > 0) {
        const m = q.items[0]!
        // A retried record waits for its due time without holding a concurrency slot.
        const dueAt = Number(headersOf(m)[HEADERS.retryDueAt] ?? 0)
        while (this.running && dueAt > Date.now()) await sleep(Math.min(250, dueAt - Date.now()))
        if (!this.running) throw new Stopped()
        await this.acquire()
        try {
          await this.process(m)
        } finally {
          this.release()
        }
        if (q.items[0] !== m) continue // revoked meanwhile
        q.items.shift()
        try {
          this.consumer.offsetsStore([{ topic: m.topic, partition: m.partition, offset: m.offset + 1 }])
        } catch (err) {
          this.o.log.warn({ err, topic: m.topic, partition: m.partition }, 'offset store failed (partition revoked?)')
        }
        if (q.paused && q.items.length <= LOW_WATER) {
          q.paused = false
          this.consumer.resume([{ topic: m.topic, partition: m.partition }])
        }
      }
    } finally {
      q.running = false
    }
  }

  private tierOf (rawTopic: string): number {
    return this.tiers.findIndex(t => this.raw(t.topic) === rawTopic)
  }

  private async process (m: Kafka.Message): Promise<void> {
    const headers = headersOf(m)
    const tier = this.tierOf(m.topic)
    const origin = tier >= 0
      ? { topic: this.logical(headers[HEADERS.originalTopic] ?? ''), partition: Number(headers[HEADERS.originalPartition]), offset: Number(headers[HEADERS.originalOffset]) }
      : { topic: this.logical(m.topic), partition: m.partition, offset: m.offset }
    if (tier >= 0 && headers[HEADERS.retryGroup] !== this.o.groupId) return // another group's retry
    const key = m.key ? m.key.toString() : null
    const log = this.o.log.child({ orderId: key, topic: origin.topic, partition: origin.partition, offset: origin.offset, ...(tier >= 0 ? { retryTier: tier + 1 } : {}) })
    const timer = this.o.metrics.processing.startTimer({ topic: origin.topic })
    let value: unknown
    try {
      if (!m.value) throw new Error('record has no value')
      value = await this.o.serde.decode(m.value)
    } catch (err) {
      log.error({ err }, 'undecodable record, sending to the dead-letter topic')
      await this.deadLetter(m, origin, headers, err, Number(headers[HEADERS.attempts] ?? 0), 'undecodable')
      timer()
      return
    }
    const record: ConsumedRecord = { topic: origin.topic, partition: origin.partition, offset: origin.offset, key, value, headers, timestamp: m.timestamp ?? Date.now(), attempt: tier + 1 }
    const attempts = tier >= 0 ? 1 : 1 + this.o.retryAttempts
    let lastError: unknown
    // Handler calls so far, across the in-process tries and the retry tiers.
    let tries = tier >= 0 ? Number(headers[HEADERS.attempts] ?? 0) : 0
    for (let i = 0; i < attempts; i++) {
      tries++
      try {
        await this.o.handler(record, log)
        this.o.metrics.consumed.inc({ topic: origin.topic, outcome: 'ok' })
        timer()
        return
      } catch (err) {
        lastError = err
        if (!isRetryable(err)) break
        log.warn({ err, attempt: i + 1 }, 'handler failed, retrying')
        if (i < attempts - 1) await sleep(this.o.retryBackoffMs * 2 ** i)
      }
    }
    timer()
    const nextTier = tier + 1
    if (isRetryable(lastError) && nextTier < this.tiers.length) {
      await this.toRetryTier(m, origin, headers, lastError, nextTier, tries)
      this.o.metrics.consumed.inc({ topic: origin.topic, outcome: 'retried' })
    } else {
      log.error({ err: lastError }, 'handler failed for good, sending to the dead-letter topic')
      await this.deadLetter(m, origin, headers, lastError, tries, isRetryable(lastError) ? 'retries_exhausted' : 'permanent')
    }
  }

  private originHeaders (origin: { topic: string, partition: number, offset: number }, headers: Record<string, string>, err: unknown, attempts: number): Record<string, string> {
    return {
      ...headers,
      [HEADERS.originalTopic]: this.raw(origin.topic),
      [HEADERS.originalPartition]: String(origin.partition),
      [HEADERS.originalOffset]: String(origin.offset),
      [HEADERS.error]: (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000),
      [HEADERS.attempts]: String(attempts),
      [HEADERS.failedBy]: `${this.o.service}/${this.o.groupId}`
    }
  }

  private async toRetryTier (m: Kafka.Message, origin: { topic: string, partition: number, offset: number }, headers: Record<string, string>, err: unknown, tier: number, tries: number): Promise<void> {
    const t = this.tiers[tier]!
    await this.o.producer.send({
      topic: this.raw(t.topic),
      key: m.key ? m.key.toString() : '',
      value: m.value ?? Buffer.alloc(0),
      headers: { ...this.originHeaders(origin, headers, err, tries), [HEADERS.retryGroup]: this.o.groupId, [HEADERS.retryDueAt]: String(Date.now() + t.delayMs) }
    })
    this.o.metrics.retries.inc({ topic: origin.topic, tier: t.topic })
  }

  private async deadLetter (m: Kafka.Message, origin: { topic: string, partition: number, offset: number }, headers: Record<string, string>, err: unknown, attempts: number, reason: string): Promise<void> {
    const h = this.originHeaders(origin, headers, err, attempts)
    delete h[HEADERS.retryDueAt]
    delete h[HEADERS.retryGroup]
    await this.o.producer.send({ topic: this.raw(DLQ_TOPIC), key: m.key ? m.key.toString() : '', value: m.value ?? Buffer.alloc(0), headers: h })
    this.o.metrics.deadLetters.inc({ topic: origin.topic, reason })
    this.o.metrics.consumed.inc({ topic: origin.topic, outcome: 'dead_lettered' })
  }

  /** Stop intake, let in-flight records finish, commit the stored offsets, then leave the group. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    await this.pumpDone
    await Promise.allSettled([...this.workers])
    try {
      this.consumer.commitSync(null)
    } catch {
      // Nothing stored since the last auto-commit.
    }
    await new Promise<void>(resolve => this.consumer.disconnect(() => resolve()))
  }
}
