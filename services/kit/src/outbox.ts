import { randomUUID } from 'node:crypto'
import Kafka from 'node-rdkafka'
import type { Logger } from './log.ts'
import { DLQ_TOPIC, HEADERS, RETRY_TIERS, findTopic, validateEvent } from '@vitrine/contracts'
import type { EventTopic, SagaMode, TopicSerde, TopicValues } from '@vitrine/contracts'
import type { ReservedSql } from 'postgres'
import type { Db, Tx } from './db.ts'
import type { Delivered, EventProducer, OutgoingRecord } from './kafka/producer.ts'
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

/** An outbox row a transaction wrote, as the post-commit fast path publishes it. */
export interface CommittedRow {
  id: number
  topic: string
  key: string
  value: unknown
  headers: Record<string, string>
  created_at: Date
  /** An older unpublished row of the same topic and key existed when it was written: the relay's passes publish it, after that one. */
  behind: boolean
}

/** An event ready for the outbox table: validated, its key taken from the value. */
interface OutboxRow { topic: string, key: string, value: unknown, headers: Record<string, string> }

/**
 * The rows one transaction (or one savepoint of it) enqueued, and every id its whole transaction
 * wrote so far. `pending`, in a consumer batch's transaction: rows enqueued but not inserted yet;
 * flushOutbox inserts them all in one statement just before the batch's COMMIT.
 */
export interface OutboxTracker { rows: CommittedRow[], txIds: number[], pending?: OutboxRow[] }

// Keyed by the transaction (or savepoint) object postgres.js hands `fn`: enqueue finds it without a new parameter.
const trackers = new WeakMap<object, OutboxTracker>()

/**
 * Collects the outbox rows `tx` enqueues, so they can be published right after it commits
 * (plugins/postgres.ts). A savepoint of a tracked transaction gets its own tracker sharing `txIds`
 * with its parent; its rows join the parent's only once it is released.
 */
export function trackOutbox (tx: object, parent?: OutboxTracker, deferred = false): OutboxTracker {
  const t: OutboxTracker = { rows: [], txIds: parent?.txIds ?? [], ...(deferred ? { pending: [] } : {}) }
  trackers.set(tx, t)
  return t
}

/**
 * Inserts the rows a deferred tracker holds (a consumer batch's, see plugins/postgres.ts) in one
 * statement: one insert per batch instead of one per handler's enqueue. Their ids are drawn in the
 * order the handlers enqueued them, as if each had been inserted at once.
 */
export async function flushOutbox (tx: Tx, tracker: OutboxTracker): Promise<void> {
  const rows = tracker.pending
  if (!rows || rows.length === 0) return
  tracker.pending = []
  await insertRows(tx, rows, tracker)
}

/**
 * Adds events to the outbox inside the caller's transaction, in one statement; they are published
 * after it commits. Inside a consumer batch the rows are inserted with the batch's others, just
 * before its COMMIT (flushOutbox): an invalid event still fails here, in its handler.
 */
export async function enqueue (tx: Tx, events: OutboxEvent[]): Promise<void> {
  if (events.length === 0) return
  const rows = events.map((e): OutboxRow => {
    try {
      validateEvent(e.topic, e.value)
    } catch (err) {
      throw new PermanentError((err as Error).message)
    }
    // The catalog says what keys each topic: orderId for saga topics, productId for products.catalog.
    const key = (e.value as unknown as Record<string, string>)[findTopic(e.topic)?.key === 'productId' ? 'productId' : 'orderId']!
    return { topic: e.topic, key, value: e.value as unknown, headers: e.headers }
  })
  const tracker = trackers.get(tx)
  if (tracker?.pending) {
    for (const r of rows) tracker.pending.push(r)
    return
  }
  await insertRows(tx, rows, tracker)
}

