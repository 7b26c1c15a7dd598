import type { LiveEvent } from './live-event.ts'

/**
 * The events of the most recent orders, by orderId, so a click on an old event can still show its
 * whole timeline. Bounded: past `maxOrders` the order touched longest ago is forgotten, and an
 * order keeps at most `maxEventsPerOrder` events.
 */
export class OrderIndex {
  private readonly orders = new Map<string, LiveEvent[]>()

  constructor (readonly maxOrders: number, readonly maxEventsPerOrder = 100) {}

  get size (): number {
    return this.orders.size
  }

  add (event: LiveEvent): void {
    if (!event.orderId) return
    let events = this.orders.get(event.orderId)
    if (events) {
      // Map order is insertion order: re-inserting marks the order as recently touched.
      this.orders.delete(event.orderId)
    } else {
      events = []
    }
    this.orders.set(event.orderId, events)
    if (!events.some(e => e.id === event.id)) {
      events.push(event)
      if (events.length > this.maxEventsPerOrder) events.shift()
    }
    while (this.orders.size > this.maxOrders) {
      const oldest = this.orders.keys().next().value as string
      this.orders.delete(oldest)
    }
  }

  /** The order's events in the order they happened (record timestamp, then topic and offset). */
  get (orderId: string): LiveEvent[] | undefined {
    const events = this.orders.get(orderId)
    return events ? [...events].sort(byTime) : undefined
  }
}

export function byTime (a: LiveEvent, b: LiveEvent): number {
  return a.timestamp - b.timestamp || a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset
}
