import { Batcher } from './batcher.ts'
import type { LiveEvent } from './live-event.ts'
import { OrderIndex } from './order-index.ts'
import { RingBuffer } from './ring.ts'
import { OrderStats } from './stats.ts'

export interface LiveFeedOptions {
  historySize: number
  orderIndexSize: number
  pushIntervalMs: number
  pushMaxBatch: number
  /** Called with each batch, oldest first. */
  push: (batch: LiveEvent[]) => void
}

/**
 * Everything the gateway keeps about what it read: the recent history (ring buffer), the events
 * of recent orders (for timelines), the live figures, and the batcher that pushes new events on.
 * All bounded, whatever the traffic.
 */
export class LiveFeed {
  readonly history: RingBuffer<LiveEvent>
  readonly orders: OrderIndex
  readonly stats = new OrderStats()
  readonly batcher: Batcher<LiveEvent>
  readonly startedAt = Date.now()
  ingested = 0
  decodeErrors = 0

  constructor (readonly o: LiveFeedOptions) {
    this.history = new RingBuffer(o.historySize)
    this.orders = new OrderIndex(o.orderIndexSize)
    this.batcher = new Batcher(o.push, o.pushIntervalMs, o.pushMaxBatch)
  }

  ingest (events: readonly LiveEvent[]): void {
    for (const e of events) {
      this.ingested++
      if (e.decodeError) this.decodeErrors++
      this.history.push(e)
      this.orders.add(e)
      this.stats.add(e)
      this.batcher.push(e)
    }
  }

  close (): void {
    this.batcher.close()
  }
}
