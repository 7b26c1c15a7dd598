import type { TestContext } from 'node:test'
import Kafka from 'node-rdkafka'
import { PARTITIONER, envKafkaSecurity } from '@vitrine/service-kit'

// node-rdkafka (librdkafka), the client the services use, wrapped in promises for tests. They log in
// as the process's tools do (KAFKA_SASL_*: the admin on a KAFKA_AUTH=scram stack, infra/src/security/client-login.ts).

export interface Delivery { key: string, partition: number, offset: number }

/** An idempotent producer with acks=all, murmur2 partitioning and delivery reports, disconnected when the test ends. */
export async function openProducer (t: TestContext, bootstrap: string, config: Kafka.ProducerGlobalConfig = {}): Promise<Kafka.Producer> {
  // The services' partitioner (murmur2, as Kafka's Java clients), so a test's keys land where theirs do.
  const producer = new Kafka.Producer({
    'bootstrap.servers': bootstrap,
    'enable.idempotence': true,
    dr_cb: true,
    'linger.ms': 5,
    ...envKafkaSecurity(),
    ...config
  }, { 'request.required.acks': -1, partitioner: PARTITIONER })
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  // Delivery reports only arrive while the producer is polled.
  producer.setPollInterval(10)
  t.after(async () => { await disconnect(producer) })
  return producer
}

/** Sends every record and resolves with their delivery reports, in the order given; rejects on the first failed delivery. */
export async function produceAll (producer: Kafka.Producer, topic: string, records: Array<{ key: string, value: string }>, timeoutMs = 60_000): Promise<Delivery[]> {
  const results: Array<Delivery | undefined> = new Array(records.length)
  let pending = records.length
  return await new Promise<Delivery[]>((resolve, reject) => {
    const timer = setTimeout(() => { finish(); reject(new Error(`${pending} of ${records.length} deliveries missing after ${timeoutMs}ms`)) }, timeoutMs)
    const onReport = (err: Kafka.LibrdKafkaError, report: Kafka.DeliveryReport): void => {
      if (typeof report?.opaque !== 'object' || report.opaque?.topic !== topic) return
      if (err) { finish(); reject(new Error(`delivery failed: ${err.message}`)); return }
      results[report.opaque.index as number] = { key: String(report.key), partition: report.partition, offset: Number(report.offset) }
      if (--pending === 0) { finish(); resolve(results as Delivery[]) }
    }
    const finish = (): void => { clearTimeout(timer); producer.off('delivery-report', onReport) }
    producer.on('delivery-report', onReport)
    try {
      records.forEach((r, index) => producer.produce(topic, null, Buffer.from(r.value), r.key, Date.now(), { topic, index }))
    } catch (err) {
      finish()
      reject(err instanceof Error ? err : new Error(String(err)))
    }
  })
}

export interface Consumed { key: string, value: string, partition: number, offset: number }

/** A consumer in `groupId` reading `topic` from the beginning until `count` records arrived; commits their offsets, then disconnects. */
export async function consumeAndCommit (bootstrap: string, groupId: string, topic: string, count: number, timeoutMs = 60_000): Promise<Consumed[]> {
  const consumer = new Kafka.KafkaConsumer({
    'bootstrap.servers': bootstrap,
    'group.id': groupId,
    'enable.auto.commit': false,
    ...envKafkaSecurity()
  }, { 'auto.offset.reset': 'earliest' })
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  try {
    consumer.subscribe([topic])
    const got: Consumed[] = []
    const deadline = Date.now() + timeoutMs
    while (got.length < count) {
      if (Date.now() > deadline) throw new Error(`consumed ${got.length} of ${count} records from ${topic} in ${timeoutMs}ms`)
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(100, (err, messages) => (err ? reject(err) : resolve(messages))))
      for (const m of batch) got.push({ key: String(m.key), value: String(m.value), partition: m.partition, offset: m.offset })
    }
    // Commit what was read, synchronously, so the group's offsets are on the broker before we leave.
    consumer.commitSync(null)
    return got
  } finally {
    await disconnect(consumer)
  }
}

async function disconnect (client: Kafka.Producer | Kafka.KafkaConsumer): Promise<void> {
  if (!client.isConnected()) return
  await new Promise<void>(resolve => client.disconnect(() => resolve()))
}
