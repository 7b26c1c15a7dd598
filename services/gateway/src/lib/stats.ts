import type { SagaMode } from '@vitrine/contracts'
import type { LiveEvent } from './live-event.ts'
import type { ModeCounts, StatsSnapshot, VolumeBucket } from '../wire.ts'

// Live order figures computed from the events the gateway reads: what the Métricas page shows,
// the same for every browser. Counting starts when the gateway starts (the snapshot says when):
// an order whose creation happened before is counted when it ends but has no processing time.

export type { ModeCounts, VolumeBucket, StatsSnapshot } from '../wire.ts'

interface Tracked { createdAt: number | null, finishedAt: number | null, status: 'pending' | 'confirmed' | 'failed', mode: SagaMode | null }

export interface StatsOptions { maxOrders?: number, bucketMs?: number, buckets?: number, now?: () => number }

const TERMINAL: Record<string, 'confirmed' | 'failed'> = { 'orders.confirmed': 'confirmed', 'orders.failed': 'failed' }

export class OrderStats {
  readonly since: number
  private readonly orders = new Map<string, Tracked>()
  private readonly maxOrders: number
  private readonly bucketMs: number
  private readonly bucketCount: number
  private readonly now: () => number
  private readonly volume = new Map<number, VolumeBucket>()
  private readonly perSecond = new Map<number, number>()
  private created = 0
  private confirmed = 0
  private failed = 0
  private pending = 0
  private durationSum = 0
  private durationCount = 0
  private compensations = 0
  private deadLetters = 0
  private events = 0
  private readonly modes: Record<SagaMode, ModeCounts> = {
    choreography: { created: 0, confirmed: 0, failed: 0 },
    orchestration: { created: 0, confirmed: 0, failed: 0 }
  }

  constructor (options: StatsOptions = {}) {
    this.maxOrders = options.maxOrders ?? 20_000
    this.bucketMs = options.bucketMs ?? 10_000
    this.bucketCount = options.buckets ?? 60
    this.now = options.now ?? Date.now
    this.since = this.now()
  }

  add (e: LiveEvent): void {
    this.events++
    const second = Math.floor(this.now() / 1000)
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1)
    if (e.outcome === 'compensation' && e.kind === 'event') this.compensations++
    if (e.outcome === 'dead-letter') this.deadLetters++
    if (!e.orderId || e.decodeError) return
    if (e.topic === 'orders.new') this.onCreated(e)
    const terminal = TERMINAL[e.topic]
    if (terminal) this.onTerminal(e, terminal)
  }

  private bucket (ts: number): VolumeBucket {
    const t = Math.floor(ts / this.bucketMs) * this.bucketMs
    let b = this.volume.get(t)
    if (!b) {
      b = { t, created: 0, confirmed: 0, failed: 0 }
      this.volume.set(t, b)
    }
    return b
  }

  private onCreated (e: LiveEvent): void {
    const orderId = e.orderId!
    const known = this.orders.get(orderId)
    if (known?.createdAt != null) return // the same order twice: count it once
    this.created++
    this.bucket(e.timestamp).created++
    if (e.mode) this.modes[e.mode].created++
    if (known) {
      // Its end was read before its start (another partition was ahead): now it has a duration.
      known.createdAt = e.timestamp
      known.mode ??= e.mode
      this.addDuration(known)
      return
    }
    this.track(orderId, { createdAt: e.timestamp, finishedAt: null, status: 'pending', mode: e.mode })
    this.pending++
  }

  private onTerminal (e: LiveEvent, status: 'confirmed' | 'failed'): void {
    const orderId = e.orderId!
    const t = this.orders.get(orderId)
    if (t && t.status !== 'pending') return // one end per order
    if (status === 'confirmed') this.confirmed++
    else this.failed++
    this.bucket(e.timestamp)[status]++
    const mode = t?.mode ?? e.mode
    if (mode) this.modes[mode][status]++
    if (!t) {
      this.track(orderId, { createdAt: null, finishedAt: e.timestamp, status, mode: e.mode })
      return
    }
    t.status = status
    t.finishedAt = e.timestamp
    this.pending--
    this.addDuration(t)
  }

  private addDuration (t: Tracked): void {
    if (t.createdAt === null || t.finishedAt === null) return
    this.durationSum += Math.max(0, t.finishedAt - t.createdAt)
    this.durationCount++
  }

  private track (orderId: string, t: Tracked): void {
    this.orders.set(orderId, t)
    while (this.orders.size > this.maxOrders) {
      const [oldest, tracked] = this.orders.entries().next().value as [string, Tracked]
      this.orders.delete(oldest)
      if (tracked.status === 'pending' && tracked.createdAt !== null) this.pending--
    }
  }

  /** Every bucket from the first one with data (or the window's start) to now, empty ones as zeros. */
  private filledVolume (oldestBucket: number, now: number): VolumeBucket[] {
    const last = Math.floor(now / this.bucketMs) * this.bucketMs
    const keys = [...this.volume.keys()]
    if (keys.length === 0) return []
    const first = Math.max(oldestBucket, Math.min(...keys, Math.floor(this.since / this.bucketMs) * this.bucketMs))
    const out: VolumeBucket[] = []
    for (let t = first; t <= Math.max(last, Math.max(...keys)); t += this.bucketMs) out.push({ ...(this.volume.get(t) ?? { t, created: 0, confirmed: 0, failed: 0 }) })
    return out
  }

  snapshot (): StatsSnapshot {
    const now = this.now()
    const oldestBucket = Math.floor(now / this.bucketMs) * this.bucketMs - (this.bucketCount - 1) * this.bucketMs
    for (const t of this.volume.keys()) if (t < oldestBucket) this.volume.delete(t)
    const second = Math.floor(now / 1000)
    let lastTen = 0
    for (const [s, n] of this.perSecond) {
      if (s < second - 60) this.perSecond.delete(s)
      else if (s >= second - 10 && s < second) lastTen += n
    }
    let lastMinute = 0
    for (const b of this.volume.values()) if (b.t + this.bucketMs > now - 60_000) lastMinute += b.created
    const ended = this.confirmed + this.failed
    return {
      since: this.since,
      now,
      orders: { created: this.created, confirmed: this.confirmed, failed: this.failed, pending: this.pending },
      byMode: { choreography: { ...this.modes.choreography }, orchestration: { ...this.modes.orchestration } },
      successRate: ended > 0 ? this.confirmed / ended : null,
      meanProcessingMs: this.durationCount > 0 ? this.durationSum / this.durationCount : null,
      processingSamples: this.durationCount,
      ordersPerMinute: lastMinute,
      compensations: this.compensations,
      deadLetters: this.deadLetters,
      events: this.events,
      eventsPerSecond: lastTen / 10,
      bucketMs: this.bucketMs,
      volume: this.filledVolume(oldestBucket, now)
    }
  }
}
