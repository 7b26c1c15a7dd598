import { SvelteMap } from 'svelte/reactivity'
import { io } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { AlertView, AlertsPush, ExerciseView, ExercisesPush, FeedStatus, LiveEvent, OrderReplayPush, OrderReplayStatus, StatsSnapshot } from './types.ts'
import type { ChaosPush, ChaosRun } from './chaos.ts'

// The page's live state, shared by every view: the connection to the gateway, the recent events
// (bounded), an index of events by order, and the gateway's figures. Everything a view reads is
// reactive ($state, SvelteMap), so views only derive from it. The socket and its listeners are
// created by connect() and released by the function it returns (App's onMount teardown).

/** Events kept in the page: older ones are dropped (the gateway still has each order's events). */
export const MAX_EVENTS = 5000
const MAX_ORDERS = 3000

/** New events, oldest first; `replayed` when they come from the gateway's history on (re)connection. */
export type BatchListener = (batch: LiveEvent[], replayed: boolean) => void

class LiveStore {
  connected = $state(false)
  /** Set on the first successful connection; before that, "connecting" rather than "lost". */
  everConnected = $state(false)
  /** When the connection was lost, or null while connected. */
  lostAt = $state<number | null>(null)
  /** When it came back last (for the "restored" notice). */
  restoredAt = $state<number | null>(null)
  reconnects = $state(0)
  /** Newest first. Replaced, never mutated, so views derive from it cheaply. */
  events = $state.raw<LiveEvent[]>([])
  stats = $state.raw<StatsSnapshot | null>(null)
  status = $state.raw<FeedStatus | null>(null)
  /** Alerts Alertmanager sent the gateway (firing first), pushed as they change. */
  alerts = $state.raw<AlertView[]>([])
  /** The course's exercises with their checkers' verdicts (null until read), pushed when one changes. */
  exercises = $state.raw<ExerciseView[] | null>(null)
  /** The chaos drills' runs, newest first (null until read), pushed as a drill's timeline grows. */
  chaosRuns = $state.raw<ChaosRun[] | null>(null)
  received = $state(0)
  /**
   * The instructor's order replay playing (or last played): its status and the records pushed so far,
   * oldest first. Kept apart from `events`: a replayed record is an old one re-read, never a new event.
   */
  replay = $state.raw<{ status: OrderReplayStatus, played: OrderReplayPush[] } | null>(null)

  private readonly seen = new Set<string>()
  /**
   * Each order's events, oldest first, least recently touched order first (evicted first). A view
   * reading one order depends on that key only; each list is replaced, never mutated.
   */
  private readonly orders = new SvelteMap<string, readonly LiveEvent[]>()
  private readonly listeners = new Set<BatchListener>()

  /** An order's events known to the page, oldest first (reactive: a $derived reading it follows the order). */
  orderEvents (orderId: string): readonly LiveEvent[] {
    return this.orders.get(orderId) ?? []
  }