async function insertRows (tx: Tx, rows: OutboxRow[], tracker: OutboxTracker | undefined): Promise<void> {
  // Whether an older row of the same topic and key is still unpublished (a backlog the relay holds, or
  // a failed send): then this row must wait for it. The rows this transaction wrote itself do not count.
  const written = await tx<Array<{ id: number, created_at: Date, behind: boolean }>>`insert into outbox (topic, key, value, headers)
    select r.e->>'topic', r.e->>'key', r.e->'value', r.e->'headers' from jsonb_array_elements(${tx.json(rows as never)}) with ordinality as r(e, n) order by r.n
    returning id, created_at, exists (select 1 from outbox p where p.topic = outbox.topic and p.key = outbox.key and p.id < outbox.id
      and p.published_at is null and p.failed_at is null and p.id <> all(${tracker?.txIds ?? []}::bigint[])) as behind`
  if (!tracker) return
  // The ids are drawn in the array's order.
  written.sort((a, b) => a.id - b.id)
  for (let i = 0; i < rows.length; i++) {
    const w = written[i]!
    tracker.txIds.push(w.id)
    tracker.rows.push({ ...rows[i]!, id: w.id, created_at: w.created_at, behind: w.behind })
  }
}

/**
 * Produce errors that no retry can fix: the record itself is refused. Not TOPIC_AUTHORIZATION_FAILED:
 * the record is fine and the service's principal lacks an ACL (KAFKA_AUTH=scram), which a grant fixes
 * (runbooks/07-seguranca.md); the row waits in the outbox meanwhile and goes out, in order, once granted.
 */
const UNPUBLISHABLE = new Set<number>([
  Kafka.CODES.ERRORS.ERR_MSG_SIZE_TOO_LARGE,
  Kafka.CODES.ERRORS.ERR_INVALID_MSG_SIZE,
  Kafka.CODES.ERRORS.ERR_INVALID_MSG,
  Kafka.CODES.ERRORS.ERR_RECORD_LIST_TOO_LARGE,
  Kafka.CODES.ERRORS.ERR_INVALID_RECORD
])

