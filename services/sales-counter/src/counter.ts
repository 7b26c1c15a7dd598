import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import Kafka from 'node-rdkafka'
import { DLQ_TOPIC, HEADERS } from '@vitrine/contracts'
import type { SalesTotals, TopicSerde } from '@vitrine/contracts'
import { KafkaReader, PARTITIONER, ShopError, headersOf, isRegistryUnavailable, kafkaPrincipal, originHeaders, saslFailure } from '@vitrine/service-kit'
import type { KafkaSecurity, Logger } from '@vitrine/service-kit'

// Kafka-to-Kafka processing with Kafka transactions: orders.confirmed in, running totals out to the
// compacted sales.totals, whose last committed record is the counter's whole state (no database).
// In exactly-once mode each batch is one transaction: the totals record and the consumer's offsets
// (sendOffsetsToTransaction) commit together or not at all. In at-least-once mode the totals are
// produced, then the offsets committed apart: a crash in between counts the batch twice.

export type DeliveryMode = 'at-least-once' | 'exactly-once'
export const DELIVERY_MODES: readonly DeliveryMode[] = ['at-least-once', 'exactly-once']

/** The exit status of the crash point (EX_SOFTWARE): a supervisor may tell it from a kill. */
export const CRASH_EXIT_CODE = 70
/** The key of every totals record: one running total, so compaction keeps just the newest. */
export const COUNTER_KEY = 'totals'

const TIMEOUT_MS = 30_000
const ERROR_NAMES = new Map<number, string>(Object.entries(Kafka.CODES.ERRORS).map(([name, code]) => [code, name]))

export interface Totals { orders: number, revenueCents: number, positions: Map<number, number> }
export interface Fencing { at: string, code: number, name: string, message: string, transactionalId: string }
export interface RecordRow { offset: number, kind: 'committed' | 'aborted' | 'open' | 'marker', orders: number | null, revenueCents: number | null, mode: string | null, instanceId: string | null }

export interface CounterOptions {
  brokers: string
  /** Its principal's login (kit's rdkafkaSecurity of its config): every client of the counter logs in with it. */
  security: KafkaSecurity
  prefix: string
  groupSuffix: string
  instanceId: string
  mode: DeliveryMode
  batchMax: number
  commitMs: number
  crashArmed: boolean
  crashFile: string
  serde: TopicSerde
  log: Logger
  onBatch?: (outcome: 'committed' | 'aborted') => void
  /** What the crash point does once the batch is produced: by default the process exits. */
  crash?: () => void
}

type KafkaError = Kafka.LibrdKafkaError & { isFatal?: boolean, isTxnRequiresAbort?: boolean }

const call = async (fn: (cb: (err: Kafka.LibrdKafkaError | null | undefined) => void) => void): Promise<void> => {
  await new Promise<void>((resolve, reject) => fn(err => (err ? reject(err) : resolve())))
}

export function isFenced (err: unknown): boolean {
  const code = (err as { code?: number })?.code
  return code === Kafka.CODES.ERRORS.ERR__FENCED || code === Kafka.CODES.ERRORS.ERR_PRODUCER_FENCED
}

export function errorName (err: unknown): string {
  const code = (err as { code?: number })?.code
  return (code !== undefined && ERROR_NAMES.get(code)) || 'UNKNOWN'
}

interface DeadLetter { key: string, value: Buffer, headers: Kafka.MessageHeader[] }

export class SalesCounter {
  readonly source: string
  readonly output: string
  readonly dlq: string
  /** Undecodable records sent to orders.dlq since start (never counted in the totals). */
  deadLettered = 0
  readonly group: string
  readonly transactionalId: string
  mode: DeliveryMode
  crashArmed: boolean
  running = false
  fencing: Fencing | null = null
  lastError: string | null = null
  committed: Totals = { orders: 0, revenueCents: 0, positions: new Map() }
  restoredFrom: { offset: number, orders: number } | null = null
  readonly batches = { committed: 0, aborted: 0, records: 0 }
  readonly startedAt = new Date().toISOString()
  private tx: Kafka.Producer | null = null
  private plain: Kafka.Producer | null = null
  private consumer: Kafka.KafkaConsumer | null = null
  private lock: Promise<unknown> = Promise.resolve()
  private loop: Promise<void> | null = null
  private readonly deliveries = new Map<string, (err: Error | null) => void>()

