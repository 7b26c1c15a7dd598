import type { TopicSerde } from '@vitrine/contracts'
import { FROM_BEGINNING, KafkaReader, isRegistryUnavailable } from '@vitrine/service-kit'
import type { KafkaSecurity } from '@vitrine/service-kit'

// The truth the counter is compared with: the records of orders.confirmed below the counter's
// positions, counted again straight from the topic, each exactly once. Read incrementally (a
// cursor per partition), so a demo that ran for hours is not read whole at every look.

export interface Recount { orders: number, revenueCents: number }

export class Truth {
  private readonly cursor = new Map<number, number>()
  private readonly sum: Recount = { orders: 0, revenueCents: 0 }
  private readonly reader: KafkaReader
  private queue: Promise<unknown> = Promise.resolve()

  constructor (brokers: string, private readonly topic: string, private readonly serde: TopicSerde, security?: KafkaSecurity) {
    this.reader = new KafkaReader(brokers, 'sales-counter-truth', 'read_committed', security)
  }

  /** What exactly-once processing of orders.confirmed up to `positions` (partition → next offset) adds up to. */
  async upTo (positions: ReadonlyMap<number, number>): Promise<Recount> {
    const run = this.queue.then(async () => await this.advance(positions))
    this.queue = run.catch(() => {})
    return await run
  }

  private async advance (positions: ReadonlyMap<number, number>): Promise<Recount> {
    const ranges = [...positions]
      .map(([partition, until]) => ({ topic: this.topic, partition, offset: this.cursor.get(partition) ?? FROM_BEGINNING, until }))
      .filter(r => r.offset < r.until)
    if (ranges.length > 0) {
      const { records, done } = await this.reader.read(ranges, { timeoutMs: 15_000 })
      if (!done) throw new Error(`orders.confirmed could not be read up to the counter's positions in 15 s (${records.length} records read)`)
      // Summed apart and added once every record is read, so a failed read is not half counted.
      const add = { orders: 0, revenueCents: 0 }
      for (const r of records) {
        if (!r.value) continue
        let v
        try {
          v = await this.serde.decode(r.value, 'orders.confirmed')
        } catch (err) {
          // Poison is no confirmed order (the counter dead-letters it); a registry outage is retried.
          if (isRegistryUnavailable(err)) throw err
          continue
        }
        add.orders++
        add.revenueCents += v.totalCents
      }
      this.sum.orders += add.orders
      this.sum.revenueCents += add.revenueCents
      for (const r of ranges) this.cursor.set(r.partition, r.until)
    }
    return { ...this.sum }
  }

  async close (): Promise<void> {
    await this.queue
    await this.reader.close()
  }
}
