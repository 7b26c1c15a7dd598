import { AsyncLocalStorage } from 'node:async_hooks'
import fp from 'fastify-plugin'
import { connect, migrate } from '../db.ts'
import type { Db, Tx } from '../db.ts'
import { flushOutbox, trackOutbox } from '../outbox.ts'
import type { CommittedRow, OutboxTracker } from '../outbox.ts'
import type { BatchUnit } from '../kafka/consumer.ts'

declare module 'fastify' {
  interface FastifyInstance {
    sql: Db
    dbSchema: string
    /**
     * Runs `fn` in a transaction; right after it commits, the outbox rows it enqueued are published.
     * Inside a consumer batch (`txBatch`), `fn` runs in a savepoint of the batch's transaction instead.
     */
    tx: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>
    /** A unit for a batch of records (kafka/consumer.ts BatchUnit): one transaction, opened by the first `tx` in it. */
    txBatch: () => BatchUnit
    /**
     * Work outside the database (a notification sent, a call to a provider) that must wait until what a
     * handler's `tx` wrote is committed. Call it after that `tx` returned. Outside a consumer batch it runs
     * now; inside one, after the batch's COMMIT (never if the batch rolls back: its records are then
     * handled again and call it again). A failure there is logged: the effects are durable, so the
     * service's own recovery path (a sweeper of what was left unsent) must pick it up.
     */
    afterCommit: (fn: () => Promise<void>) => Promise<void>
  }
}

/** Rolls the batch back: nothing of it was meant to be kept. */
class BatchAbandoned extends Error {}

/**
 * How long a statement of a batch waits for a row lock before giving up. A batch holds its locks
 * until its commit, and batches of different partitions may lock the same rows (a product's stock)
 * in opposite orders: PostgreSQL would find that deadlock only after deadlock_timeout (1 s). Giving
 * up early rolls back that record's savepoint, commits the rest, and handles it again alone.
 */
const BATCH_LOCK_TIMEOUT_MS = 50

// lock_not_available (lock_timeout), deadlock_detected.
const CONTENTION = new Set(['55P03', '40P01'])

/**
 * One transaction for a batch of records. The handlers are unchanged: their `app.tx(fn)` finds the
 * batch through an AsyncLocalStorage and runs `fn` inside a SAVEPOINT of it, so a handler that
 * throws rolls back only its own work. SAVEPOINT and RELEASE are pipelined with the handler's own
 * statements (no round trip of their own). The transaction is begun by the first `app.tx` (a batch
 * whose handlers touch no table opens none) and committed by `commit()`; then the outbox rows its
 * savepoints wrote are published at once.
 *
 * The batch's first `app.tx` needs no savepoint: nothing is before it, so when it throws, rolling
 * the whole transaction back undoes exactly what a savepoint would. Most batches below saturation
 * hold one record, so this spares SAVEPOINT, RELEASE and the lock timeout on most hops. Should that
 * handler go on in the same batch after such a failure (another `app.tx`, or returning normally),
 * the batch cannot keep its word: the record is handled again alone, that try not counted.
 */
class BatchTx implements BatchUnit {
  private began: Promise<Tx> | undefined
  private ended: Promise<unknown> | undefined
  private end: ((commit: boolean) => void) | undefined
  private tracker: OutboxTracker | undefined
  private released: Promise<unknown> | undefined
  private n = 0
  private contention = false
  /** The batch's first `app.tx` (run with no savepoint) failed: the transaction is rolled back whole. */
  private doomed = false
  private lockTimeout = false
  private after: Array<() => Promise<void>> = []
  /** Once committing, a late `app.tx` (a timer a handler started) gets a transaction of its own. */
  open = true

  constructor (private readonly sql: Db, private readonly begin: (tx: Tx) => Promise<void>, private readonly published: (rows: CommittedRow[]) => void, private readonly afterFailed: (err: unknown) => void) {}

  /** Runs `fn` once the batch has committed (app.afterCommit). */
  defer (fn: () => Promise<void>): void {
    this.after.push(fn)
  }

  async run (fn: () => Promise<void>): Promise<void> {
    this.contention = false
    await batches.run(this, fn)
    if (this.doomed) {
      // It caught the failure of its first `app.tx` and returned: what it did is not durable.
      this.contention = true
      throw new BatchAbandoned('the batch\'s first transaction failed and its handler went on')
    }
  }

  /** The last record failed waiting for a lock another batch held: not its own fault, so it is handled again alone. */
  contended (): boolean {
    return this.contention
  }

  private async tx (): Promise<Tx> {
    this.began ??= new Promise<Tx>((resolve, reject) => {
      this.ended = this.sql.begin(async tx => {
        // Deferred: the batch's outbox rows are inserted in one statement before its COMMIT.
        this.tracker = trackOutbox(tx, undefined, true)
        await this.begin(tx)
        resolve(tx as Tx)
        await new Promise<void>((resolve, reject) => { this.end = commit => (commit ? resolve() : reject(new BatchAbandoned())) })
      })
      this.ended.catch(reject)
    })
    return await this.began
  }