  constructor (private readonly o: CounterOptions) {
    this.source = `${o.prefix}orders.confirmed`
    this.output = `${o.prefix}sales.totals`
    this.dlq = `${o.prefix}${DLQ_TOPIC}`
    this.group = `sales-counter${o.groupSuffix}`
    // Stable across restarts (the instance id, not the pid): the new incarnation's initTransactions
    // aborts what the crashed one left open and fences it, should it still be alive.
    this.transactionalId = `${o.prefix}sales-counter-${o.instanceId}${o.groupSuffix}`
    this.mode = o.mode
    this.crashArmed = o.crashArmed
  }

  get instanceId (): string { return this.o.instanceId }
  get commitMs (): number { return this.o.commitMs }
  get batchMax (): number { return this.o.batchMax }

  async start (): Promise<void> {
    this.tx = await this.transactional('sales-counter')
    this.plain = await this.connectProducer(new Kafka.Producer({
      'metadata.broker.list': this.o.brokers,
      ...this.o.security,
      'client.id': 'sales-counter-alo',
      'enable.idempotence': true,
      'linger.ms': 5,
      dr_cb: true
    }, { 'request.required.acks': -1, partitioner: PARTITIONER }))
    this.plain.on('delivery-report', (err, report) => {
      const done = this.deliveries.get(String(report?.opaque))
      this.deliveries.delete(String(report?.opaque))
      done?.(err ? new Error(err.message) : null)
    })
    await this.restore()
    const consumer = new Kafka.KafkaConsumer({
      'metadata.broker.list': this.o.brokers,
      ...this.o.security,
      'group.id': this.group,
      // Static membership: the restarted instance takes its partitions back at once, instead of the
      // group waiting for the crashed member's session to expire before anyone reads again.
      'group.instance.id': `${this.o.prefix}sales-counter-${this.o.instanceId}${this.o.groupSuffix}`,
      'session.timeout.ms': 6000,
      'client.id': 'sales-counter',
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      // Only committed records of orders.confirmed (its writer uses no transactions, so all of them).
      'isolation.level': 'read_committed',
      'fetch.wait.max.ms': 50
    }, { 'auto.offset.reset': 'earliest' })
    consumer.on('event.error', err => { this.o.log.warn({ err }, 'consumer error') })
    consumer.on('event.log', e => { this.refusedLogin(e.message) })
    await call(cb => consumer.connect({ timeout: TIMEOUT_MS }, err => cb(err)))
    consumer.subscribe([this.source])
    this.consumer = consumer
    this.running = true
    this.loop = this.run()
  }

  private loginRefused = false

  /** A refused SASL login shows only in librdkafka's log: said once, naming the principal (the start then fails at its connect timeout). */
  private refusedLogin (line: string): void {
    const reason = saslFailure(line)
    if (reason === undefined || this.loginRefused) return
    this.loginRefused = true
    const principal = kafkaPrincipal(this.o.security)
    this.o.log.error({ principal, reason }, `kafka authentication failed for principal ${principal}: the counter cannot start until its credentials are fixed`)
  }

  private async connectProducer (p: Kafka.Producer): Promise<Kafka.Producer> {
    p.on('event.error', err => { this.o.log.warn({ err, code: errorName(err) }, 'producer error') })
    p.on('event.log', e => { this.refusedLogin(e.message) })
    await call(cb => p.connect({ timeout: TIMEOUT_MS }, err => cb(err)))
    p.setPollInterval(10)
    return p
  }

