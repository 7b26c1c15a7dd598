import Kafka from 'node-rdkafka'
import type { Logger } from '../log.ts'
import { backoffMs, sleep } from '../time.ts'
import { PARTITIONER } from './partitioner.ts'
import type { KafkaSecurity } from './security.ts'
import { KafkaAuthenticationError, envKafkaSecurity, kafkaPrincipal, saslFailure } from './security.ts'

export interface OutgoingRecord {
  topic: string
  /** null: no key, the partitioner picks a random partition (the partitions lab's null-key records). */
  key: string | null
  /** null: a tombstone (deletes the key from a compacted topic; the compaction lab writes them). */
  value: Buffer | null
  headers: Record<string, string>
}

export interface Delivered { topic: string, partition: number, offset: number }

/** Records handed to librdkafka together: one promise, settled by the last of their delivery reports. */
interface Batch {
  client: Kafka.Producer
  results: Array<Delivered | Error>
  left: number
  failed: Error | undefined
  /** Settle with every record's own outcome (sendEach) instead of rejecting with the first failure. */
  each: boolean
  resolve: (d: Array<Delivered | Error>) => void
  reject: (err: Error) => void
}

/** A record's opaque: its batch and its place in it (librdkafka hands it back in the delivery report). */
interface Slot { batch: Batch, index: number }

type Headers = Array<Record<string, string>>

export interface ProducerOptions {
  /** How long librdkafka keeps trying to deliver a record before its send rejects (message.timeout.ms). */
  messageTimeoutMs?: number
  /** Called on a fatal error (the producer is being recreated) and once it is recreated. */
  onFatal?: (err: Error) => void
  onRecreated?: () => void
  /** The principal's credentials (kit's rdkafkaSecurity of the service's config); the process's KAFKA_SASL_* when left out. */
  security?: KafkaSecurity
  /** A record the broker (or librdkafka) refused, with the error's Kafka name (kafkaErrorName): the service's metric and log. */
  onDeliveryError?: (topic: string, code: string) => void
  /** librdkafka settings laid over the defaults above (the producer lab varies acks, linger.ms, batch.size and idempotence). */
  config?: Partial<Kafka.ProducerGlobalConfig>
  /**
   * librdkafka topic settings (acks, message.timeout.ms): node-rdkafka replaces the global config's
   * topic defaults with its topic config, so a topic setting only takes effect here.
   */
  topicConfig?: Partial<Kafka.ProducerTopicConfig>
  /** librdkafka's statistics (JSON), every statistics.interval.ms set in `config`. */
  onStats?: (json: string) => void
}

// How often delivery reports are read while a batch waits for them (they settle its promise), and
// when none does: an idle service polled 200 times a second for nothing.
const POLL_BUSY_MS = 5
const POLL_IDLE_MS = 100

const ERROR_NAMES = new Map<number, string>(Object.entries(Kafka.CODES.ERRORS).map(([name, code]) => [code, name.replace(/^ERR_+/, '')]))

/**
 * The Kafka name of a produce error, as the broker's protocol and `kafka-*` tools say it
 * (TOPIC_AUTHORIZATION_FAILED, MSG_TIMED_OUT): a metric label and a log field a student can look up.
 * A delivery report's error may carry code -1 with only librdkafka's text ("Broker: Topic
 * authorization failed"), so the name comes from the text then.
 */
export function kafkaErrorName (err: { code?: number, message: string }): string {
  const known = err.code !== undefined && err.code !== -1 ? ERROR_NAMES.get(err.code) : undefined
  if (known !== undefined) return known
  const text = err.message.replace(/^(Broker|Local): /, '').trim()
  return text === '' ? 'UNKNOWN' : text.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 60)
}

/** A send that failed because its producer hit a fatal error; the caller's retry goes to the new producer. */
export class ProducerFatalError extends Error {
  code = 'SHOP_ERR_PRODUCER_FATAL'
}

