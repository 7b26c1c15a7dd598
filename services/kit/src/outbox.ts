import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { HEADERS, findTopic, validateEvent } from '@vitrine/contracts'
import type { EventTopic, SagaMode, TopicSerde, TopicValues } from '@vitrine/contracts'
import type { Db, Tx } from './db.ts'
import type { EventProducer } from './kafka/producer.ts'
import type { KitMetrics } from './metrics.ts'
import type { ConsumedRecord } from './kafka/consumer.ts'
import { PermanentError } from './errors.ts'

export interface OutboxEvent<T extends EventTopic = EventTopic> {
  topic: T
  value: TopicValues[T]
  headers: Record<string, string>
}

/**
 * Headers for an event: what it is, who made it, the saga it belongs to, and the event that caused
 * it, so a trace can be rebuilt from Kafka alone.
 */
export function eventHeaders (producer: string, topic: string, mode: SagaMode, cause?: ConsumedRecord | { eventId: string, correlationId: string }): Record<string, string> {
  const causeId = cause ? ('eventId' in cause ? cause.eventId : String((cause.value as { eventId?: string }).eventId ?? '')) : ''
  const correlation = cause ? ('correlationId' in cause ? cause.correlationId : cause.headers[HEADERS.correlationId] ?? '') : ''
  return {
    [HEADERS.eventType]: topic,
    [HEADERS.producer]: producer,
    [HEADERS.sagaMode]: mode,
    [HEADERS.correlationId]: correlation || randomUUID(),
    ...(causeId ? { [HEADERS.causationId]: causeId } : {})
  }
}

/** Adds events to the outbox inside the caller's transaction; they are published after it commits. */
export async function enqueue (tx: Tx, events: OutboxEvent[]): Promise<void> {
  for (const e of events) {
    try {
      validateEvent(e.topic, e.value)
    } catch (err) {
      throw new PermanentError((err as Error).message)
    }
    // The catalog says what keys each topic: orderId for saga topics, productId for products.catalog.
    const key = (e.value as unknown as Record<string, string>)[findTopic(e.topic)?.key === 'productId' ? 'productId' : 'orderId']
    await tx`insert into outbox (topic, key, value, headers) values (${e.topic}, ${key}, ${tx.json(e.value as never)}, ${tx.json(e.headers)})`
  }
}

/**
 * Publishes committed outbox rows in id order, then marks them. `kick()` after a commit publishes
 * at once; a timer picks up anything left by a crash. Rows are locked while published, so a
 * second instance of the same service skips them instead of sending them twice.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = false

  constructor (private readonly sql: Db, private readonly producer: EventProducer, private readonly serde: TopicSerde, private readonly log: Logger, private readonly metrics: KitMetrics, private readonly intervalMs = 1000, readonly options?: { service: string, schema: string }) {}

  start (): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs)
    this.timer.unref()
    this.kick()
  }

  kick (): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.loop().finally(() => { this.running = undefined })
  }

  private async loop (): Promise<void> {
    do {
      this.again = false
      try {
        while (await this.pass() === 500) { /* a full batch: there may be more */ }
      } catch (err) {
        this.log.error({ err }, 'outbox relay pass failed; retrying on the next tick')
        return
      }
    } while (this.again && !this.stopped)
  }

  private async pass (): Promise<number> {
    return await this.sql.begin(async tx => {
      const rows = await tx`select id, topic, key, value, headers, created_at from outbox where published_at is null order by id limit 500 for update skip locked`
      if (rows.length === 0) return 0
      const records = await Promise.all(rows.map(async r => ({
        topic: this.serde.prefix + (r.topic as string),
        key: r.key as string,
        value: await this.serde.encode(r.topic as EventTopic, r.value as never),
        headers: r.headers as Record<string, string>
      })))
      await this.producer.sendAll(records)
      await tx`update outbox set published_at = now() where id = any(${rows.map(r => r.id as number)})`
      const now = Date.now()
      for (const r of rows) {
        this.metrics.published.inc({ topic: r.topic as string })
        this.metrics.outboxLag.observe((now - (r.created_at as Date).getTime()) / 1000)
      }
      return rows.length
    }) as number
  }

  async pending (): Promise<number> {
    const [row] = await this.sql`select count(*)::int as n from outbox where published_at is null`
    return row?.n as number
  }

  async stop (): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    // One last pass so what was committed before shutdown is not left waiting for the next start.
    await this.running
    this.stopped = false
    this.again = false
    await this.loop()
    this.stopped = true
  }
}