  /** A producer holding our transactional.id; initTransactions fences every older holder. */
  // murmur2 partitioning, as every producer of ours (kit's PARTITIONER): a key lands where a Java client puts it.
  private async transactional (clientId: string): Promise<Kafka.Producer> {
    const p = await this.connectProducer(new Kafka.Producer({
      'metadata.broker.list': this.o.brokers,
      ...this.o.security,
      'client.id': clientId,
      'transactional.id': this.transactionalId,
      'enable.idempotence': true,
      // An open transaction a crash left behind is aborted by the next initTransactions, or by the coordinator after this.
      'transaction.timeout.ms': 30_000,
      // A transaction's AddOffsetsToTxn often reaches the coordinator while it still writes the
      // previous one's commit markers (CONCURRENT_TRANSACTIONS, retriable): librdkafka waits
      // retry.backoff.ms before asking again, 100 ms by default, longer than a whole batch here
      // (it made exactly-once ~40% slower, M9 0.58). Its AddPartitionsToTxn already uses 20 ms for this.
      'retry.backoff.ms': 10,
      'linger.ms': 5
    }, { partitioner: PARTITIONER }))
    await call(cb => p.initTransactions(TIMEOUT_MS, cb))
    return p
  }

  /** The last committed totals record (read_committed), or zeros on the first start. */
  private async restore (): Promise<void> {
    const reader = new KafkaReader(this.o.brokers, 'sales-counter-restore', 'read_committed', this.o.security)
    try {
      const { low, high } = await reader.watermarks(this.output, 0)
      let last: { offset: number, value: SalesTotals } | null = null
      // The newest committed record is near the end: look at the tail first, the whole partition only if it holds none.
      for (const from of [Math.max(low, high - 50), low]) {
        if (high <= from) break
        const { records } = await reader.read([{ topic: this.output, partition: 0, offset: from, until: high }], { timeoutMs: 10_000 })
        const mine = records.filter(r => r.key === COUNTER_KEY && r.value)
        const rec = mine.at(-1)
        if (rec) {
          last = { offset: rec.offset, value: await this.o.serde.decode(rec.value!, 'sales.totals') }
          break
        }
      }
      if (!last) return
      const v = last.value
      this.committed = { orders: v.orders, revenueCents: v.revenueCents, positions: new Map(v.positions.map(p => [p.partition, p.offset])) }
      this.mode = v.mode === 'EXACTLY_ONCE' ? 'exactly-once' : 'at-least-once'
      this.restoredFrom = { offset: last.offset, orders: v.orders }
      this.o.log.info({ offset: last.offset, orders: v.orders, mode: this.mode }, 'totals restored from sales.totals')
    } finally {
      await reader.close()
    }
  }

