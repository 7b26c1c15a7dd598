import Kafka from 'node-rdkafka'
import { kafkaPrincipal, saslFailure } from '@vitrine/service-kit'
import type { KafkaSecurity, Logger } from '@vitrine/service-kit'

// The gateway's reader of the catalog topics. It is an observer, not a member of the saga:
// it assigns itself every partition (assign(), not subscribe()), so each gateway instance sees
// every record and never takes partitions away from another; it never commits an offset, never
// retries, never dead-letters. It starts at the end of each partition (what is new from now on:
// late browsers get the gateway's ring buffer instead), and reads a partition that appears later
// (a topic created after the gateway started) from its beginning.

export interface LiveConsumerOptions {
  brokers: string
  /** The gateway's Kafka login (lib/kafka-login.ts). */
  security?: KafkaSecurity
  groupId: string
  /** Raw topic names (with the deployment prefix). */
  topics: readonly string[]
  log: Logger
  onRecords: (records: Kafka.Message[]) => Promise<void>
  /** How often to look for new topics or partitions. */
  refreshMs?: number
}

const OFFSET_BEGINNING = -2

export class LiveConsumer {
  private readonly consumer: Kafka.KafkaConsumer
  private readonly assigned = new Set<string>()
  private running = false
  private pumpDone: Promise<void> = Promise.resolve()
  private refreshTimer: NodeJS.Timeout | null = null
  private lastError: string | null = null
  /** Whether the last look at the cluster (every refresh) got an answer. */
  private reachable = true
  records = 0

  constructor (private readonly o: LiveConsumerOptions) {
    this.consumer = new Kafka.KafkaConsumer({
      'metadata.broker.list': o.brokers,
      'group.id': o.groupId,
      'client.id': o.groupId,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'fetch.wait.max.ms': 50,
      'socket.keepalive.enable': true,
      'topic.metadata.refresh.interval.ms': 5_000,
      ...o.security
    } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'latest' })
    // A refused SASL login shows only in librdkafka's log: said once, naming the principal (the gateway's start then fails).
    let refused = false
    this.consumer.on('event.log', e => {
      const reason = saslFailure(e.message)
      if (reason === undefined || refused) return
      refused = true
      const principal = kafkaPrincipal(o.security ?? {})
      o.log.error({ principal, reason }, `kafka authentication failed for principal ${principal}: the live feed cannot start until its credentials are fixed`)
    })
    this.consumer.on('event.error', err => {
      this.lastError = err.message
      if (err.code === Kafka.CODES.ERRORS.ERR__ALL_BROKERS_DOWN) this.reachable = false
      o.log.warn({ err }, 'live consumer error')
    })
  }

  /** Running, and the broker answered the last time it was asked (not just a client handle that is open). */
  get isRunning (): boolean {
    return this.running && this.consumer.isConnected() && this.reachable
  }

  /** The partitions being read, as `topic:partition`. */
  get partitions (): string[] {
    return [...this.assigned].sort()
  }

  get error (): string | null {
    return this.lastError
  }

  async start (): Promise<void> {
    await new Promise<void>((resolve, reject) => this.consumer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
    this.consumer.setDefaultConsumeTimeout(100)
    this.running = true
    await this.refresh(true)
    this.pumpDone = this.pump()
    const every = this.o.refreshMs ?? 5_000
    const tick = (): void => {
      this.refreshTimer = setTimeout(() => {
        this.refresh(false)
          .then(() => {
            this.reachable = true
            this.lastError = null
          })
          .catch((err: Error) => {
            this.reachable = false
            this.lastError = err.message
            this.o.log.warn({ err }, 'live consumer refresh failed')
          })
          .finally(() => { if (this.running) tick() })
      }, every)
    }
    tick()
  }

  private async metadata (): Promise<Kafka.Metadata> {
    return await new Promise((resolve, reject) => this.consumer.getMetadata({ allTopics: true, timeout: 10_000 } as Kafka.MetadataOptions, (err, m) => (err ? reject(err) : resolve(m))))
  }

  private async highWatermark (topic: string, partition: number): Promise<number> {
    return await new Promise((resolve, reject) => this.consumer.queryWatermarkOffsets(topic, partition, 10_000, (err, w) => (err ? reject(err) : resolve(w.highOffset))))
  }

  /**
   * Assigns partitions that exist now and are not read yet. At start they begin at their current
   * high watermark, resolved here (not left to "latest" at fetch time), so a record produced after
   * start() returns is always seen.
   */
  async refresh (initial: boolean): Promise<void> {
    if (!this.running) return
    const meta = await this.metadata()
    const wanted = new Set(this.o.topics)
    const present = new Set<string>()
    const add: Kafka.Assignment[] = []
    for (const t of meta.topics) {
      if (!wanted.has(t.name)) continue
      for (const p of t.partitions) {
        const key = `${t.name}:${p.id}`
        present.add(key)
        if (this.assigned.has(key)) continue
        add.push({ topic: t.name, partition: p.id, offset: initial ? await this.highWatermark(t.name, p.id) : OFFSET_BEGINNING })
      }
    }
    const gone = [...this.assigned].filter(k => !present.has(k))
    if (gone.length > 0) {
      this.consumer.incrementalUnassign(gone.map(k => {
        const i = k.lastIndexOf(':')
        return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) }
      }))
      for (const k of gone) this.assigned.delete(k)
    }
    if (add.length > 0) {
      this.consumer.incrementalAssign(add)
      for (const a of add) this.assigned.add(`${a.topic}:${a.partition}`)
      this.o.log.info({ partitions: add.length, initial }, 'live consumer reading new partitions')
    }
  }

  private async pump (): Promise<void> {
    while (this.running) {
      const messages = await new Promise<Kafka.Message[]>(resolve => {
        this.consumer.consume(1000, (err, msgs) => {
          if (err) this.o.log.warn({ err }, 'consume failed')
          resolve(msgs ?? [])
        })
      })
      if (messages.length === 0) continue
      this.records += messages.length
      try {
        await this.o.onRecords(messages)
      } catch (err) {
        this.o.log.error({ err }, 'live feed could not handle records')
      }
    }
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    if (this.refreshTimer) clearTimeout(this.refreshTimer)
    await this.pumpDone
    await new Promise<void>(resolve => this.consumer.disconnect(() => resolve()))
  }
}