  /** Called with every batch of events new to the page (the flow animation and the order view listen). Returns the unsubscribe function. */
  onBatch (listener: BatchListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  ingest (batch: LiveEvent[], replayed: boolean): void {
    const fresh: LiveEvent[] = []
    const byOrder = new Map<string, LiveEvent[]>()
    for (const e of batch) {
      if (this.seen.has(e.id)) continue
      this.seen.add(e.id)
      fresh.push(e)
      if (e.orderId) {
        const list = byOrder.get(e.orderId)
        if (list) list.push(e)
        else byOrder.set(e.orderId, [e])
      }
    }
    if (fresh.length === 0) return
    // One new list per order touched by the batch, moved to the end so the oldest orders go first.
    for (const [orderId, added] of byOrder) {
      const next = [...(this.orders.get(orderId) ?? []), ...added].sort((a, b) => a.timestamp - b.timestamp || a.offset - b.offset)
      this.orders.delete(orderId)
      this.orders.set(orderId, next)
    }
    while (this.orders.size > MAX_ORDERS) this.orders.delete(this.orders.keys().next().value as string)
    this.received += fresh.length
    const next = fresh.slice().reverse().concat(this.events)
    if (next.length > MAX_EVENTS) {
      for (const dropped of next.splice(MAX_EVENTS)) this.seen.delete(dropped.id)
    }
    this.events = next
    for (const l of this.listeners) l(fresh, replayed)
  }

  /** Opens the socket; the returned function removes every listener and closes it. */
  connect (url?: string): () => void {
    const socket: Socket = url ? io(url, { transports: ['websocket', 'polling'] }) : io({ transports: ['websocket', 'polling'] })
    const onConnect = (): void => {
      if (this.everConnected) {
        this.reconnects++
        this.restoredAt = Date.now()
      }
      this.connected = true
      this.everConnected = true
      this.lostAt = null
    }
    let retry: ReturnType<typeof setTimeout> | undefined
    const onDisconnect = (reason: string): void => {
      this.connected = false
      this.lostAt = Date.now()
      // A server-side disconnect() stops socket.io's own reconnection: the page keeps trying anyway.
      if (reason === 'io server disconnect') retry = setTimeout(() => socket.connect(), 2000)
    }
    const onConnectError = (): void => {
      this.connected = false
      this.lostAt ??= Date.now()
    }
    // Live batches arrive every few tens of ms: the page takes them in at most once per frame, so
    // each view (lists, counters, the flow) updates once per frame instead of once per socket
    // message. A hidden tab gets no frames: the timer takes over there.
    let waiting: LiveEvent[] = []
    let frame = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const flush = (): void => {
      cancelAnimationFrame(frame)
      clearTimeout(timer)
      frame = 0
      timer = undefined
      if (waiting.length === 0) return
      const batch = waiting
      waiting = []
      this.ingest(batch, false)
    }
    // The history sent on (re)connection comes after what was already waiting.
    const onHistory = (events: LiveEvent[]): void => { flush(); this.ingest(events, true) }
    const onEvents = (events: LiveEvent[]): void => {
      for (const e of events) waiting.push(e)
      if (frame !== 0 || timer !== undefined) return
      frame = requestAnimationFrame(flush)
      timer = setTimeout(flush, 250)
    }
    const onStats = (s: StatsSnapshot): void => { this.stats = s }
    const onStatus = (s: FeedStatus): void => { this.status = s }
    const onAlerts = (m: AlertsPush): void => { this.alerts = m.alerts }
    const onExercises = (m: ExercisesPush): void => { this.exercises = m.exercises }
    const onChaos = (m: ChaosPush): void => { this.chaosRuns = m.runs }
    const onReplay = (p: OrderReplayPush): void => {
      const played = this.replay?.status.id === p.status.id ? this.replay.played : []
      this.replay = { status: p.status, played: p.event ? [...played, p] : played }
    }
    socket.on('connect', onConnect)
    socket.on('disconnect', onDisconnect)
    socket.on('connect_error', onConnectError)
    socket.on('hello', onStatus)
    socket.on('status', onStatus)
    socket.on('history', onHistory)
    socket.on('events', onEvents)
    socket.on('stats', onStats)
    socket.on('alerts', onAlerts)
    socket.on('exercises', onExercises)
    socket.on('chaos', onChaos)
    socket.on('order-replay', onReplay)
    return () => {
      socket.off('connect', onConnect)
      socket.off('disconnect', onDisconnect)
      socket.off('connect_error', onConnectError)
      socket.off('hello', onStatus)
      socket.off('status', onStatus)
      socket.off('history', onHistory)
      socket.off('events', onEvents)
      socket.off('stats', onStats)
      socket.off('alerts', onAlerts)
      socket.off('exercises', onExercises)
      socket.off('chaos', onChaos)
      socket.off('order-replay', onReplay)
      clearTimeout(retry)
      cancelAnimationFrame(frame)
      clearTimeout(timer)
      waiting = []
      socket.close()
    }
  }
}

export const live = new LiveStore()
