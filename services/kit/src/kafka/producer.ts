import Kafka from 'node-rdkafka'
import type { Logger } from 'pino'

export interface OutgoingRecord {
  topic: string
  key: string
  value: Buffer
  headers: Record<string, string>
}

export interface Delivered { topic: string, partition: number, offset: number }

interface Pending { resolve: (d: Delivered) => void, reject: (err: Error) => void }

/**
 * node-rdkafka producer with one promise per record, settled by its delivery report.
 * Idempotent with acks=all: a retried send never duplicates or reorders within a partition.
 */
export class EventProducer {
  private readonly producer: Kafka.Producer
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private connected = false

  constructor (brokers: string, clientId: string, private readonly log: Logger, lingerMs = 5) {
    this.producer = new Kafka.Producer({
      'metadata.broker.list': brokers,
      'client.id': clientId,
      'enable.idempotence': true,
      acks: 'all',
      'linger.ms': lingerMs,
      'compression.type': 'lz4',
      dr_cb: true,
      'socket.keepalive.enable': true,
      'queue.buffering.max.messages': 200_000
    } as Kafka.ProducerGlobalConfig)
    this.producer.on('delivery-report', (err, report) => {
      const id = report.opaque as number
      const p = this.pending.get(id)
      if (!p) return
      this.pending.delete(id)
      if (err) p.reject(Object.assign(new Error(err.message), { code: err.code }))
      else p.resolve({ topic: report.topic, partition: report.partition, offset: Number(report.offset) })
    })
    this.producer.on('event.error', err => this.log.warn({ err }, 'kafka producer error'))
  }

  async connect (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.producer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve()))
    })
    // Delivery reports only arrive while the producer is polled.
    this.producer.setPollInterval(5)
    this.connected = true
  }

  get isConnected (): boolean {
    return this.connected && this.producer.isConnected()
  }

  async send (record: OutgoingRecord): Promise<Delivered> {
    const id = ++this.seq
    const headers = Object.entries(record.headers).map(([k, v]) => ({ [k]: v }))
    return await new Promise<Delivered>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      const attempt = (tries: number): void => {
        try {
          this.producer.produce(record.topic, null, record.value, record.key, Date.now(), id, headers)
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
    return await new Promise((resolve, reject) => {
      this.producer.getMetadata({ timeout: timeoutMs, allTopics: false } as Kafka.MetadataOptions, (err, meta) => (err ? reject(err) : resolve(meta.brokers.length)))
    })
  }

  async close (): Promise<void> {
    if (!this.connected) return
    this.connected = false
    await new Promise<void>(resolve => this.producer.flush(10_000, () => resolve()))
    await new Promise<void>(resolve => this.producer.disconnect(5_000, () => resolve()))
  }
}
