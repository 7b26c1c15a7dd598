import Kafka from 'node-rdkafka'
import type { Logger } from '../log.ts'
import { DLQ_TOPIC, HEADERS, RETRY_TIERS } from '@vitrine/contracts'
import type { TopicSerde } from '@vitrine/contracts'
import type { EventProducer, OutgoingRecord } from './producer.ts'
import type { KitMetrics, ConsumerSnapshot } from '../metrics.ts'
import { isRetryable } from '../errors.ts'
import { backoffMs, sleep } from '../time.ts'
import type { KafkaSecurity } from './security.ts'
import { KafkaAuthenticationError, envKafkaSecurity, kafkaPrincipal, saslFailure } from './security.ts'

/** A decoded record. `V` and `T` are narrowed by the typed consumer API (plugins/consumers.ts) from the catalog. */
export interface ConsumedRecord<V = unknown, T extends string = string> {
  /** Logical catalog name (the topic prefix removed); for a retried record, its original topic. */
  topic: T
  partition: number
  offset: number
  key: string | null
  value: V
  headers: Record<string, string>
  timestamp: number
  /** 0 on first delivery; the retry tier number (1..n) when it comes back from a retry topic. */
  attempt: number
}

/**
 * What a handler gets besides its record. `owned()` turns false (and `signal` aborts) once the
 * partition was revoked or the engine stops: a handler that can tell, should not commit effects
 * after that, since the partition's next owner handles the record again.
 */
export interface HandlerContext {
  signal: AbortSignal
  owned: () => boolean
}

/**
 * One record. Services do not write this type: they give `fastify.consumers.add` a topic → handler
 * map, which plugins/consumers.ts turns into one.
 */
export type Handler = (record: ConsumedRecord, log: Logger, ctx: HandlerContext) => Promise<void>

/**
 * The work of one batch of one partition's records as one unit: plugins/postgres.ts makes it one
 * PostgreSQL transaction, each `app.tx` of a handler a savepoint in it. `run` calls one record's
 * handler inside the unit; `commit` makes what the handlers did durable (and publishes their outbox
 * rows), or rejects when none of it is.
 */
export interface BatchUnit {
  run: (fn: () => Promise<void>) => Promise<void>
  commit: () => Promise<void>
  /** The last `run` failed for the batch's sake (a lock another batch held), not the record's: it is handled again alone, that try not counted. */
  contended?: () => boolean
}

/**
 * Without a database (no `batch` option) there is nothing to commit together, but the batch loop
 * still stores the offset and counts the records once per batch instead of once per record.
 */
function unbatched (): BatchUnit {
  return { run: async fn => { await fn() }, commit: async () => {} }
}

/** A batch ends at this many records or once its handlers took this long: locks are not held for long. */
export const BATCH_MAX_RECORDS = 500
export const BATCH_MAX_MS = 10

export interface ConsumerEngineOptions {
  service: string
  groupId: string
  brokers: string
  /** The principal's credentials (kit's rdkafkaSecurity of the service's config); the process's KAFKA_SASL_* when left out. */
  security?: KafkaSecurity
  /** Logical topic names; the retry topics are added for this group automatically. */
  topics: readonly string[]
  prefix: string
  handler: Handler
  /** Opens a unit for a batch; without it, each handler does its own work (one `app.tx` each) and only the offset store and counters are per batch. */
  batch?: () => BatchUnit
  serde: TopicSerde
  producer: EventProducer
  log: Logger
  metrics: KitMetrics
  concurrency: number
  retryAttempts: number
  retryBackoffMs: number
  retryTiers?: ReadonlyArray<{ topic: string, delayMs: number }>
  /** Queued records of one partition at which it is paused for backpressure, and resumed. */
  highWater?: number
  lowWater?: number
  /** How long a revoke waits for the in-flight handler of a revoked partition before giving it up. */
  revokeTimeoutMs?: number
  /** A partition with lag that made no progress this long (and no one paused it on purpose) is reported stalled. */
  stallMs?: number
  /** A retry or DLQ send not acknowledged after this long marks its partition blocked (it keeps waiting). */
  slowSendMs?: number
  /** Backoff of a blocked partition (registry unreachable, a retry or DLQ send failing): from min, doubling, to max. */
  blockedBackoffMs?: { min: number, max: number }
  /** librdkafka's max.poll.interval.ms (its default, 300 s, when left out): a test shortens it to show a held partition keeps the member in its group. */
  maxPollIntervalMs?: number
}

/**
 * Why a partition is paused. Each reason is held separately, so resuming from backpressure never
 * undoes a pause an instructor asked for ('operator'), the step mode of a lesson ('step') or a
 * fault drill (any reason of its own): the engine consumes only while no reason holds.
 */
export type PauseReason = string

/** The engine's own pause (a partition's queue over its high mark), the one reason a caller may not ask for. */
export const BACKPRESSURE = 'backpressure'

/**
 * The engine's own pause while the step mode holds a record of the partition (see step()): it stops
 * fetching more of that partition while its head record waits for a release. Not a caller's reason.
 */
export const STEP_HOLD = 'step-hold'

/** A reason a caller may pause for: any string but the engine's own ('backpressure', 'step-hold'; those fail to compile). */
export type RequestedPause<R extends string = string> = R & (R extends typeof BACKPRESSURE | typeof STEP_HOLD ? never : unknown)

/** True when a caller's reason holds the partition (not the engine's own): its queued records wait too. */
function held (pauses: ReadonlySet<PauseReason>): boolean {
  return pauses.size > (pauses.has(BACKPRESSURE) ? 1 : 0) + (pauses.has(STEP_HOLD) ? 1 : 0)
}

/** A record the step mode holds before its handler, as the instructor's "next" sees it. */
export interface HeldRecord {
  group: string
  /** The topic the record is in (logical name): a retry tier's for a retried record. */
  topic: string
  partition: number
  offset: number
  /** The catalog topic whose handler it waits for (its original topic for a retried record). */
  originTopic: string
  key: string | null
  /** The producer's timestamp: the saga's order, which "next" follows. */
  timestamp: number
  headers: Record<string, string>
  /** Decoded with the registry; null when it cannot be (its handler will say why). */
  value: unknown
  heldSince: number
}

/** Why a partition waits without moving: the record at its head is kept until this clears. */
export type BlockReason = 'registry_unavailable' | 'retry_send_failed' | 'dlq_send_failed'