  private async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn)
    this.lock = next.catch(() => {})
    return await next
  }

  private async run (): Promise<void> {
    while (this.running) {
      try {
        const batch = await this.poll()
        if (batch.length > 0) await this.exclusive(async () => { await this.process(batch) })
      } catch (err) {
        this.lastError = `${errorName(err)}: ${(err as Error).message}`
        this.o.log.error({ err }, 'batch failed; it is read again')
        await new Promise(resolve => setTimeout(resolve, 500))
      }
    }
  }

  /** One batch: up to SALES_COUNTER_BATCH_MAX records, closed after the commit interval. */
  private async poll (): Promise<Kafka.Message[]> {
    const c = this.consumer!
    const deadline = Date.now() + this.o.commitMs
    const batch: Kafka.Message[] = []
    while (this.running && batch.length < this.o.batchMax && Date.now() < deadline) {
      c.setDefaultConsumeTimeout(Math.max(1, Math.min(50, deadline - Date.now())))
      const got = await new Promise<Kafka.Message[]>((resolve, reject) => c.consume(this.o.batchMax - batch.length, (err, m) => (err ? reject(err) : resolve(m ?? []))))
      batch.push(...got)
    }
    return batch
  }

  private async process (batch: Kafka.Message[]): Promise<void> {
    const base = this.committed
    let orders = base.orders
    let revenueCents = base.revenueCents
    const positions = new Map(base.positions)
    const dead: DeadLetter[] = []
    try {
      for (const m of batch) {
        positions.set(m.partition, m.offset + 1)
        if (!m.value) continue
        try {
          const v = await this.o.serde.decode(m.value, 'orders.confirmed')
          orders++
          revenueCents += v.totalCents
        } catch (err) {
          if (isRegistryUnavailable(err)) throw err
          // Poison (bytes no schema reads): never counted, never blocking the partition; it goes
          // to the dead-letter topic in the same transaction as the totals that skip it.
          this.o.log.error({ err, partition: m.partition, offset: m.offset }, 'undecodable record, sending to the dead-letter topic')
          dead.push(this.deadLetter(m, err))
        }
      }
    } catch (err) {
      // A registry hiccup: the whole batch is read again later.
      await this.rewind()
      throw err
    }
    const next: Totals = { orders, revenueCents, positions }
    const value = await this.encode(next)
    if (this.mode === 'exactly-once') await this.transaction(value, positions, dead)
    else await this.atLeastOnce(value, positions, dead)
    this.deadLettered += dead.length
    this.committed = next
    this.batches.committed++
    this.batches.records += batch.length
    this.o.onBatch?.('committed')
    this.lastError = null
  }

  private async encode (t: Totals): Promise<Buffer> {
    return await this.o.serde.encode('sales.totals', {
      eventId: randomUUID(),
      counter: COUNTER_KEY,
      orders: t.orders,
      revenueCents: t.revenueCents,
      mode: this.mode === 'exactly-once' ? 'EXACTLY_ONCE' : 'AT_LEAST_ONCE',
      positions: [...t.positions].sort((a, b) => a[0] - b[0]).map(([partition, offset]) => ({ partition, offset })),
      instanceId: this.o.instanceId,
      occurredAt: Date.now()
    })
  }

  private offsets (positions: Map<number, number>): Kafka.TopicPartitionOffset[] {
    return [...positions].map(([partition, offset]) => ({ topic: this.source, partition, offset }))
  }

  /** The copy of an undecodable record for orders.dlq, with the headers the DLQ page and the replay read. */
  private deadLetter (m: Kafka.Message, err: unknown): DeadLetter {
    const h = originHeaders({ topic: m.topic, partition: m.partition, offset: m.offset }, headersOf(m), err, 0, `sales-counter/${this.group}`)
    h[HEADERS.reason] = 'undecodable'
    return { key: m.key ? m.key.toString() : '', value: m.value ?? Buffer.alloc(0), headers: Object.entries(h).map(([k, v]) => ({ [k]: v })) }
  }

  private produceDeadLetters (p: Kafka.Producer, dead: DeadLetter[], opaque?: (i: number) => string): void {
    dead.forEach((d, i) => p.produce(this.dlq, null, d.value, d.key, Date.now(), opaque?.(i), d.headers))
  }

  private async transaction (value: Buffer, positions: Map<number, number> | null, dead: DeadLetter[] = []): Promise<void> {
    const p = this.tx!
    try {
      await call(cb => p.beginTransaction(cb))
      this.produceDeadLetters(p, dead)
      p.produce(this.output, 0, value, COUNTER_KEY, Date.now())
      if (positions) {
        await this.crashPoint(p)
        await call(cb => p.sendOffsetsToTransaction(this.offsets(positions), this.consumer!, TIMEOUT_MS, cb))
      }
      await call(cb => p.commitTransaction(TIMEOUT_MS, cb))
    } catch (err) {
      await this.abandon(err as KafkaError)
      throw err
    }
  }

  /** A failed transaction: aborted (or the producer replaced when fenced or fatal), and its batch read again. */
  private async abandon (err: KafkaError): Promise<void> {
    this.batches.aborted++
    this.o.onBatch?.('aborted')
    if (isFenced(err)) {
      this.fencing = { at: new Date().toISOString(), code: err.code, name: errorName(err), message: err.message, transactionalId: this.transactionalId }
      this.o.log.error({ err, code: errorName(err), transactionalId: this.transactionalId }, 'producer fenced: another instance holds our transactional.id')
    }
    const abortable = !isFenced(err) && !err.isFatal
    if (abortable) {
      try {
        await call(cb => this.tx!.abortTransaction(TIMEOUT_MS, cb))
      } catch (abortErr) {
        this.o.log.warn({ err: abortErr }, 'abort failed; the producer is replaced')
        await this.replaceProducer()
      }
    } else {
      await this.replaceProducer()
    }
    await this.rewind()
  }

  private async replaceProducer (): Promise<void> {
    const old = this.tx
    this.tx = null
    if (old) await new Promise<void>(resolve => old.disconnect(5000, () => resolve()))
    this.tx = await this.transactional('sales-counter')
  }

  /** Back to the committed positions, so the batch that did not commit is read again. */
  private async rewind (): Promise<void> {
    const c = this.consumer
    if (!c) return
    for (const tp of c.assignments()) {
      const offset = this.committed.positions.get(tp.partition)
      // Never counted on this partition: from the group's committed offset (or the beginning).
      const target = offset ?? await new Promise<number | undefined>(resolve => c.committed([{ topic: tp.topic, partition: tp.partition }], 5000, (err, tps) => resolve(err ? undefined : tps?.[0]?.offset)))
      const to = typeof target === 'number' && target >= 0 ? target : 0
      await call(cb => c.seek({ topic: tp.topic, partition: tp.partition, offset: to }, 5000, err => cb(err))).catch(err => this.o.log.warn({ err, partition: tp.partition }, 'seek failed'))
    }
  }

  private async atLeastOnce (value: Buffer, positions: Map<number, number>, dead: DeadLetter[] = []): Promise<void> {
    const p = this.plain!
    const token = randomUUID()
    const tokens = [...dead.map((_, i) => `${token}-dlq-${i}`), token]
    const delivered = Promise.all(tokens.map(t => new Promise<void>((resolve, reject) => this.deliveries.set(t, err => (err ? reject(err) : resolve())))))
    try {
      this.produceDeadLetters(p, dead, i => tokens[i]!)
      p.produce(this.output, 0, value, COUNTER_KEY, Date.now(), token)
      // Sent now rather than after linger.ms, and its delivery report served at once instead of at
      // the next poll (10 ms): at-least-once is not made slower than it needs to be (M9 compares it).
      await call(cb => p.flush(TIMEOUT_MS, cb))
      await delivered
    } catch (err) {
      for (const t of tokens) this.deliveries.delete(t)
      await this.rewind()
      throw err
    }
    await this.crashPoint(p)
    this.consumer!.commitSync(this.offsets(positions))
  }

  /** The armed crash point: the batch is produced (in exactly-once, inside its open transaction) and nothing is committed. */
  private async crashPoint (p: Kafka.Producer): Promise<void> {
    if (!this.crashArmed) return
    this.crashArmed = false
    // The records reach the broker first, so a read_uncommitted reader sees what a read_committed one never will.
    await call(cb => p.flush(10_000, err => cb(err)))
    this.o.log.warn({ mode: this.mode, committedOrders: this.committed.orders }, 'crash point: exiting after producing, before committing')
    if (this.o.crashFile) writeFileSync(this.o.crashFile, JSON.stringify({ at: new Date().toISOString(), mode: this.mode, pid: process.pid }))
    if (this.o.crash) {
      this.o.crash()
      throw new Error('crash point')
    }
    process.exit(CRASH_EXIT_CODE)
  }

  async setMode (mode: DeliveryMode): Promise<void> {
    await this.exclusive(async () => {
      if (mode === this.mode) return
      this.mode = mode
      // Written at once (the same totals, the new mode), so a restart comes back in the mode chosen.
      await this.transaction(await this.encode(this.committed), null)
      this.o.log.info({ mode }, 'delivery mode changed')
    })
  }

  /**
   * A second instance with our transactional.id: its initTransactions bumps the producer epoch, so
   * our next transaction is refused (ERR__FENCED). We then start our producer again, which fences
   * the intruder in turn, as a restarted instance would.
   */
  async zombie (): Promise<Fencing> {
    return await this.exclusive(async () => {
      const intruder = await this.transactional('sales-counter-second-instance')
      let error: KafkaError | null = null
      try {
        await this.transaction(await this.encode(this.committed), null)
      } catch (err) {
        error = err as KafkaError
      } finally {
        await new Promise<void>(resolve => intruder.disconnect(5000, () => resolve()))
      }
      if (!error || !isFenced(error) || !this.fencing) throw new ShopError('SHOP_ERR_KAFKA', `the old producer was not fenced (${error ? errorName(error) : 'its transaction committed'})`, 502)
      return this.fencing
    })
  }

  /** The last `limit` offsets of sales.totals, read both ways: aborted records and transaction markers show as the difference. */
  async records (limit: number): Promise<{ low: number, high: number, rows: RecordRow[] }> {
    const uncommitted = new KafkaReader(this.o.brokers, 'sales-counter-viewer-ru', 'read_uncommitted', this.o.security)
    const committed = new KafkaReader(this.o.brokers, 'sales-counter-viewer-rc', 'read_committed', this.o.security)
    try {
      const { low, high } = await uncommitted.watermarks(this.output, 0)
      const from = Math.max(low, high - limit)
      if (high <= from) return { low, high, rows: [] }
      const range = [{ topic: this.output, partition: 0, offset: from, until: high }]
      // read_committed stops at the last stable offset: an open transaction ends the read at its timeout.
      const [ru, rc] = await Promise.all([uncommitted.read(range, { timeoutMs: 3000 }), committed.read(range, { timeoutMs: 1500 })])
      const seen = new Set(rc.records.map(r => r.offset))
      const data = new Map(ru.records.map(r => [r.offset, r]))
      const rows: RecordRow[] = []
      for (let offset = from; offset < high; offset++) {
        const r = data.get(offset)
        let v: SalesTotals | null = null
        if (r?.value) v = await this.o.serde.decode(r.value, 'sales.totals').catch(() => null)
        const kind: RecordRow['kind'] = r === undefined ? 'marker' : seen.has(offset) ? 'committed' : 'open'
        rows.push({ offset, kind, orders: v?.orders ?? null, revenueCents: v?.revenueCents ?? null, mode: v?.mode ?? null, instanceId: v?.instanceId ?? null })
      }
      // A record no read_committed reader sees, with a marker or a committed record after it, belongs to an aborted transaction.
      let later = false
      for (let i = rows.length - 1; i >= 0; i--) {
        const row = rows[i]!
        if (row.kind === 'open' && later) row.kind = 'aborted'
        if (row.kind === 'committed' || row.kind === 'marker') later = true
      }
      return { low, high, rows }
    } finally {
      await Promise.all([uncommitted.close(), committed.close()])
    }
  }

  async stop (): Promise<void> {
    this.running = false
    await this.loop?.catch(() => {})
    await this.lock.catch(() => {})
    const disconnect = async (client: Kafka.Producer | Kafka.KafkaConsumer | null): Promise<void> => {
      if (client?.isConnected()) await new Promise<void>(resolve => client.disconnect(() => resolve()))
    }
    await disconnect(this.consumer)
    await Promise.all([disconnect(this.tx), disconnect(this.plain)])
  }
}