class Unpublishable extends Error {}

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * How long a processed event id must be remembered for records of `topic`: as long as any copy of
 * such a record can come back (the topic's own retention for an offset reset, the retry topics',
 * and the DLQ's for a replay), plus a day. Infinity for a topic that keeps records forever (compacted)
 * or that the catalog does not know.
 */
export function dedupWindowMs (topic: string): number {
  // Unknown to the catalog: nothing says when its copies expire, so its ids are kept.
  if (!findTopic(topic)) return Infinity
  const retention = (name: string): number => {
    const config = (findTopic(name)?.config ?? {}) as Record<string, string>
    if (!(config['cleanup.policy'] ?? 'delete').includes('delete')) return Infinity
    const ms = Number(config['retention.ms'] ?? 7 * DAY_MS)
    return ms < 0 ? Infinity : ms
  }
  return Math.max(retention(topic), ...RETRY_TIERS.map(t => retention(t.topic)), retention(DLQ_TOPIC)) + DAY_MS
}

export interface RelayOptions {
  /** The service whose outbox this is: names the DLQ's failed-by header. */
  service: string
  /** The database schema of the outbox: names the advisory lock and the wake-up channel. */
  schema: string
  /** Published rows are deleted after this long (a day by default: enough to look at recent ones). */
  keepPublishedMs?: number
  pruneEveryMs?: number
}

interface Row { id: number, topic: string, key: string, value: unknown, headers: Record<string, string>, created_at: Date }
type Outcome = { id: number, ok: true } | { id: number, ok: false, error: string, dead: boolean }

const BATCH = 500

/**
 * Publishes committed outbox rows, per topic and key in id order, and marks each as published once
 * the broker acknowledged it.
 *
 * - One relay per service publishes: the instance holding a PostgreSQL advisory lock (on a reserved
 *   connection; it passes to another instance when that connection ends). The others only wake the
 *   owner with NOTIFY after their commits, so no one waits for the owner's timer.
 * - A pass takes at most one row per topic and key (the oldest unpublished), so a key's next row is
 *   sent only after the previous one was acknowledged and marked: a failed send is retried before
 *   anything newer of that key, and a repeat never lands after a newer event.
 * - No transaction is open while waiting for Kafka: read rows, send, then mark.
 * - A row that can never be published (invalid for its schema, refused by the broker) goes to the
 *   DLQ with the error, is set aside (`failed_at`), and its key's later rows flow on.
 * - The fast path: `publishCommitted(rows)` right after a commit hands over the rows that transaction
 *   wrote; the owner sends them at once (no read), keys side by side and each key's rows one after
 *   the other, and marks them published in one statement. A row written while an older row of its
 *   key was unpublished (`behind`), a key whose send failed here, and every later row of such a key
 *   are left to the passes, so a fresh row never overtakes an older one of its key.
 * - The passes are the recovery path: a timer (and NOTIFY from other instances, and `kick()`) picks
 *   up what a crash, another instance or a failed send left, and takes the lock over from a dead
 *   owner. Passes and fast-path sends never overlap, shutdown included.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private wake = false
  /** A pass is due: the timer, NOTIFY, kick(), or rows the fast path left behind. */
  private sweep = false
  /** Committed rows waiting for the fast path. */
  private fresh: CommittedRow[] = []
  /** topic + key whose rows the passes must publish first (a failed or deferred fast-path row); cleared once nothing is pending. */
  private readonly stuck = new Set<string>()
  /**
   * Ids a pass read, and when. A pass can read a row that committed an instant before its commit
   * reached publishCommitted: the fast path must then leave it to the passes, or it would be sent twice.
   */
  private readonly taken = new Map<number, number>()
  private stopping = false
  private lock: ReservedSql | undefined
  /** The lock's backend: its pid and start time name it even after a PostgreSQL restart reuses the pid. */
  private lockBackend: { pid: number, started: string } | undefined
  private unlisten: (() => Promise<void>) | undefined
  private lastPrune = 0
  private lockCheckedAt = 0
  private readonly o: Required<RelayOptions>

  constructor (private readonly sql: Db, private readonly producer: EventProducer, private readonly serde: TopicSerde, private readonly log: Logger, private readonly metrics: KitMetrics, private readonly intervalMs = 1000, options: RelayOptions) {
    this.o = { keepPublishedMs: DAY_MS, pruneEveryMs: 10 * 60 * 1000, ...options }
  }

  private get channel (): string {
    return `vitrine_outbox_${this.o.schema}`
  }

  get isOwner (): boolean {
    return this.lock !== undefined
  }

  start (): void {
    this.timer = setInterval(() => this.run(false), this.intervalMs)
    this.timer.unref()
    this.run(false)
  }

  /** After a commit that wrote outbox rows: publish now, or wake the instance that publishes. */
  kick (): void {
    this.run(true)
  }

  /**
   * Right after a commit: the rows that transaction enqueued (trackOutbox). This instance sends them
   * at once when it publishes; otherwise it wakes the instance that does.
   */
  publishCommitted (rows: CommittedRow[]): void {
    if (rows.length === 0) return
    if (this.stopping) return this.kick()
    for (const r of rows) this.fresh.push(r)
    this.run(true, false)
  }

  private run (committed: boolean, sweep = true): void {
    if (this.stopping) return
    if (committed) this.wake = true
    if (sweep) this.sweep = true
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.loop().finally(() => { this.running = undefined })
  }

  private async loop (): Promise<void> {
    do {
      this.again = false
      const wake = this.wake
      this.wake = false
      const fresh = this.fresh.splice(0)
      let sweep = this.sweep || this.stopping
      this.sweep = false
      try {
        if (!(await this.own())) {
          // The rows stay in the table: the owner's pass publishes them.
          if (wake) await this.sql.notify(this.channel, '')
          return
        }
        if (fresh.length > 0 && !(await this.fastPath(fresh))) sweep = true
        if (!sweep) continue
        // Each pass moves every key one row on; repeat until nothing is left (or a send failed:
        // then wait for the timer instead of spinning on a broker that is down).
        let n: number
        do n = await this.pass(); while (n > 0)
        if (n < 0) return
        this.stuck.clear()
        await this.maybePrune()
      } catch (err) {
        this.log.error({ err }, 'outbox relay pass failed; retrying on the next tick')
        return
      }
    } while (this.again && !this.stopping)
  }

  /** Takes (or checks) the service's relay lock; true when this instance is the one that publishes. */
  private async own (): Promise<boolean> {
    if (this.lock) {
      // Checked at most once per tick, not on every commit's kick: a round trip saved per pass.
      if (Date.now() - this.lockCheckedAt < this.intervalMs) return true
      // Asked through the pool, never on the lock's own connection: postgres.js wedges a reserved
      // connection used after its socket closed (a database restart), and the pool with it.
      if (await this.lockHeld()) {
        this.lockCheckedAt = Date.now()
        return true
      }
      // The lock went with its connection: another instance may publish now.
      this.log.warn({ schema: this.o.schema }, 'outbox relay lost its lock connection')
      this.lock = undefined
      this.lockBackend = undefined
      await this.disown()
    }
    // Shutting down: only an owner's last pass publishes; a lock is not taken on the way out.
    if (this.stopping) return false
    const conn = await this.sql.reserve()
    try {
      const [r] = await conn`
        select pg_try_advisory_lock(hashtext(${'vitrine-outbox:' + this.o.schema})) as ok, pid,
          (extract(epoch from backend_start) * 1000000)::bigint::text as started
        from pg_stat_activity where pid = pg_backend_pid()`
      if (r?.ok !== true) {
        conn.release()
        return false
      }
      this.lockBackend = { pid: r.pid as number, started: r.started as string }
    } catch (err) {
      conn.release()
      throw err
    }
    this.lock = conn
    this.lockCheckedAt = Date.now()
    const listening = await this.sql.listen(this.channel, () => this.run(false))
    this.unlisten = listening.unlisten
    this.log.info({ schema: this.o.schema }, 'this instance now publishes the outbox')
    return true
  }

  /** True while the lock's backend still runs (the session, and so the advisory lock, lives). */
  private async lockHeld (): Promise<boolean> {
    const b = this.lockBackend
    if (!b) return false
    // The start to the microsecond, as text: a JS Date would drop the microseconds.
    const [r] = await this.sql`
      select exists (select 1 from pg_stat_activity
        where pid = ${b.pid} and (extract(epoch from backend_start) * 1000000)::bigint::text = ${b.started}) as alive`
    return r?.alive === true
  }

  private async disown (): Promise<void> {
    const lock = this.lock
    this.lock = undefined
    await this.unlisten?.().catch(() => {})
    this.unlisten = undefined
    if (!lock) return
    // A lock whose connection died is neither unlocked nor released: the pool already took that
    // connection back as closed, and a query on it would never return.
    if (!(await this.lockHeld().catch(() => false))) {
      this.lockBackend = undefined
      return
    }
    this.lockBackend = undefined
    await lock`select pg_advisory_unlock(hashtext(${'vitrine-outbox:' + this.o.schema}))`.catch(() => {})
    lock.release()
  }

  /**
   * Sends committed rows without reading them back: keys side by side, each key's rows in id order,
   * one after the other. Returns false when some row is left to the passes (behind an older row of
   * its key, a key stuck there, or a send that failed).
   *
   * In waves: each wave is the next row of every key still going, encoded and handed to the
   * producer as one batch (one promise, one delivery wait); a key's next row goes in the next wave,
   * once this one was acknowledged. Most commits write one row per key: one wave.
   */
  private async fastPath (rows: CommittedRow[]): Promise<boolean> {
    const byKey = new Map<string, CommittedRow[]>()
    for (const r of rows.sort((a, b) => a.id - b.id)) {
      const k = `${r.topic}\u0000${r.key}`
      const list = byKey.get(k)
      if (list) list.push(r)
      else byKey.set(k, [r])
    }
    let complete = true
    const ok: CommittedRow[] = []
    let keys = [...byKey.keys()]
    for (let wave = 0; keys.length > 0; wave++) {
      const going: Array<{ k: string, r: CommittedRow, record: OutgoingRecord }> = []
      for (const k of keys) {
        const r = byKey.get(k)![wave]
        if (!r) continue
        if (r.behind || this.stuck.has(k) || this.taken.has(r.id)) {
          this.stuck.add(k)
          complete = false
          continue
        }
        try {
          // Validated when enqueued, in this process: only the encoding is left.
          const value = await this.serde.encode(r.topic as EventTopic, r.value as never)
          going.push({ k, r, record: { topic: this.serde.prefix + r.topic, key: r.key, value, headers: { ...r.headers, [HEADERS.sequence]: String(r.id) } } })
        } catch {
          // The pass tries it again (or sets it aside, dead-lettered) before anything newer of its key.
          this.stuck.add(k)
          complete = false
        }
      }
      if (going.length === 0) break
      const outcomes = await this.producer.sendEach(going.map(g => g.record))
      keys = []
      for (let i = 0; i < going.length; i++) {
        const { k, r } = going[i]!
        const d = outcomes[i]!
        if (d instanceof Error) {
          this.stuck.add(k)
          complete = false
          continue
        }
        this.logPublished(r, d)
        ok.push(r)
        keys.push(k)
      }
    }
    if (ok.length > 0) {
      await this.sql`update outbox set published_at = now() where id = any(${ok.map(r => r.id)}::bigint[])`
      this.observePublished(ok, 'commit')
    }
    return complete
  }

  /** The hand-off to Kafka, one line per event with its coordinates (an order's logs show where each event went). */
  private logPublished (r: Row, d: Delivered): void {
    if (!this.infoEnabled()) return
    this.log.info({ [findTopic(r.topic)?.key === 'productId' ? 'productId' : 'orderId']: r.key, topic: r.topic, partition: d.partition, offset: d.offset, eventId: (r.value as { eventId?: unknown }).eventId }, 'event published')
  }

  private infoEnabled (): boolean {
    const level = this.log.level
    return level !== 'warn' && level !== 'error' && level !== 'fatal' && level !== 'silent'
  }

  private observePublished (rows: ReadonlyArray<{ topic: string, created_at: Date }>, path: 'commit' | 'relay'): void {
    const now = Date.now()
    const perTopic = new Map<string, number>()
    for (const r of rows) {
      perTopic.set(r.topic, (perTopic.get(r.topic) ?? 0) + 1)
      this.metrics.outboxLag.observe((now - r.created_at.getTime()) / 1000)
    }
    for (const [topic, n] of perTopic) this.metrics.published.inc({ topic, path }, n)
  }

  /** One round: the oldest unpublished row of each topic and key. Returns rows handled, or -1 after a transient failure. */
  private async pass (): Promise<number> {
    // Rows this process committed and the fast path is about to send are not the passes' work. Left
    // in, a pass under steady load found the rows committed while it ran, the next pass those
    // committed meanwhile, and so on: the passes (one row per key each, one send per row) took the
    // whole stream over from the fast path. A key whose oldest unpublished row is such a row is
    // skipped whole, so none of its newer rows overtakes it.
    const mine = this.fresh.filter(f => !f.behind && !this.stuck.has(`${f.topic}\u0000${f.key}`)).map(f => f.id)
    const rows = await this.sql<Row[]>`select id, topic, key, value, headers, created_at from (
        select distinct on (topic, key) id, topic, key, value, headers, created_at from outbox
        where published_at is null and failed_at is null order by topic, key, id) oldest
      where id <> all(${mine}::bigint[])
      order by id limit ${BATCH}`
    const at = Date.now()
    for (const [id, when] of this.taken) if (at - when > 60_000) this.taken.delete(id)
    for (const r of rows) this.taken.set(r.id, at)
    // Committed rows the fast path has not sent yet: this pass (and the next ones) publish their keys now.
    if (this.fresh.length > 0 && rows.length > 0) {
      const keys = new Set(rows.map(r => `${r.topic}\u0000${r.key}`))
      this.fresh = this.fresh.filter(f => !keys.has(`${f.topic}\u0000${f.key}`))
    }
    if (rows.length === 0) {
      this.metrics.outboxPending.set(0)
      this.metrics.outboxOldest.set(0)
      return 0
    }
    const outcomes = await Promise.all(rows.map(async r => await this.publish(r)))
    const ok = new Set(outcomes.filter(o => o.ok).map(o => o.id))
    if (ok.size > 0) await this.sql`update outbox set published_at = now() where id = any(${[...ok]})`
    this.observePublished(rows.filter(r => ok.has(r.id)), 'relay')
    let transient = false
    for (const o of outcomes) {
      if (o.ok) continue
      const row = rows.find(r => r.id === o.id)!
      if (o.dead && await this.deadLetter(row, o.error)) {
        await this.sql`update outbox set failed_at = now(), error = ${o.error}, attempts = attempts + 1 where id = ${o.id}`
        this.metrics.deadLetters.inc({ topic: row.topic, reason: 'unpublishable' })
        this.log.error({ outboxId: o.id, topic: row.topic, orderId: row.key, error: o.error }, 'outbox row can never be published; sent to the dead-letter topic and set aside')
      } else {
        transient = true
        await this.sql`update outbox set error = ${o.error}, attempts = attempts + 1 where id = ${o.id}`
        this.log.warn({ outboxId: o.id, topic: row.topic, orderId: row.key, error: o.error }, 'outbox row not published; retrying on the next tick')
      }
    }
    const [pending] = await this.sql`select count(*)::int as n, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age
      from outbox where published_at is null and failed_at is null`
    this.metrics.outboxPending.set(pending?.n as number)
    this.metrics.outboxOldest.set(pending?.age as number)
    return transient ? -1 : rows.length
  }

  private async publish (r: Row): Promise<Outcome> {
    try {
      try {
        if (!findTopic(r.topic)) throw new Unpublishable(`topic "${r.topic}" is not in the catalog`)
        validateEvent(r.topic, r.value)
      } catch (err) {
        throw err instanceof Unpublishable ? err : new Unpublishable((err as Error).message)
      }
      const value = await this.serde.encode(r.topic as EventTopic, r.value as never)
      const d = await this.producer.send({ topic: this.serde.prefix + r.topic, key: r.key, value, headers: { ...r.headers, [HEADERS.sequence]: String(r.id) } })
      this.logPublished(r, d)
      return { id: r.id, ok: true }
    } catch (err) {
      const code = (err as { code?: number }).code
      const dead = err instanceof Unpublishable || (typeof code === 'number' && UNPUBLISHABLE.has(code))
      return { id: r.id, ok: false, dead, error: `${(err as Error).name}: ${(err as Error).message}`.slice(0, 1000) }
    }
  }

  /** A copy in the DLQ (JSON, since it may not fit its schema); without the value when the broker refuses its size. */
  private async deadLetter (r: Row, error: string): Promise<boolean> {
    const headers = {
      ...r.headers,
      [HEADERS.originalTopic]: this.serde.prefix + r.topic,
      [HEADERS.error]: error,
      [HEADERS.attempts]: '1',
      [HEADERS.failedBy]: `${this.o.service}/outbox`,
      [HEADERS.sequence]: String(r.id)
    }
    const dlq = this.serde.prefix + DLQ_TOPIC
    try {
      await this.producer.send({ topic: dlq, key: r.key, value: Buffer.from(JSON.stringify(r.value)), headers })
      return true
    } catch (err) {
      const code = (err as { code?: number }).code
      if (typeof code !== 'number' || !UNPUBLISHABLE.has(code)) return false
    }
    try {
      await this.producer.send({ topic: dlq, key: r.key, value: Buffer.alloc(0), headers: { ...headers, [HEADERS.error]: `${error} (value left out, too large: see outbox row ${this.o.schema}.outbox id ${r.id})`.slice(0, 1000) } })
      return true
    } catch {
      return false
    }
  }

  /**
   * Deletes published rows older than keepPublishedMs, and processed event ids older than the
   * longest time a copy of their record can come back (see dedupWindowMs). Batched, owner only.
   */
  async prune (force = false): Promise<{ outbox: number, processed: number }> {
    if (!force && Date.now() - this.lastPrune < this.o.pruneEveryMs) return { outbox: 0, processed: 0 }
    this.lastPrune = Date.now()
    let outbox = 0
    let processed = 0
    for (;;) {
      const r = await this.sql`delete from outbox where id in (select id from outbox where published_at < ${new Date(Date.now() - this.o.keepPublishedMs)} limit 5000)`
      outbox += r.count
      if (r.count < 5000) break
    }
    const topics = (await this.sql`select distinct topic from processed_events`).map(t => t.topic as string)
    for (const topic of topics) {
      const window = dedupWindowMs(topic)
      if (!Number.isFinite(window)) continue
      for (;;) {
        const r = await this.sql`delete from processed_events where ctid = any(array(select ctid from processed_events where topic = ${topic} and processed_at < ${new Date(Date.now() - window)} limit 5000))`
        processed += r.count
        if (r.count < 5000) break
      }
    }
    if (outbox + processed > 0) this.log.info({ outbox, processed }, 'pruned old outbox rows and processed event ids')
    return { outbox, processed }
  }

  private async maybePrune (): Promise<void> {
    try {
      await this.prune()
    } catch (err) {
      this.log.warn({ err }, 'pruning the outbox failed; trying again later')
    }
  }

  async pending (): Promise<number> {
    const [row] = await this.sql`select count(*)::int as n from outbox where published_at is null and failed_at is null`
    return row?.n as number
  }

  /** No new pass starts; the running one finishes, then one last pass publishes what was committed before shutdown. */
  async stop (): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.stopping = true
    await this.running
    this.again = false
    this.running = this.loop()
    await this.running
    this.running = undefined
    await this.disown()
  }
}