interface PartitionState {
  topic: string
  partition: number
  items: Kafka.Message[]
  worker: Promise<void> | undefined
  pauses: Set<PauseReason>
  /** What librdkafka was last told (pause/resume), so every change is made once. */
  rdPaused: boolean
  owned: boolean
  /** Revoked, but librdkafka still assigns it while we wait for the in-flight handler: its offset may still be stored. */
  draining: boolean
  /** Bumped on every assignment: work started for an older one is dropped. */
  epoch: number
  abort: AbortController
  blocked: { reason: BlockReason, detail: string, since: number } | undefined
  /** Offset of the next record to handle: the one stored (and then committed). */
  next: number | undefined
  progressAt: number
  /** The head record is a retry waiting for its due time: lag then is expected, not a stall. */
  dueAt: number
  lag: { value: number, at: number } | undefined
  /** The broker's answer for this partition's lag, while one is awaited (one question at a time). */
  lagQuery?: Promise<void>
  /** Step mode: the head record waiting for its release, since when, and the offset released to run. */
  holding?: { m: Kafka.Message, since: number }
  release?: number
}

type Outcome = 'done' | 'fenced'
/** A record's first try, made inside a batch: its decoded value and the error its handler threw. */
interface Prior { value: unknown, err: unknown }
interface Meta {
  headers: Record<string, string>
  tier: number
  origin: { topic: string, partition: number, offset: number }
  key: string | null
  bindings: Record<string, unknown>
  timestamp: number
  /** Another group's retry: nothing for this group to do. */
  foreign: boolean
}
type SendOutcome = 'sent' | 'rejected' | 'fenced'
interface SendResult { outcome: SendOutcome, err?: unknown }

// Pausing a partition makes librdkafka drop what it had already fetched for it and fetch that again
// on resume, so the marks are far apart: at 500/100 a busy partition paused every 400 records.
/** How often librdkafka emits its statistics (the lag the metrics read comes from them). */
const STATS_INTERVAL_MS = 5000
const HIGH_WATER = 1000
const LOW_WATER = 250

// Broker answers that no retry changes: the record itself is refused (too large, invalid).
const PERMANENT_SEND_ERRORS = new Set([
  Kafka.CODES.ERRORS.ERR_INVALID_MSG,
  Kafka.CODES.ERRORS.ERR_INVALID_MSG_SIZE,
  Kafka.CODES.ERRORS.ERR_MSG_SIZE_TOO_LARGE,
  Kafka.CODES.ERRORS.ERR_RECORD_LIST_TOO_LARGE,
  Kafka.CODES.ERRORS.ERR_INVALID_RECORD
])
const TOO_LARGE = new Set([Kafka.CODES.ERRORS.ERR_INVALID_MSG_SIZE, Kafka.CODES.ERRORS.ERR_MSG_SIZE_TOO_LARGE, Kafka.CODES.ERRORS.ERR_RECORD_LIST_TOO_LARGE])

// A delivery report carries only librdkafka's error text (node-rdkafka sets code -1), so the text decides too.
const PERMANENT_SEND_TEXT = /too large|invalid (record|message)|corrupt/i
const TOO_LARGE_TEXT = /too large/i

function isPermanentSendError (err: unknown): boolean {
  return PERMANENT_SEND_ERRORS.has((err as { code?: number })?.code as number) || PERMANENT_SEND_TEXT.test((err as Error)?.message ?? '')
}

function isTooLarge (err: unknown): boolean {
  return TOO_LARGE.has((err as { code?: number })?.code as number) || TOO_LARGE_TEXT.test((err as Error)?.message ?? '')
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

/** How long a lag reading waits for the broker before it answers with the last known value. */
const LAG_WAIT_MS = 750

/**
 * The headers a retry or dead-letter copy carries: where the record came from (its raw topic
 * name), why it failed, how many tries it had and who failed it (`service/group`). What the DLQ
 * page and the replay read, for the engine and for a service with its own consumer (sales-counter).
 */
export function originHeaders (origin: { topic: string, partition: number, offset: number }, headers: Record<string, string>, err: unknown, attempts: number, failedBy: string): Record<string, string> {
  return {
    ...headers,
    [HEADERS.originalTopic]: origin.topic,
    [HEADERS.originalPartition]: String(origin.partition),
    [HEADERS.originalOffset]: String(origin.offset),
    [HEADERS.error]: message(err),
    [HEADERS.attempts]: String(attempts),
    [HEADERS.failedBy]: failedBy
  }
}

/**
 * True when a decode failed because the Schema Registry could not answer (a network error, which the
 * registry client reports as status 400, or a 5xx): the record is fine, the registry is not.
 * Poison is what the registry did answer about (unknown schema id: 404), a value not in the wire
 * format, or bytes the writer's schema cannot read (an Avro error).
 */
export function isRegistryUnavailable (err: unknown): boolean {
  const e = err as { status?: unknown, code?: unknown, name?: unknown, cause?: unknown }
  if (typeof e?.status === 'number') return e.status !== 404 && !(e.status >= 401 && e.status < 500 && e.status !== 408 && e.status !== 429)
  if (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) return true
  if (e?.name === 'ResponseError') return true
  return e?.cause !== undefined && isRegistryUnavailable(e.cause)
}

// pino's level values: a line is written when its level's value reaches the logger's.
const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }
const noop = (): void => {}

/**
 * A child logger made only when the handler first uses it: most records log nothing (or one line),
 * and pino's child() costs more than a batched record's own share of the work.
 */
export function lazyChild (parent: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined
  const real = (): Logger => (child ??= parent.child(bindings))
  return new Proxy(parent, {
    get (_target, prop) {
      // A line below the level (info at LOG_LEVEL=warn) is dropped without making the child at all.
      if (child === undefined && typeof prop === 'string' && prop !== 'silent' && LEVEL_VALUES[prop]! < (LEVEL_VALUES[parent.level] ?? 0)) return noop
      const c = real()
      const v = Reflect.get(c, prop) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v
    },
    set (_target, prop, value) {
      return Reflect.set(real(), prop, value)
    }
  })
}

function message (err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000)
}

export function headersOf (message: Kafka.Message): Record<string, string> {
  const out: Record<string, string> = {}
  for (const h of message.headers ?? []) {
    for (const [k, v] of Object.entries(h)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v)
  }
  return out
}

/**
 * One consumer group member. Records of a partition are handled one at a time, in order;
 * partitions run side by side up to `concurrency`. An offset is stored only after its record is
 * handled, dead-lettered or handed to a retry topic, so a crash re-delivers and never skips.
 * A failing record is retried in process with backoff, then goes through the retry topics
 * (orders.retry.5s → 30s → 5m), then to orders.dlq with its origin in the headers; a record that
 * cannot be decoded goes to the DLQ at once. A partition whose head record cannot move for a reason
 * outside the record (the registry unreachable, a retry or DLQ send failing) waits and tries again
 * with backoff, and says so in /health and the metrics; it never skips the record.
 *
 * Group protocol: classic with the cooperative-sticky assignor. A rebalance revokes only the
 * partitions that move, and the revoke waits (bounded) for their in-flight handler, so its offset is
 * stored and committed before the next owner starts. Kafka 4's `consumer` protocol (KIP-848, GA in
 * librdkafka 2.12) would also be incremental, but its session timeout is a broker setting (45 s at
 * least by default) where classic keeps ours (10 s, what the crash runbook's failover counts on) and
 * works unchanged against any broker the compose files or a student's cluster run.
 */