/**
 * node-rdkafka producer with one promise per batch of records (sendBatch; send is a batch of one),
 * settled once every record of it has its delivery report: its first error rejects it.
 * Idempotent with acks=all: a retried send never duplicates or reorders within a partition.
 *
 * After a fatal error (the idempotent producer lost its guarantees, e.g. a sequence it cannot
 * recover) librdkafka fails every later send. The producer is then recreated: not ready meanwhile,
 * sends wait for the new one, and a send in flight on the old one rejects (it was never
 * acknowledged, so its caller still holds it: the outbox row stays unsent, the engine retries).
 */
export class EventProducer {
  private producer: Kafka.Producer
  /** Batches not settled yet (one entry per batch, not per record): a recreated client rejects its own. */
  private readonly pending = new Set<Batch>()
  /** One header list for every produce call: librdkafka copies the headers before produce returns. */
  private readonly headerList: Headers = []
  private connected = false
  private pollMs = 0
  private pollTimer: NodeJS.Timeout | undefined
  private recreating: Promise<void> | undefined
  private fatal: { message: string, at: number } | undefined
  private readonly security: KafkaSecurity
  /** The broker refused our SASL login: the producer never connects and readiness says why. */
  private authFailure: KafkaAuthenticationError | undefined
  private onAuthFailure: ((err: KafkaAuthenticationError) => void) | undefined

  constructor (private readonly brokers: string, private readonly clientId: string, private readonly log: Logger, private readonly lingerMs = 5, private readonly options: ProducerOptions = {}) {
    this.security = options.security ?? envKafkaSecurity()
    this.producer = this.create()
  }

  /** Set when the broker refused this producer's SASL login (wrong password, unknown user). */
  get authenticationError (): KafkaAuthenticationError | undefined {
    return this.authFailure
  }

  private create (): Kafka.Producer {
    const producer = new Kafka.Producer({
      'metadata.broker.list': this.brokers,
      'client.id': this.clientId,
      'enable.idempotence': true,
      'linger.ms': this.lingerMs,
      'compression.type': 'lz4',
      dr_cb: true,
      'socket.keepalive.enable': true,
      'queue.buffering.max.messages': 200_000,
      ...this.options.config,
      ...this.security
    // Topic settings go in the topic config: node-rdkafka always sets one (empty by default), and it
    // replaces whatever topic settings the global config held (a message.timeout.ms there was 300 s).
    // murmur2, as Kafka's Java clients: a key lands on the same partition whoever writes it.
    } as Kafka.ProducerGlobalConfig, {
      partitioner: PARTITIONER,
      acks: -1,
      ...(this.options.messageTimeoutMs !== undefined ? { 'message.timeout.ms': this.options.messageTimeoutMs } : {}),
      ...this.options.topicConfig
    })
    // A refused SASL login only shows in librdkafka's log (security.ts saslFailure): connect() fails at once with it.
    producer.on('event.log', e => {
      const reason = saslFailure(e.message)
      if (reason === undefined || this.authFailure) return
      this.authFailure = new KafkaAuthenticationError(kafkaPrincipal(this.security), reason)
      this.log.error({ principal: kafkaPrincipal(this.security), brokers: this.brokers, reason }, `kafka authentication failed for principal ${kafkaPrincipal(this.security)}: nothing will be produced until its credentials are fixed and the service restarted`)
      this.onAuthFailure?.(this.authFailure)
    })
    producer.on('delivery-report', (err, report) => {
      const slot = report.opaque as Slot | undefined
      if (!slot) return
      const b = slot.batch
      if (err) {
        const e = Object.assign(new Error(err.message), { code: err.code })
        this.options.onDeliveryError?.(report.topic, kafkaErrorName(err))
        b.failed ??= e
        b.results[slot.index] = e
      } else {
        b.results[slot.index] = { topic: report.topic, partition: report.partition, offset: Number(report.offset) }
      }
      if (--b.left === 0) this.settle(b)
    })
    const onStats = this.options.onStats
    if (onStats) producer.on('event.stats', (s: { message: string }) => onStats(s.message))
    producer.on('event.error', err => {
      if (err.code === Kafka.CODES.ERRORS.ERR__FATAL || (err as { isFatal?: boolean }).isFatal === true) this.onFatal(producer, Object.assign(new Error(err.message), { code: err.code }))
      else this.log.warn({ err }, 'kafka producer error')
    })
    return producer
  }

