import { randomUUID } from 'node:crypto'
import Kafka from 'node-rdkafka'

// Reads a slice of one partition for the console's message browser: a consumer assigned to the
// partition at the requested offset (no group membership, nothing committed). One consumer is
// kept connected and used by one request at a time.

export interface Watermarks { low: number, high: number }

export class PartitionReader {
  private consumer: Kafka.KafkaConsumer | null = null
  private connecting: Promise<Kafka.KafkaConsumer> | null = null
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly brokers: string, private readonly clientId: string) {}

  private async client (): Promise<Kafka.KafkaConsumer> {
    if (this.consumer?.isConnected()) return this.consumer
    this.connecting ??= (async () => {
      const c = new Kafka.KafkaConsumer({
        'metadata.broker.list': this.brokers,
        'group.id': `${this.clientId}-${randomUUID()}`,
        'client.id': this.clientId,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'fetch.wait.max.ms': 50
      } as Kafka.ConsumerGlobalConfig, {})
      c.on('event.error', () => {})
      await new Promise<void>((resolve, reject) => c.connect({ timeout: 10_000 }, err => (err ? reject(err) : resolve())))
      c.setDefaultConsumeTimeout(100)
      this.consumer = c
      return c
    })().finally(() => { this.connecting = null })
    return await this.connecting
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return await run
  }

  /** Cluster metadata for every topic, Kafka's internal ones included: leaders, replicas and ISR per partition. */
  async metadata (): Promise<Kafka.Metadata> {
    const c = await this.client()
    return await new Promise((resolve, reject) => c.getMetadata({ allTopics: true, timeout: 10_000 } as Kafka.MetadataOptions, (err, m) => (err ? reject(err) : resolve(m))))
  }

  async watermarks (topic: string, partition: number): Promise<Watermarks> {
    const c = await this.client()
    return await new Promise((resolve, reject) => c.queryWatermarkOffsets(topic, partition, 10_000, (err, w) => (err ? reject(err) : resolve({ low: w.lowOffset, high: w.highOffset }))))
  }

  /** Up to `limit` records from `offset` (bounded by the high watermark), within `timeoutMs`. */
  async read (topic: string, partition: number, offset: number, limit: number, timeoutMs = 5_000): Promise<{ watermarks: Watermarks, records: Kafka.Message[] }> {
    return await this.serial(async () => {
      const c = await this.client()
      const watermarks = await this.watermarks(topic, partition)
      const from = Math.max(offset, watermarks.low)
      const until = Math.min(from + limit, watermarks.high)
      const records: Kafka.Message[] = []
      if (from >= until) return { watermarks, records }
      c.assign([{ topic, partition, offset: from }])
      try {
        const deadline = Date.now() + timeoutMs
        let next = from
        while (next < until && Date.now() < deadline) {
          const msgs = await new Promise<Kafka.Message[]>(resolve => c.consume(Math.min(500, until - next), (_err, m) => resolve(m ?? [])))
          for (const m of msgs) {
            if (m.topic !== topic || m.partition !== partition || m.offset < from || m.offset >= until) continue
            records.push(m)
            next = m.offset + 1
          }
          if (msgs.length === 0) {
            // Offsets can have gaps (compaction, transaction markers): the fetch position says when we are past them.
            const pos = c.position([{ topic, partition }])[0]?.offset
            if (typeof pos === 'number' && pos >= until) break
          }
        }
      } finally {
        c.unassign()
      }
      return { watermarks, records }
    })
  }

  async close (): Promise<void> {
    await this.queue
    const c = this.consumer ?? (this.connecting ? await this.connecting.catch(() => null) : null)
    this.consumer = null
    if (c) await new Promise<void>(resolve => c.disconnect(() => resolve()))
  }
}
