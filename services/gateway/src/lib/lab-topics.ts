import pino from 'pino'
import { LAB_PREFIX } from '@vitrine/contracts'
import { EventProducer, ShopError } from '@vitrine/service-kit'
import type { KafkaReader, KafkaSecurity } from '@vitrine/service-kit'
import type { KafkaConsole } from './kafka-console.ts'

// A lab's own topics, `<prefix>lab.<lab>.<name>` (out of the shop's flow and of other labs'),
// created through the console (its validation, the cluster's replication factor), and the lab's one
// producer, opened on its first write. The partitions and compaction labs share this.

export interface LabTopicsOptions {
  console: KafkaConsole
  reader: KafkaReader
  brokers: string
  /** TOPIC_PREFIX: a test's lab topics stay among its own. */
  prefix: string
  /** The gateway's Kafka login (lib/kafka-login.ts) for the lab's producer. */
  security?: KafkaSecurity
}

export class LabTopics {
  private writer: EventProducer | undefined
  private opening: Promise<EventProducer> | undefined

  constructor (private readonly o: LabTopicsOptions, private readonly lab: string) {}

  get prefix (): string {
    return `${this.o.prefix}${LAB_PREFIX}${this.lab}.`
  }

  topicOf (name: string): string {
    return this.prefix + name
  }

  /** The lab's topics the broker has now. */
  async list (): Promise<Array<{ name: string, topic: string }>> {
    return (await this.o.console.topicNames()).filter(n => n.startsWith(this.prefix)).map(topic => ({ name: topic.slice(this.prefix.length), topic }))
  }

  /** Creates lab topic `name` and waits until the metadata a write needs shows every partition; answers its full name. */
  async create (name: string, partitions: number, configs?: Record<string, string>): Promise<string> {
    const topic = this.topicOf(name)
    await this.o.console.createTopic({ name: topic, partitions, ...(configs ? { configs } : {}) })
    await this.untilPartitions(topic, partitions)
    return topic
  }

  /** The partition count the cluster's metadata gives now (0: no such topic). */
  async partitionCount (topic: string): Promise<number> {
    return (await this.o.reader.partitions(topic)).length
  }

  /** A topic just created or grown can take a moment to show every partition in the metadata (given up after 10 s). */
  async untilPartitions (topic: string, partitions: number): Promise<void> {
    const deadline = Date.now() + 10_000
    while (await this.partitionCount(topic) < partitions && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
  }

  /** Lab topic `name` and its partition count; a 404 when it does not exist. */
  async existing (name: string): Promise<{ topic: string, partitions: number }> {
    const topic = this.topicOf(name)
    const partitions = await this.partitionCount(topic)
    if (partitions === 0) throw new ShopError('SHOP_ERR_TOPIC_NOT_FOUND', `lab topic ${name} (${topic}) does not exist`, 404, { topic })
    return { topic, partitions }
  }

  /** The lab's producer, opened on first use (concurrent first writes share one). */
  async producer (): Promise<EventProducer> {
    if (this.writer) return this.writer
    this.opening ??= (async () => {
      // linger.ms 0: no batching, so records without a key are not held on one partition per batch
      // (librdkafka's sticky partitioning lasts 2 × linger.ms): each one draws its partition.
      const p = new EventProducer(this.o.brokers, `gateway-lab-${this.lab}`, pino({ level: 'warn' }), 0, { messageTimeoutMs: 15_000, ...(this.o.security ? { security: this.o.security } : {}) })
      await p.connect()
      this.writer = p
      return p
    })().finally(() => { this.opening = undefined })
    return await this.opening
  }

  /** Closes the producer (the next write opens a new one: after partitions are added, it must see them). */
  async closeProducer (): Promise<void> {
    const p = this.writer ?? (this.opening ? await this.opening.catch(() => undefined) : undefined)
    this.writer = undefined
    await p?.close()
  }

  async delete (name: string): Promise<void> {
    await this.o.console.deleteTopic(this.topicOf(name))
  }
}