  private async open (producer: Kafka.Producer): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.onAuthFailure = reject
      if (this.authFailure) reject(this.authFailure)
      producer.connect({ timeout: 15_000 }, err => (err ? reject(this.authFailure ?? err) : resolve()))
    }).finally(() => { this.onAuthFailure = undefined })
    // Delivery reports only arrive while the producer is polled: often while a batch waits for
    // them, seldom when none does (errors are read by the same poll).
    this.pollEvery(this.pollMs === 0 ? POLL_IDLE_MS : this.pollMs)
  }

  /**
   * Polls the current client every `ms`, changing the timer only when that changes. Our own timer, not
   * node-rdkafka's setPollInterval: each of its calls adds a 'disconnected' listener, and this switches
   * between busy and idle on every batch.
   */
  private pollEvery (ms: number): void {
    if (this.pollMs === ms && this.pollTimer !== undefined) return
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer)
    this.pollMs = ms
    this.pollTimer = setInterval(() => {
      // A client being recreated or closed throws here; its successor is polled on the next tick.
      try { this.producer.poll() } catch {}
    }, ms).unref()
  }

  async connect (): Promise<void> {
    await this.open(this.producer)
    this.connected = true
  }

  get isConnected (): boolean {
    return this.connected && !this.recreating && this.producer.isConnected()
  }

  /** Not ready while a fatal error is being recovered from; says why. */
  health (): { ok: boolean, detail?: string } {
    if (this.authFailure) return { ok: false, detail: this.authFailure.message }
    if (this.fatal && this.recreating) return { ok: false, detail: `fatal producer error ${Math.round((Date.now() - this.fatal.at) / 1000)}s ago, recreating the producer: ${this.fatal.message}` }
    return this.isConnected ? { ok: true } : { ok: false, detail: 'producer not connected' }
  }

  private onFatal (client: Kafka.Producer, err: Error): void {
    if (client !== this.producer || this.recreating) return
    this.fatal = { message: err.message, at: Date.now() }
    this.log.error({ err }, 'fatal producer error: recreating the producer')
    this.options.onFatal?.(err)
    this.recreating = this.recreate(client).finally(() => { this.recreating = undefined })
  }

  private async recreate (old: Kafka.Producer): Promise<void> {
    // Sends made from now on wait for the new client (send awaits `recreating`).
    for (let attempt = 0; this.connected; attempt++) {
      const next = this.create()
      try {
        await this.open(next)
        this.producer = next
        this.pollEvery(POLL_IDLE_MS)
        break
      } catch (err) {
        this.log.warn({ err, attempt }, 'could not connect the new producer yet')
        await sleep(backoffMs(attempt, { minMs: 500, maxMs: 10_000 }))
      }
    }
    // Whatever the old client still holds was never acknowledged: its senders get an error and retry.
    for (const b of this.pending) {
      if (b.client !== old) continue
      b.failed = new ProducerFatalError(`producer recreated after a fatal error (${this.fatal?.message ?? ''}); the record was not acknowledged`)
      // Only the records without a report: one acknowledged before the fatal error stays acknowledged.
      for (let i = 0; i < b.results.length; i++) b.results[i] ??= b.failed
      this.settle(b)
    }
    await new Promise<void>(resolve => old.disconnect(2_000, () => resolve()))
    if (this.connected) {
      this.log.info('producer recreated')
      this.options.onRecreated?.()
    }
  }

  private settle (b: Batch): void {
    if (!this.pending.delete(b)) return
    if (this.pending.size === 0) this.pollEvery(POLL_IDLE_MS)
    if (b.failed && !b.each) b.reject(b.failed)
    else b.resolve(b.results)
  }

  private headersOf (headers: Record<string, string>): Headers {
    const list = this.headerList
    list.length = 0
    // librdkafka reads one header per object (its first own key).
    for (const k in headers) list.push({ [k]: headers[k]! })
    return list
  }

  async send (record: OutgoingRecord): Promise<Delivered> {
    return (await this.sendBatch([record]))[0]!
  }

  /**
   * Hands every record to librdkafka at once and resolves with their deliveries, in the records'
   * order, when the last report arrives: one promise and one pending entry per batch instead of one
   * per record. Rejects with the first failure; records of the batch that were stored stay stored
   * (the idempotent producer keeps each partition's order), so a caller retries the whole batch and
   * its consumers' dedup drops the copies.
   */
  async sendBatch (records: readonly OutgoingRecord[]): Promise<Delivered[]> {
    return await this.produceAll(records, false) as Delivered[]
  }

  /**
   * Like sendBatch, one promise for the batch, but it never rejects: each record's delivery or its
   * own error, in the records' order. For a caller that keeps going with the records that made it
   * (the outbox's post-commit publish marks those and leaves the others' keys to its relay).
   */
  async sendEach (records: readonly OutgoingRecord[]): Promise<Array<Delivered | Error>> {
    return await this.produceAll(records, true)
  }

  private async produceAll (records: readonly OutgoingRecord[], each: boolean): Promise<Array<Delivered | Error>> {
    if (records.length === 0) return []
    if (this.authFailure) throw this.authFailure
    if (this.recreating) await this.recreating
    const client = this.producer
    return await new Promise<Array<Delivered | Error>>((resolve, reject) => {
      const batch: Batch = { client, results: new Array<Delivered | Error>(records.length), left: records.length, failed: undefined, each, resolve, reject }
      this.pending.add(batch)
      if (client === this.producer) this.pollEvery(POLL_BUSY_MS)
      const produce = (index: number, tries: number): void => {
        const now = Date.now()
        for (let i = index; i < records.length; i++) {
          const r = records[i]!
          try {
            client.produce(r.topic, null, r.value, r.key, now, { batch, index: i } satisfies Slot, this.headersOf(r.headers))
          } catch (err) {
            // A full local queue is back-pressure, not failure: wait for deliveries to drain it, then go on from this record.
            if ((err as { code?: number }).code === Kafka.CODES.ERRORS.ERR__QUEUE_FULL && tries < 200) {
              setTimeout(() => produce(i, tries + 1), 10)
              return
            }
            // The records not handed over never get a report: count them as settled.
            const e = err instanceof Error ? err : new Error(String(err))
            batch.failed ??= e
            for (let j = i; j < records.length; j++) batch.results[j] = e
            batch.left -= records.length - i
            if (batch.left === 0) this.settle(batch)
            return
          }
        }
      }
      produce(0, 0)
    })
  }

  /** Same as sendBatch (kept for callers written before it). */
  async sendAll (records: OutgoingRecord[]): Promise<Delivered[]> {
    return await this.sendBatch(records)
  }

  /** Cluster metadata within the timeout: the readiness probe's proof that the broker answers. */
  async ping (timeoutMs = 2000): Promise<number> {
    const h = this.health()
    if (!h.ok) throw new Error(h.detail)
    return await new Promise((resolve, reject) => {
      this.producer.getMetadata({ timeout: timeoutMs, allTopics: false } as Kafka.MetadataOptions, (err, meta) => (err ? reject(err) : resolve(meta.brokers.length)))
    })
  }

  async close (): Promise<void> {
    if (!this.connected) return
    this.connected = false
    if (this.recreating) await this.recreating
    await new Promise<void>(resolve => this.producer.flush(10_000, () => resolve()))
    await new Promise<void>(resolve => this.producer.disconnect(5_000, () => resolve()))
    clearInterval(this.pollTimer)
    this.pollTimer = undefined
    this.pollMs = 0
  }
}