  async savepoint<T> (fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.doomed) {
      // The handler went on after its failed first `app.tx`: its record is handled again alone.
      this.contention = true
      throw new BatchAbandoned('the batch\'s first transaction failed; this record is handled again alone')
    }
    const tx = await this.tx()
    if (this.n++ === 0) {
      // The first: the transaction itself is its savepoint.
      try {
        return await fn(tx)
      } catch (err) {
        this.contention = CONTENTION.has((err as { code?: string })?.code ?? '')
        this.doomed = true
        this.tracker!.pending!.length = 0
        throw err
      }
    }
    if (!this.lockTimeout) {
      // Only once a second `app.tx` shares the transaction can two batches wait on each other's rows.
      // Pipelined with what follows (no round trip of its own); a failure fails the next statement.
      this.lockTimeout = true
      tx.unsafe(`set local lock_timeout = ${BATCH_LOCK_TIMEOUT_MS}`).catch(() => {})
    }
    const name = `vitrine_record_${this.n}`
    const mark = this.tracker!.pending!.length
    const opened = tx.unsafe(`savepoint ${name}`)
    opened.catch(() => {})
    try {
      const result = await fn(tx)
      await opened
      this.released = tx.unsafe(`release savepoint ${name}`)
      this.released.catch(() => {})
      return result
    } catch (err) {
      this.contention = CONTENTION.has((err as { code?: string })?.code ?? '')
      await opened.catch(() => {})
      await tx.unsafe(`rollback to savepoint ${name}`)
      // Its outbox rows go with it.
      this.tracker!.pending!.length = mark
      throw err
    }
  }

  async commit (): Promise<void> {
    this.open = false
    // Taken now: if the commit fails they never run (the records are handled again and defer them again).
    const after = this.after
    this.after = []
    if (this.began && this.doomed) {
      // Only the failed first `app.tx` is in it (nothing ran after it): rolled back whole, as its savepoint would have been.
      await this.began.catch(() => {})
      this.end?.(false)
      await this.ended?.catch(() => {})
    } else if (this.began) {
      // A begin that failed rejects here; so does a RELEASE that failed (a COMMIT after it would roll back).
      const tx = await this.began
      await this.released
      // The outbox insert is pipelined with the COMMIT. Should it fail, PostgreSQL answers the COMMIT
      // with a rollback: the insert's own error then says nothing of the batch is durable.
      const flushed = flushOutbox(tx, this.tracker!)
      flushed.catch(() => {})
      this.end!(true)
      await this.ended
      await flushed
      this.published(this.tracker?.rows ?? [])
    }
    for (const fn of after) await fn().catch(this.afterFailed)
  }
}

const batches = new AsyncLocalStorage<BatchTx>()

export interface PostgresPluginOptions { schema: string, migrationsDir?: string }

/** The service's postgres.js pool on its own schema, migrated before anything else uses it. */
export default fp<PostgresPluginOptions>(async (fastify, opts) => {
  const schema = opts.schema + fastify.config.DB_SCHEMA_SUFFIX
  const sql = connect(fastify.config.DATABASE_URL, schema, fastify.config.DB_POOL_MAX)
  const applied = await migrate(sql, schema, opts.migrationsDir)
  if (applied.length > 0) fastify.log.info({ schema, applied }, 'migrations applied')
  fastify.decorate('sql', sql)
  fastify.decorate('dbSchema', schema)
  // The statement-timeout fault toggle (faults.ts), when on, for this transaction only.
  const begin = async (tx: Tx): Promise<void> => { await fastify.faults?.beginTx(tx) }
  // Not every service publishes (the outbox plugin comes after this one): looked up at commit time.
  const published = (rows: CommittedRow[]): void => { if (rows.length > 0) fastify.outbox?.publishCommitted(rows) }
  fastify.decorate('tx', async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const batch = batches.getStore()
    if (batch?.open) return await batch.savepoint(fn)
    let tracker: OutboxTracker | undefined
    const result = await sql.begin(async tx => {
      tracker = trackOutbox(tx)
      await begin(tx)
      return await fn(tx)
    }) as T
    published(tracker?.rows ?? [])
    return result
  })
  const afterFailed = (err: unknown): void => { fastify.log.error({ err }, 'work after a batch commit failed; the service\'s recovery path takes it over') }
  fastify.decorate('txBatch', () => new BatchTx(sql, begin, published, afterFailed))
  fastify.decorate('afterCommit', async (fn: () => Promise<void>): Promise<void> => {
    const batch = batches.getStore()
    if (batch?.open) batch.defer(fn)
    else await fn()
  })
  fastify.addHook('onClose', async () => { await sql.end({ timeout: 5 }) })
}, { name: 'vitrine-postgres', dependencies: ['vitrine-config'] })
