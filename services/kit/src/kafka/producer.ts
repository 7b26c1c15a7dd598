import Kafka from 'node-rdkafka'
import type { Logger } from '../log.ts'
import { backoffMs, sleep } from '../time.ts'

export interface OutgoingRecord {
  topic: string
  key: string
  value: Buffer
  headers: Record<string, string>
}

export interface Delivered { topic: string, partition: number, offset: number }

interface Pending { resolve: (d: Delivered) => void, reject: (err: Error) => void, client: Kafka.Producer }

export interface ProducerOptions {
  /** How long librdkafka keeps trying to deliver a record before its send rejects (message.timeout.ms). */
  messageTimeoutMs?: number
  /** Called on a fatal error (the producer is being recreated) and once it is recreated. */
  onFatal?: (err: Error) => void
  onRecreated?: () => void
}

/** A send that failed because its producer hit a fatal error; the caller's retry goes to the new producer. */
export class ProducerFatalError extends Error {
  code = 'SHOP_ERR_PRODUCER_FATAL'
}

/**
 * node-rdkafka producer with one promise per record, settled by its delivery report.
 * Idempotent with acks=all: a retried send never duplicates or reorders within a partition.
 *
 * After a fatal error (the idempotent producer lost its guarantees, e.g. a sequence it cannot
 * recover) librdkafka fails every later send. The producer is then recreated: not ready meanwhile,
 * sends wait for the new one, and a send in flight on the old one rejects (it was never
 * acknowledged, so its caller still holds it: the outbox row stays unsent, the engine retries).
 */
export class EventProducer {
  private producer: Kafka.Producer
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private connected = false
  private recreating: Promise<void> | undefined
  private fatal: { message: string, at: number } | undefined

  constructor (private readonly brokers: string, private readonly clientId: string, private readonly log: Logger, private readonly lingerMs = 5, private readonly options: ProducerOptions = {}) {
    this.producer = this.create()
  }

  private create (): Kafka.Producer {
    const producer = new Kafka.Producer({
      'metadata.broker.list': this.brokers,
      'client.id': this.clientId,
      'enable.idempotence': true,
      acks: 'all',
      'linger.ms': this.lingerMs,
      'compression.type': 'lz4',
      dr_cb: true,
      'socket.keepalive.enable': true,
      'queue.buffering.max.messages': 200_000,
      ...(this.options.messageTimeoutMs !== undefined ? { 'message.timeout.ms': this.options.messageTimeoutMs } : {})
    } as Kafka.ProducerGlobalConfig)
    producer.on('delivery-report', (err, report) => {
      const id = report.opaque as number
      const p = this.pending.get(id)
      if (!p) return
      this.pending.delete(id)
      if (err) p.reject(Object.assign(new Error(err.message), { code: err.code }))
      else p.resolve({ topic: report.topic, partition: report.partition, offset: Number(report.offset) })
    })
    producer.on('event.error', err => {
      if (err.code === Kafka.CODES.ERRORS.ERR__FATAL || (err as { isFatal?: boolean }).isFatal === true) this.onFatal(producer, Object.assign(new Error(err.message), { code: err.code }))
      else this.log.warn({ err }, 'kafka producer error')
    })
    return producer
  }

  private async open (producer: Kafka.Producer): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      producer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve()))
    })
    // Delivery reports only arrive while the producer is polled.
    producer.setPollInterval(5)
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
        break
      } catch (err) {
        this.log.warn({ err, attempt }, 'could not connect the new producer yet')
        await sleep(backoffMs(attempt, { minMs: 500, maxMs: 10_000 }))
      }
    }
    // Whatever the old client still holds was never acknowledged: its senders get an error and retry.
    for (const [id, p] of this.pending) {
      if (p.client !== old) continue
      this.pending.delete(id)
      p.reject(new ProducerFatalError(`producer recreated after a fatal error (${this.fatal?.message ?? ''}); the record was not acknowledged`))
    }
    await new Promise<void>(resolve => old.disconnect(2_000, () => resolve()))
    if (this.connected) {
      this.log.info('producer recreated')
      this.options.onRecreated?.()
    }
  }

  async send (record: OutgoingRecord): Promise<Delivered> {
    if (this.recreating) await this.recreating
    const id = ++this.seq
    const headers = Object.entries(record.headers).map(([k, v]) => ({ [k]: v }))
    const client = this.producer
    return await new Promise<Delivered>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, client })
      const attempt = (tries: number): void => {
        try {
          client.produce(record.topic, null, record.value, record.key, Date.now(), id, headers)
        } catch (err) {
          // A full local queue is back-pressure, not failure: wait for deliveries to drain it.
          if ((err as { code?: number }).code === Kafka.CODES.ERRORS.ERR__QUEUE_FULL && tries < 200) {
            setTimeout(() => attempt(tries + 1), 10)
            return
          }
          this.pending.delete(id)
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      }
      attempt(0)
    })
  }

  async sendAll (records: OutgoingRecord[]): Promise<Delivered[]> {
    return await Promise.all(records.map(async r => await this.send(r)))
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
  }
}