export class ConsumerEngine {
  private readonly consumer: Kafka.KafkaConsumer
  private readonly states = new Map<string, PartitionState>()
  private readonly tiers: ReadonlyArray<{ topic: string, delayMs: number }>
  private readonly highWater: number
  private readonly lowWater: number
  private readonly pausedFor = new Set<PauseReason>()
  private stepping = false
  private active = 0
  private readonly waiting: Array<() => void> = []
  private running = false
  private pumpDone: Promise<void> = Promise.resolve()
  private readonly revokes = new Set<Promise<void>>()
  private readonly source = { group: '', snapshot: (): ConsumerSnapshot => this.snapshot(), lag: async () => await this.lag() }

  private readonly security: KafkaSecurity
  private authFailure: KafkaAuthenticationError | undefined
  private onAuthFailure: ((err: KafkaAuthenticationError) => void) | undefined

  constructor (private readonly o: ConsumerEngineOptions) {
    this.security = o.security ?? envKafkaSecurity()
    this.tiers = o.retryTiers ?? RETRY_TIERS
    this.highWater = o.highWater ?? HIGH_WATER
    this.lowWater = Math.min(o.lowWater ?? LOW_WATER, this.highWater - 1)
    this.source.group = o.groupId
    this.consumer = new Kafka.KafkaConsumer({
      'metadata.broker.list': o.brokers,
      'group.id': o.groupId,
      'client.id': `${o.service}-${o.groupId}`,
      // See the class comment for why classic + cooperative-sticky.
      'group.protocol': 'classic',
      'partition.assignment.strategy': 'cooperative-sticky',
      'enable.auto.commit': true,
      'enable.auto.offset.store': false,
      'auto.commit.interval.ms': 1000,
      'session.timeout.ms': 10_000,
      'heartbeat.interval.ms': 2_000,
      ...(o.maxPollIntervalMs !== undefined ? { 'max.poll.interval.ms': o.maxPollIntervalMs } : {}),
      'fetch.wait.max.ms': 100,
      'socket.keepalive.enable': true,
      // librdkafka's statistics carry each partition's lag: the metrics read it from there (lag()).
      'statistics.interval.ms': STATS_INTERVAL_MS,
      rebalance_cb: (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) => this.onRebalance(err, assignment),
      ...this.security
    } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' })
    this.consumer.on('event.error', err => o.log.warn({ err }, 'kafka consumer error'))
    // A refused SASL login only shows in librdkafka's log: start() fails at once with it, readiness says so.
    this.consumer.on('event.log', e => {
      const reason = saslFailure(e.message)
      if (reason === undefined || this.authFailure) return
      this.authFailure = new KafkaAuthenticationError(kafkaPrincipal(this.security), reason)
      o.log.error({ principal: kafkaPrincipal(this.security), groupId: o.groupId, reason }, `kafka authentication failed for principal ${kafkaPrincipal(this.security)}: consumer group ${o.groupId} consumes nothing`)
      this.onAuthFailure?.(this.authFailure)
    })
    this.consumer.on('event.stats', (stats: { message: string }) => this.onStats(stats.message))
  }

  /** Lag per partition from librdkafka's statistics: the log end (or last stable offset) minus the offset stored after handling. */
  private readonly statsLag = new Map<string, { value: number, at: number }>()

  private onStats (json: string): void {
    let stats: { topics?: Record<string, { partitions?: Record<string, { consumer_lag_stored?: number, consumer_lag?: number }> }> }
    try {
      stats = JSON.parse(json)
    } catch {
      return
    }
    const at = Date.now()
    for (const [topic, t] of Object.entries(stats.topics ?? {})) {
      for (const [id, p] of Object.entries(t.partitions ?? {})) {
        // -1 is librdkafka's internal unassigned partition; a lag of -1 means "not known yet".
        const lag = (p.consumer_lag_stored ?? -1) >= 0 ? p.consumer_lag_stored! : (p.consumer_lag ?? -1)
        if (id !== '-1' && lag >= 0) this.statsLag.set(`${topic}:${id}`, { value: lag, at })
      }
    }
  }

  private raw (logical: string): string {
    return this.o.prefix + logical
  }

  private logical (raw: string): string {
    return raw.startsWith(this.o.prefix) ? raw.slice(this.o.prefix.length) : raw
  }

  private stateOf (topic: string, partition: number): PartitionState {
    const key = `${topic}:${partition}`
    let st = this.states.get(key)
    if (!st) {
      st = { topic, partition, items: [], worker: undefined, pauses: new Set(), rdPaused: false, owned: false, draining: false, epoch: 0, abort: new AbortController(), blocked: undefined, next: undefined, progressAt: Date.now(), dueAt: 0, lag: undefined }
      this.states.set(key, st)
    }
    return st
  }

  private onRebalance (err: Kafka.LibrdKafkaError | undefined, assignment: Kafka.Assignment[]): void {
    const code = err?.code
    if (code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      this.o.metrics.rebalances.inc({ group: this.o.groupId, kind: 'assign' })
      const states = assignment.map(a => this.stateOf(a.topic, a.partition))
      for (const st of states) {
        // A partition (re)assigned starts clean: nothing queued, no backpressure pause left from its last owner period.
        st.owned = true
        st.draining = false
        st.epoch++
        st.items.length = 0
        st.pauses = new Set(this.pausedFor)
        st.blocked = undefined
        st.abort = new AbortController()
        st.next = undefined
        st.lag = undefined
        st.progressAt = Date.now()
        st.holding = undefined
        st.release = undefined
      }
      try {
        this.consumer.incrementalAssign(assignment)
        // librdkafka keeps an application pause across unassign/assign: resume, then pause what must stay paused.
        this.consumer.resume(assignment.map(a => ({ topic: a.topic, partition: a.partition })))
      } catch (e) {
        this.o.log.warn({ err: e }, 'assign failed')
      }
      for (const st of states) {
        st.rdPaused = false
        this.applyPause(st)
      }
      this.o.log.info({ groupId: this.o.groupId, partitions: assignment.map(a => `${a.topic}[${a.partition}]`) }, 'partitions assigned')
    } else if (code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      this.o.metrics.rebalances.inc({ group: this.o.groupId, kind: 'revoke' })
      const states = assignment.map(a => this.stateOf(a.topic, a.partition))
      const inFlight: Array<Promise<void>> = []
      for (const st of states) {
        // What is queued is dropped (the next owner reads it from the committed offset); the record
        // in flight may finish and store its offset until we unassign.
        st.owned = false
        st.draining = true
        st.items.length = 0
        st.abort.abort()
        st.blocked = undefined
        st.holding = undefined
        if (st.worker) inFlight.push(st.worker)
      }
      const timeoutMs = this.o.revokeTimeoutMs ?? 10_000
      const done = (async () => {
        let timer: NodeJS.Timeout | undefined
        const timedOut = await Promise.race([
          Promise.allSettled(inFlight).then(() => false),
          new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(true), timeoutMs) })
        ])
        clearTimeout(timer)
        if (timedOut) this.o.log.warn({ groupId: this.o.groupId, timeoutMs }, 'revoke did not wait for every in-flight handler; their records will be handled again by the next owner')
        for (const st of states) {
          st.draining = false
          st.pauses.clear()
          st.rdPaused = false
          st.lag = undefined
        }
        try {
          this.consumer.incrementalUnassign(assignment)
        } catch (e) {
          this.o.log.warn({ err: e }, 'unassign failed')
        }
        this.o.log.info({ groupId: this.o.groupId, partitions: assignment.map(a => `${a.topic}[${a.partition}]`) }, 'partitions revoked')
      })()
      this.revokes.add(done)
      done.finally(() => this.revokes.delete(done)).catch(() => {})
    } else {
      this.o.log.error({ err }, 'rebalance error')
    }
  }

  async start (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.onAuthFailure = reject
      if (this.authFailure) reject(this.authFailure)
      this.consumer.connect({ timeout: 15_000 }, err => (err ? reject(this.authFailure ?? err) : resolve()))
    }).finally(() => { this.onAuthFailure = undefined })
    this.consumer.subscribe([...this.o.topics.map(t => this.raw(t)), ...this.tiers.map(t => this.raw(t.topic))])
    this.running = true
    this.o.metrics.consumers.add(this.source)
    this.pumpDone = this.pump()
  }

  /** Not started because the service's login was refused (the producer found out first): health says so. */
  refuse (err: KafkaAuthenticationError): void {
    this.authFailure ??= err
  }

  get isRunning (): boolean {
    return this.running && this.consumer.isConnected()
  }

  /**
   * Pauses every partition of this member (also ones assigned later) for `reason` until
   * resume(reason); other reasons are kept, and backpressure draining never lifts it. Records
   * already queued wait too; a handler in flight finishes.
   */
  pause<R extends string> (reason: RequestedPause<R>): void {
    if ((reason as string) === BACKPRESSURE || (reason as string) === STEP_HOLD) throw new Error(`${reason} is the engine's own pause reason`)
    this.pausedFor.add(reason)
    for (const st of this.states.values()) {
      if (!st.owned) continue
      st.pauses.add(reason)
      this.applyPause(st)
    }
  }

  /** Lifts `reason` only; the partitions flow again once no other reason holds them. */
  resume<R extends string> (reason: RequestedPause<R>): void {
    if ((reason as string) === BACKPRESSURE || (reason as string) === STEP_HOLD) throw new Error(`${reason} is the engine's own pause reason`)
    this.pausedFor.delete(reason)
    for (const st of this.states.values()) {
      if (!st.owned) continue
      st.pauses.delete(reason)
      this.applyPause(st)
      if (st.items.length > 0) this.kick(st)
    }
  }

  /** The reasons callers hold this member for now (backpressure, per partition, is not among them). */
  pausedReasons (): PauseReason[] {
    return [...this.pausedFor]
  }

  /**
   * Step mode (the instructor's one event at a time): each partition's head record waits before its
   * handler until release() names it; then that one record is handled (alone, not in a batch) and the
   * next one waits. The wait is not a blocked poll loop: the pump keeps polling (so the member stays
   * in its group, max.poll.interval.ms is never reached) and the partition holding a record is paused
   * in librdkafka (STEP_HOLD), so nothing more of it is fetched meanwhile; a partition with nothing
   * queued keeps fetching, so the next event shows up held. Offsets are stored after the handler as
   * always: a held record is never skipped, and a restart hands it over again. Off: every record
   * flows again (what was held goes first, in order). Another group's retry passes without a hold.
   */
  step (on: boolean): void {
    if (this.stepping === on) return
    this.stepping = on
    if (on) return
    for (const st of this.states.values()) {
      st.holding = undefined
      st.release = undefined
      if (st.pauses.delete(STEP_HOLD)) this.applyPause(st)
      if (st.owned && st.items.length > 0) this.kick(st)
    }
  }

  get isStepping (): boolean {
    return this.stepping
  }

  get groupId (): string {
    return this.o.groupId
  }

  /** The records the step mode holds now (one per partition at most: its head). */
  async held (): Promise<HeldRecord[]> {
    const out: HeldRecord[] = []
    for (const st of this.states.values()) {
      const h = st.holding
      if (!st.owned || h === undefined || st.release === h.m.offset) continue
      const meta = this.meta(h.m)
      let value: unknown = null
      try {
        if (h.m.value) value = await this.o.serde.decode(h.m.value, meta.origin.topic)
      } catch {
        // Shown without its value; the handler's own decode decides what becomes of it.
      }
      out.push({ group: this.o.groupId, topic: this.logical(h.m.topic), partition: h.m.partition, offset: h.m.offset, originTopic: meta.origin.topic, key: meta.key, timestamp: meta.timestamp, headers: meta.headers, value, heldSince: h.since })
    }
    return out
  }

  /** Lets the held record at `topic` (logical) [partition] @offset run its handler; false when no such record is held here. */
  releaseHeld (topic: string, partition: number, offset: number): boolean {
    const st = this.states.get(`${this.raw(topic)}:${partition}`)
    if (!this.stepping || !st?.owned || st.holding?.m.offset !== offset) return false
    st.release = offset
    return true
  }

  /** Step mode: waits until the head record `m` is released (or the mode ends); false when the partition is no longer ours. */
  private async stepGate (st: PartitionState, epoch: number, m: Kafka.Message): Promise<boolean> {
    if (st.release === m.offset) return true
    if (st.holding?.m !== m) st.holding = { m, since: Date.now() }
    if (!st.pauses.has(STEP_HOLD)) {
      st.pauses.add(STEP_HOLD)
      this.applyPause(st)
    }
    while (this.current(st, epoch) && this.stepping && st.release !== m.offset) await sleep(50)
    return this.current(st, epoch)
  }

  /** After a record ran in step mode: the next one waits in turn; a partition with nothing queued fetches again. */
  private stepped (st: PartitionState): void {
    st.holding = undefined
    st.release = undefined
    if (st.items.length === 0 && st.pauses.delete(STEP_HOLD)) this.applyPause(st)
  }

  /** Tells librdkafka to pause or resume the partition when the set of reasons became (non-)empty. */
  private applyPause (st: PartitionState): void {
    const want = st.pauses.size > 0
    if (want === st.rdPaused || !st.owned) return
    try {
      if (want) this.consumer.pause([{ topic: st.topic, partition: st.partition }])
      else this.consumer.resume([{ topic: st.topic, partition: st.partition }])
      st.rdPaused = want
    } catch (err) {
      this.o.log.warn({ err, topic: st.topic, partition: st.partition }, want ? 'pause failed' : 'resume failed')
    }
  }

  /**
   * Waits up to 100 ms for one record, then takes whatever else is already fetched without waiting.
   * consume(500) with a timeout would hold records until 500 arrive or none comes for the whole
   * timeout: every hop of a saga at a steady trickle waited those 100 ms.
   */
  private async pump (): Promise<void> {
    let idle = true
    while (this.running) {
      this.consumer.setDefaultConsumeTimeout(idle ? 100 : 0)
      const messages = await new Promise<Kafka.Message[]>(resolve => {
        this.consumer.consume(idle ? 1 : 500, (err, msgs) => {
          if (err) this.o.log.warn({ err }, 'consume failed')
          resolve(msgs ?? [])
        })
      })
      for (const m of messages) this.enqueue(m)
      idle = messages.length === 0
    }
  }

  private enqueue (m: Kafka.Message): void {
    const st = this.states.get(`${m.topic}:${m.partition}`)
    // Fetched before a revoke: its next owner reads it from the committed offset.
    if (!st?.owned) return
    st.items.push(m)
    if (st.items.length >= this.highWater && !st.pauses.has(BACKPRESSURE)) {
      st.pauses.add(BACKPRESSURE)
      this.applyPause(st)
    }
    this.kick(st)
  }

  private kick (st: PartitionState): void {
    if (st.worker || !this.running) return
    const w = this.drain(st).catch(err => this.o.log.error({ err, topic: st.topic, partition: st.partition }, 'partition worker failed'))
    st.worker = w
    w.finally(() => {
      if (st.worker === w) st.worker = undefined
      // Records queued for a newer assignment while the old worker finished.
      if (this.running && st.owned && st.items.length > 0) this.kick(st)
    }).catch(() => {})
  }

  private current (st: PartitionState, epoch: number): boolean {
    return this.running && st.owned && st.epoch === epoch
  }

  /** Sleeps up to `ms`, waking early when the partition is revoked or the engine stops; false when it no longer may go on. */
  private async wait (st: PartitionState, epoch: number, ms: number): Promise<boolean> {
    const until = Date.now() + ms
    while (this.current(st, epoch) && Date.now() < until) await sleep(Math.min(100, until - Date.now()))
    return this.current(st, epoch)
  }

  private async backoff (st: PartitionState, epoch: number, attempt: number): Promise<boolean> {
    const { min, max } = this.o.blockedBackoffMs ?? { min: 250, max: 10_000 }
    return await this.wait(st, epoch, backoffMs(attempt, { minMs: min, maxMs: max }))
  }

  private block (st: PartitionState, reason: BlockReason, err: unknown): void {
    if (st.blocked?.reason !== reason) {
      st.blocked = { reason, detail: message(err), since: Date.now() }
      this.o.log.warn({ err, topic: st.topic, partition: st.partition, reason }, 'partition blocked, retrying with backoff')
    } else {
      st.blocked.detail = message(err)
    }
  }

  private unblock (st: PartitionState): void {
    if (!st.blocked) return
    this.o.log.info({ topic: st.topic, partition: st.partition, reason: st.blocked.reason, seconds: (Date.now() - st.blocked.since) / 1000 }, 'partition unblocked')
    st.blocked = undefined
  }

  private async acquire (): Promise<void> {
    if (this.active < this.o.concurrency) {
      this.active++
      return
    }
    await new Promise<void>(resolve => this.waiting.push(resolve))
  }

  private release (): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.active--
  }

  private async drain (st: PartitionState): Promise<void> {
    const epoch = st.epoch
    while (this.current(st, epoch) && st.items.length > 0) {
      // Held by a caller (operator, step mode, a fault drill): queued records wait too, not just the fetching.
      while (this.current(st, epoch) && held(st.pauses)) await sleep(100)
      const m = st.items[0]
      if (!this.current(st, epoch) || !m) return
      // Step mode: the record waits for the instructor's release (another group's retry just passes).
      const stepping = this.stepping && !this.meta(m).foreign
      if (stepping && !(await this.stepGate(st, epoch, m))) return
      // A retried record waits for its due time without holding a concurrency slot.
      const dueAt = Number(headersOf(m)[HEADERS.retryDueAt] ?? 0)
      st.dueAt = dueAt
      if (dueAt > Date.now() && !(await this.wait(st, epoch, dueAt - Date.now()))) return
      st.progressAt = Math.max(st.progressAt, Math.min(Date.now(), dueAt))
      await this.acquire()
      let outcome: Outcome
      try {
        // Ownership is checked again after the wait: the partition may have moved meanwhile.
        if (!this.current(st, epoch)) outcome = 'fenced'
        else outcome = await this.runBatch(st, epoch, this.o.batch ?? unbatched)
      } finally {
        this.release()
      }
      if (outcome === 'fenced') return
      if (stepping || st.holding) this.stepped(st)
      if (st.pauses.has(BACKPRESSURE) && st.items.length <= this.lowWater) {
        st.pauses.delete(BACKPRESSURE)
        this.applyPause(st)
      }
    }
  }

  /** Stores `m`'s offset + 1 while we own the partition, or while a revoke waits for this very record; never for an older assignment. */
  private storeOffset (st: PartitionState, epoch: number, m: Kafka.Message): void {
    if (st.epoch !== epoch || (!st.owned && !st.draining)) return
    try {
      this.consumer.offsetsStore([{ topic: m.topic, partition: m.partition, offset: m.offset + 1 }])
      st.next = m.offset + 1
      st.progressAt = Date.now()
    } catch (err) {
      this.o.log.warn({ err, topic: m.topic, partition: m.partition }, 'offset store failed (partition revoked?)')
    }
  }

  /** The head record on its own, in its own transactions, as before batching; then its offset. */
  private async processOne (st: PartitionState, epoch: number, m: Kafka.Message, prior?: Prior): Promise<Outcome> {
    const outcome = await this.process(st, epoch, m, prior)
    if (outcome === 'fenced') return outcome
    this.storeOffset(st, epoch, m)
    if (st.items[0] === m) st.items.shift()
    return outcome
  }

  /**
   * The records at the head of the partition as one batch: each handler inside one unit (one
   * PostgreSQL transaction, see BatchUnit), in order, until BATCH_MAX_RECORDS or BATCH_MAX_MS. After
   * the commit, one offset store for the batch. A record whose handler throws ends the batch: what
   * came before it is committed, then it goes through the retry ladder exactly as alone (its
   * failed try counts as the first), so it never fails its neighbours. A record the batch cannot
   * take (not decodable now, a retry not due yet, another group's retry) is left to the next round,
   * where it is handled alone.
   */
  private async runBatch (st: PartitionState, epoch: number, open: () => BatchUnit): Promise<Outcome> {
    const unit = open()
    const done: Array<{ m: Kafka.Message, topic: string, seconds: number | undefined }> = []
    let failed: { m: Kafka.Message, prior: Prior } | undefined
    const started = performance.now()
    let last = started
    for (let i = 0; i < st.items.length && i < BATCH_MAX_RECORDS; i++) {
      // In step mode each record is its own batch: one release, one handler.
      if (i > 0 && (last - started >= BATCH_MAX_MS || held(st.pauses) || this.stepping)) break
      if (!this.current(st, epoch)) break
      const m = st.items[i]!
      const meta = this.meta(m)
      if (meta.foreign) {
        // Another group's retry: nothing to do but move past it.
        done.push({ m, topic: meta.origin.topic, seconds: undefined })
        continue
      }
      if (!m.value) break
      if (i > 0 && Number(meta.headers[HEADERS.retryDueAt] ?? 0) > Date.now()) break
      let value: unknown
      try {
        value = await this.o.serde.decode(m.value, meta.origin.topic)
      } catch {
        // Alone, it waits for the registry or goes to the DLQ (process).
        break
      }
      const { record, log, ctx } = this.prepared(st, epoch, meta, value)
      try {
        await unit.run(async () => await this.o.handler(record, log, ctx))
      } catch (err) {
        // Contended: alone, as the next round's head record, with all its tries ahead of it.
        if (!unit.contended?.()) failed = { m, prior: { value, err } }
        break
      }
      const now = performance.now()
      done.push({ m, topic: meta.origin.topic, seconds: (now - last) / 1000 })
      last = now
    }
    try {
      await unit.commit()
    } catch (err) {
      // Nothing of the batch is durable: its records are handled again, one by one, each alone.
      this.o.log.warn({ err, topic: st.topic, partition: st.partition, records: done.length }, 'batch commit failed; handling its records one by one')
      const n = done.length + (failed ? 1 : 0)
      for (let k = 0; k < Math.max(1, n); k++) {
        const m = st.items[0]
        if (!m || !this.current(st, epoch) || (await this.processOne(st, epoch, m)) === 'fenced') return 'fenced'
      }
      return 'done'
    }
    if (done.length > 0) {
      const perTopic = new Map<string, number>()
      for (const d of done) {
        if (d.seconds === undefined) continue
        perTopic.set(d.topic, (perTopic.get(d.topic) ?? 0) + 1)
        this.o.metrics.processing.observe({ topic: d.topic }, d.seconds)
      }
      for (const [topic, n] of perTopic) this.o.metrics.consumed.inc({ group: this.o.groupId, topic, outcome: 'ok' }, n)
      // One store for the batch: the offset after its last record.
      this.storeOffset(st, epoch, done[done.length - 1]!.m)
      for (const d of done) if (st.items[0] === d.m) st.items.shift()
    }
    if (failed) return await this.processOne(st, epoch, failed.m, failed.prior)
    // The head record could not join a batch: alone it is decoded again, waits, retries or dead-letters as before.
    if (done.length === 0 && this.current(st, epoch) && st.items[0]) return await this.processOne(st, epoch, st.items[0])
    return 'done'
  }

  private tierOf (rawTopic: string): number {
    return this.tiers.findIndex(t => this.raw(t.topic) === rawTopic)
  }

  /** Where a record comes from (its original coordinates for a retried one), and its log bindings. */
  private meta (m: Kafka.Message): Meta {
    const headers = headersOf(m)
    const tier = this.tierOf(m.topic)
    const origin = tier >= 0
      ? { topic: this.logical(headers[HEADERS.originalTopic] ?? ''), partition: Number(headers[HEADERS.originalPartition]), offset: Number(headers[HEADERS.originalOffset]) }
      : { topic: this.logical(m.topic), partition: m.partition, offset: m.offset }
    const key = m.key ? m.key.toString() : null
    const bindings = { orderId: key, topic: origin.topic, partition: origin.partition, offset: origin.offset, ...(tier >= 0 ? { retryTier: tier + 1 } : {}) }
    return { headers, tier, origin, key, bindings, timestamp: m.timestamp ?? Date.now(), foreign: tier >= 0 && headers[HEADERS.retryGroup] !== this.o.groupId }
  }

  /** The handler's record, logger and context for a decoded record. */
  private prepared (st: PartitionState, epoch: number, meta: Meta, value: unknown): { record: ConsumedRecord, log: Logger, ctx: HandlerContext } {
    const { origin, bindings, tier } = meta
    // One child logger per record: every line of its handling names the order and the event (the
    // gateway's per-order logs and a grep by eventId find them). Made on its first line only.
    const eventId = (value as { eventId?: unknown } | null)?.eventId
    const log = lazyChild(this.o.log, typeof eventId === 'string' ? { ...bindings, eventId } : bindings)
    const record: ConsumedRecord = { topic: origin.topic, partition: origin.partition, offset: origin.offset, key: meta.key, value, headers: meta.headers, timestamp: meta.timestamp, attempt: tier + 1 }
    const ctx: HandlerContext = { signal: st.abort.signal, owned: () => this.current(st, epoch) || (st.epoch === epoch && st.draining) }
    return { record, log, ctx }
  }

  private async process (st: PartitionState, epoch: number, m: Kafka.Message, prior?: Prior): Promise<Outcome> {
    const meta = this.meta(m)
    const { headers, tier, origin, bindings } = meta
    if (meta.foreign) return 'done' // another group's retry
    const timer = this.o.metrics.processing.startTimer({ topic: origin.topic })
    let value: unknown = prior?.value
    // Decoded already when its first try was made in a batch.
    if (!prior) {
      for (let attempt = 0; ; attempt++) {
        try {
          if (!m.value) throw new Error('record has no value')
          // Read into the catalog's latest schema of the topic: the shape the typed handlers are given.
          value = await this.o.serde.decode(m.value, origin.topic)
          this.unblock(st)
          break
        } catch (err) {
          if (m.value && isRegistryUnavailable(err)) {
            // Not the record's fault: it waits at the head of its partition until the registry answers.
            this.block(st, 'registry_unavailable', err)
            if (!(await this.backoff(st, epoch, attempt))) return 'fenced'
            continue
          }
          this.o.log.error({ ...bindings, err }, 'undecodable record, sending to the dead-letter topic')
          timer()
          return await this.deadLetter(st, epoch, m, origin, headers, err, Number(headers[HEADERS.attempts] ?? 0), 'undecodable')
        }
      }
    }
    const { record, log, ctx } = this.prepared(st, epoch, meta, value)
    const attempts = tier >= 0 ? 1 : 1 + this.o.retryAttempts
    let lastError: unknown
    // Handler calls so far, across the in-process tries and the retry tiers.
    let tries = tier >= 0 ? Number(headers[HEADERS.attempts] ?? 0) : 0
    let first = 0
    if (prior) {
      // Its first try failed inside a batch (whose other records were committed): go on from the second.
      tries++
      lastError = prior.err
      first = attempts
      if (isRetryable(prior.err)) {
        if (!this.current(st, epoch)) return 'fenced'
        log.warn({ err: prior.err, attempt: 1 }, 'handler failed, retrying')
        if (attempts > 1 && !(await this.wait(st, epoch, this.o.retryBackoffMs))) return 'fenced'
        first = 1
      }
    }
    for (let i = first; i < attempts; i++) {
      tries++
      try {
        await this.o.handler(record, log, ctx)
        this.o.metrics.consumed.inc({ group: this.o.groupId, topic: origin.topic, outcome: 'ok' })
        timer()
        return 'done'
      } catch (err) {
        lastError = err
        if (!isRetryable(err)) break
        // Revoked meanwhile: the next owner tries again from the committed offset.
        if (!this.current(st, epoch)) return 'fenced'
        log.warn({ err, attempt: i + 1 }, 'handler failed, retrying')
        if (i < attempts - 1 && !(await this.wait(st, epoch, this.o.retryBackoffMs * 2 ** i))) return 'fenced'
      }
    }
    timer()
    if (!this.current(st, epoch)) return 'fenced'
    const nextTier = tier + 1
    if (isRetryable(lastError) && nextTier < this.tiers.length) {
      const sent = await this.toRetryTier(st, epoch, m, origin, headers, lastError, nextTier, tries)
      if (sent === 'fenced') return 'fenced'
      if (sent === 'sent') {
        this.o.metrics.consumed.inc({ group: this.o.groupId, topic: origin.topic, outcome: 'retried' })
        return 'done'
      }
      log.error({ err: lastError }, 'the retry topic refused the record, sending it to the dead-letter topic')
      return await this.deadLetter(st, epoch, m, origin, headers, lastError, tries, 'retry_refused')
    }
    log.error({ err: lastError }, 'handler failed for good, sending to the dead-letter topic')
    return await this.deadLetter(st, epoch, m, origin, headers, lastError, tries, isRetryable(lastError) ? 'retries_exhausted' : 'permanent')
  }

  private originHeaders (origin: { topic: string, partition: number, offset: number }, headers: Record<string, string>, err: unknown, attempts: number): Record<string, string> {
    return originHeaders({ ...origin, topic: this.raw(origin.topic) }, headers, err, attempts, `${this.o.service}/${this.o.groupId}`)
  }

  /**
   * Sends a retry or dead-letter copy, trying again with backoff until the broker takes it (the
   * partition waits, blocked, meanwhile) or the partition is revoked or the engine stops (then the
   * offset is not stored and the record comes back). 'rejected': the broker refuses this record for good.
   */
  private async sendDurably (st: PartitionState, epoch: number, target: 'retry' | 'dlq', record: OutgoingRecord): Promise<SendResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!(await this.acknowledged(st, epoch, target, this.o.producer.send(record)))) return { outcome: 'fenced' }
        this.unblock(st)
        return { outcome: 'sent' }
      } catch (err) {
        const permanent = isPermanentSendError(err)
        this.o.metrics.sendFailures.inc({ group: this.o.groupId, target, kind: permanent ? 'permanent' : 'transient' })
        if (permanent) {
          this.o.log.error({ err, topic: record.topic, key: record.key }, 'the broker refused the record')
          return { outcome: 'rejected', err }
        }
        this.block(st, target === 'dlq' ? 'dlq_send_failed' : 'retry_send_failed', err)
        if (!(await this.backoff(st, epoch, attempt))) return { outcome: 'fenced' }
      }
    }
  }

  /**
   * Waits for a send's acknowledgement. librdkafka may hold a record far beyond message.timeout.ms
   * (an idempotent producer with no broker to talk to keeps it queued), so a slow send marks the
   * partition blocked, and a revoke or stop stops the wait (false): the record is then not stored
   * and comes back, and the copy, if it still lands, is a duplicate the handlers' dedup absorbs.
   */
  private async acknowledged (st: PartitionState, epoch: number, target: 'retry' | 'dlq', send: Promise<unknown>): Promise<boolean> {
    const state = { settled: false }
    const done = send.finally(() => { state.settled = true })
    done.catch(() => {})
    const started = Date.now()
    const slowMs = this.o.slowSendMs ?? 10_000
    for (;;) {
      await Promise.race([done.catch(() => {}), sleep(100)])
      if (state.settled) break
      if (!this.running || st.epoch !== epoch || (!st.owned && !st.draining)) return false
      if (Date.now() - started >= slowMs) this.block(st, target === 'dlq' ? 'dlq_send_failed' : 'retry_send_failed', new Error(`no acknowledgement from the broker for ${Math.round((Date.now() - started) / 1000)}s`))
    }
    await done
    return true
  }

  private async toRetryTier (st: PartitionState, epoch: number, m: Kafka.Message, origin: { topic: string, partition: number, offset: number }, headers: Record<string, string>, err: unknown, tier: number, tries: number): Promise<SendOutcome> {
    const t = this.tiers[tier]!
    const { outcome } = await this.sendDurably(st, epoch, 'retry', {
      topic: this.raw(t.topic),
      key: m.key ? m.key.toString() : '',
      value: m.value ?? Buffer.alloc(0),
      headers: { ...this.originHeaders(origin, headers, err, tries), [HEADERS.retryGroup]: this.o.groupId, [HEADERS.retryDueAt]: String(Date.now() + t.delayMs) }
    })
    if (outcome === 'sent') this.o.metrics.retries.inc({ topic: origin.topic, tier: t.topic })
    return outcome
  }

  private async deadLetter (st: PartitionState, epoch: number, m: Kafka.Message, origin: { topic: string, partition: number, offset: number }, headers: Record<string, string>, err: unknown, attempts: number, reason: string): Promise<Outcome> {
    const h: Record<string, string> = { ...this.originHeaders(origin, headers, err, attempts), [HEADERS.reason]: reason }
    delete h[HEADERS.retryDueAt]
    delete h[HEADERS.retryGroup]
    const record = { topic: this.raw(DLQ_TOPIC), key: m.key ? m.key.toString() : '', value: m.value ?? Buffer.alloc(0), headers: h }
    let sent = await this.sendDurably(st, epoch, 'dlq', record)
    if (sent.outcome === 'rejected') {
      // The DLQ refuses this record (too large for it, say): keep a copy without the value that points
      // at the original, which is still in its topic for its retention.
      const why = isTooLarge(sent.err) ? `value too large for ${DLQ_TOPIC} (${m.value?.length ?? 0} bytes)` : `value refused by ${DLQ_TOPIC} (${message(sent.err)})`
      sent = await this.sendDurably(st, epoch, 'dlq', { ...record, value: Buffer.alloc(0), headers: { ...h, [HEADERS.valueDropped]: `${why}; read it at ${h[HEADERS.originalTopic]}[${origin.partition}]@${origin.offset}` } })
      if (sent.outcome === 'rejected') this.o.log.error({ err: sent.err, topic: origin.topic, partition: origin.partition, offset: origin.offset }, 'the dead-letter topic refused even the copy without a value; the record stays only at its origin')
    }
    if (sent.outcome === 'fenced') return 'fenced'
    this.o.metrics.deadLetters.inc({ topic: origin.topic, reason })
    this.o.metrics.consumed.inc({ group: this.o.groupId, topic: origin.topic, outcome: 'dead_lettered' })
    return 'done'
  }

  /** Paused and blocked partitions by reason, for the metrics and /health. */
  private snapshot (): ConsumerSnapshot {
    const paused: Record<string, number> = {}
    const blocked: Record<string, number> = {}
    for (const st of this.states.values()) {
      if (!st.owned) continue
      for (const r of st.pauses) paused[r] = (paused[r] ?? 0) + 1
      if (st.blocked) blocked[st.blocked.reason] = (blocked[st.blocked.reason] ?? 0) + 1
    }
    return { group: this.o.groupId, paused, blocked }
  }

  /**
   * Lag of every owned partition: the broker's high watermark minus the next offset to handle.
   * Asked of the broker on demand (a scrape, /health), at most once a second per partition, so a
   * paused partition's lag keeps growing in the metrics instead of freezing at its last fetch.
   */
  async lag (): Promise<Array<{ topic: string, partition: number, lag: number }>> {
    const owned = [...this.states.values()].filter(st => st.owned)
    const out = await Promise.all(owned.map(async st => {
      // A flowing partition: librdkafka's last statistics say it. A paused one stops fetching, so its
      // statistics freeze: the broker is asked instead, and the lag keeps growing.
      const stats = this.statsLag.get(`${st.topic}:${st.partition}`)
      if (stats && st.pauses.size === 0 && Date.now() - stats.at <= 2 * STATS_INTERVAL_MS && (!st.lag || stats.at > st.lag.at)) {
        st.lag = { value: stats.value, at: stats.at }
        if (stats.value === 0) st.progressAt = Date.now()
      } else if (!st.lag || Date.now() - st.lag.at > 1000) {
        st.lagQuery ??= (async () => {
          try {
            const w = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => this.consumer.queryWatermarkOffsets(st.topic, st.partition, 1500, (err, o) => (err ? reject(err) : resolve(o))))
            const at = st.next ?? st.items[0]?.offset ?? await this.committed(st) ?? w.lowOffset
            st.lag = { value: Math.max(0, w.highOffset - Math.max(at, w.lowOffset)), at: Date.now() }
            if (st.lag.value === 0) st.progressAt = Date.now()
          } catch {
            // Unknown this time; the last value stands.
          } finally {
            st.lagQuery = undefined
          }
        })()
        // A scrape never waits long on a broker that does not answer (a dead leader, a busy libuv pool):
        // the last value stands and the answer lands for the next scrape. Otherwise Prometheus times the
        // scrape out and reports a working service down.
        await Promise.race([st.lagQuery, new Promise(resolve => setTimeout(resolve, LAG_WAIT_MS).unref())])
      }
      return { topic: this.logical(st.topic), partition: st.partition, lag: st.lag?.value ?? 0 }
    }))
    return out
  }

  private async committed (st: PartitionState): Promise<number | undefined> {
    const [tp] = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) => this.consumer.committed([{ topic: st.topic, partition: st.partition }], 1500, (err, r) => (err ? reject(err) : resolve(r))))
    return tp && tp.offset >= 0 ? tp.offset : undefined
  }

  /** Readiness of this member: running, no partition blocked, none stalled with lag (unless an operator paused it). */
  async health (): Promise<{ ok: boolean, detail: string }> {
    if (this.authFailure) return { ok: false, detail: `${this.o.groupId}: ${this.authFailure.message}` }
    if (!this.isRunning) return { ok: false, detail: `${this.o.groupId}: not running` }
    const lags = await this.lag()
    const problems: string[] = []
    let total = 0
    let paused = 0
    const stallMs = this.o.stallMs ?? 30_000
    for (const st of this.states.values()) {
      if (!st.owned) continue
      const name = `${this.logical(st.topic)}[${st.partition}]`
      const lag = lags.find(l => l.partition === st.partition && this.raw(l.topic) === st.topic)?.lag ?? 0
      total += lag
      if (st.pauses.size > 0) paused++
      // A record the step mode holds (st.holding) waits for the instructor: not a stall.
      if (st.blocked) {
        problems.push(`${name} blocked ${Math.round((Date.now() - st.blocked.since) / 1000)}s: ${st.blocked.reason.replace(/_/g, ' ')} (${st.blocked.detail})`)
      } else if (lag > 0 && st.dueAt <= Date.now() && !held(st.pauses) && st.holding === undefined && Date.now() - st.progressAt > stallMs) {
        problems.push(`${name} stalled: lag ${lag}, no progress for ${Math.round((Date.now() - st.progressAt) / 1000)}s${st.pauses.size > 0 ? ` (paused: ${[...st.pauses].join(', ')})` : ''}`)
      }
    }
    const summary = `${this.o.groupId}: lag ${total}${paused > 0 ? `, ${paused} paused` : ''}`
    return problems.length > 0 ? { ok: false, detail: `${summary}; ${problems.join('; ')}` } : { ok: true, detail: summary }
  }

  /** Stop intake, let in-flight records finish, commit the stored offsets, then leave the group. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    for (const st of this.states.values()) st.abort.abort()
    await this.pumpDone
    await Promise.allSettled([...this.states.values()].map(st => st.worker))
    await Promise.allSettled([...this.revokes])
    this.o.metrics.consumers.delete(this.source)
    try {
      this.consumer.commitSync(null)
    } catch {
      // Nothing stored since the last auto-commit.
    }
    await new Promise<void>(resolve => this.consumer.disconnect(() => resolve()))
  }
}
