/**
 * Consumers, typed from the topic catalog. A service hands over a topic → handler map:
 *
 *   fastify.consumers.add({
 *     reader: 'notification',
 *     group: 'notification',
 *     on: {
 *       'orders.confirmed': async (event, ctx) => { ... },  // event: OrderConfirmed
 *       'orders.failed': async (event, ctx) => { ... }      // event: OrderFailed
 *     }
 *   })
 *
 * `reader` is the service: `on` accepts only the Avro topics contracts' catalog lists it as a reader
 * of, so a misspelled topic, a topic it does not read, or a field the topic's schema lacks fails
 * `pnpm typecheck` (test/types/consumer-types.ts shows each). `ctx` is the record (topic, partition,
 * offset, key, headers, timestamp, attempt, value), plus `eventId`, the saga `mode`, the child logger
 * `log`, and `signal`/`owned()` (see HandlerContext). `ctx` is a ConsumedRecord, so it goes straight
 * to helpers such as `eventHeaders(..., ctx)` or `firstDelivery(tx, ctx.eventId, ctx.topic)`.
 * Type helpers' loggers with kit's `Logger`: `fastify.log` and `ctx.log` are both one.
 *
 * A handler that throws is retried, then sent through the retry topics to the DLQ, exactly as
 * before (kafka/consumer.ts); a PermanentError goes to the DLQ at once.
 *
 * `fastify.consumers.pause(reason)` / `resume(reason)` hold and release every consumer of the
 * service for that reason ('operator', 'step', a fault drill's own); reasons are kept apart, so one
 * never undoes another, and the engine's backpressure never lifts them. `paused()` lists them.
 *
 * Batches: the engine hands over the records it holds for one partition (up to 500, or ~10 ms of
 * work) as one batch, and the handlers run in ONE PostgreSQL transaction (plugins/postgres.ts
 * `txBatch`): each `app.tx(fn)` of a handler is a savepoint in it (the batch's first needs none:
 * nothing comes before it), so handlers are written as for one record. A handler that throws rolls
 * back its own work only; the records before it are committed, and it goes through the retries
 * alone. Its offset is stored once per batch, and the outbox rows the batch wrote are published
 * right after its commit. One thing differs for a handler: its `app.tx` returns at the savepoint's
 * release, before the commit at the batch's end, so work that must follow a commit belongs in the outbox (notification calls its simulated
 * channels after its `app.tx`: should the batch's commit then fail, the record is handled again and
 * the channels are called again, with the same dedup key).
 */
import fp from 'fastify-plugin'
import { DLQ_RETENTION_MS, DLQ_TOPIC, RETRY_TIERS, findTopic, sagaModeOf } from '@vitrine/contracts'
import type { EventTopic, EventTopicsReadBy, SagaMode, ServiceName, TopicValues } from '@vitrine/contracts'
import { DlqWatch } from '../kafka/dlq-watch.ts'
import { BACKPRESSURE, ConsumerEngine, STEP_HOLD } from '../kafka/consumer.ts'
import type { ConsumedRecord, Handler, HandlerContext, HeldRecord, RequestedPause } from '../kafka/consumer.ts'
import { rdkafkaSecurity } from '../kafka/security.ts'
import type { Logger } from '../log.ts'
import type { Faults } from '../faults.ts'

/** What a handler gets besides its event: the record it came in, and the engine's context. */
export interface EventContext<T extends EventTopic = EventTopic> extends ConsumedRecord<TopicValues[T], T>, HandlerContext {
  /** The event's own id (every catalog value carries one): what deduplication keys on. */
  eventId: string
  /** The saga mode from the record's headers (choreography when absent). */
  mode: SagaMode
  /** A child logger bound to the order, topic, partition and offset (and the retry tier). */
  log: Logger
}

export type EventHandler<T extends EventTopic> = (event: TopicValues[T], ctx: EventContext<T>) => Promise<void>

/** A handler for each catalog topic service `S` reads; any other key fails to compile. */
export type EventHandlers<S extends ServiceName> = { [T in EventTopicsReadBy<S>]?: EventHandler<T> }

export interface TypedConsumerSpec<S extends ServiceName> {
  /** The service reading: the catalog's readers decide which topics `on` may name. */
  reader: S
  /** Group id without the suffix; the config's KAFKA_GROUP_SUFFIX is appended. */
  group: string
  on: EventHandlers<S>
  concurrency?: number
}

export type { RequestedPause }

export interface Consumers {
  add: <S extends ServiceName>(spec: TypedConsumerSpec<S>) => void
  /** Holds every partition of every consumer of this service for `reason` (also ones assigned later) until resume(reason). */
  pause: <R extends string>(reason: RequestedPause<R>) => void
  resume: <R extends string>(reason: RequestedPause<R>) => void
  /** The reasons this service's consumers are held for now. */
  paused: () => string[]
  /**
   * Step mode of the saga's consumers (those reading orderId-keyed topics; the catalog replica keeps
   * flowing): each record waits before its handler until released (kafka/consumer.ts step()).
   */
  step: (on: boolean) => void
  /** The records held now, across this service's saga consumers. */
  held: () => Promise<HeldRecord[]>
  /** Lets one held record run; false when none of this service's consumers holds it. */
  release: (r: { group: string, topic: string, partition: number, offset: number }) => boolean
  engines: ConsumerEngine[]
  dlq: DlqWatch
}

declare module 'fastify' {
  interface FastifyInstance {
    consumers: Consumers
  }
}

/**
 * The engine's handler for a topic → handler map. The one place a decoded value meets its type:
 * the engine decodes with the writer's schema from the registry, and the catalog says which schema
 * each topic carries (contracts' test/unit/events.test.ts keeps TopicValues and the .avsc files together).
 */
function dispatch (on: Partial<Record<EventTopic, EventHandler<EventTopic>>>): Handler {
  return async (record, log, ctx) => {
    const handler = on[record.topic as EventTopic]
    // Subscribed to exactly these topics; a retried record keeps its original topic.
    if (!handler) throw new Error(`no handler for topic ${record.topic}`)
    const value = record.value as TopicValues[EventTopic]
    await handler(value, { ...record, ...ctx, topic: record.topic as EventTopic, value, eventId: value.eventId, mode: sagaModeOf(record.headers), log })
  }
}

/**
 * The fault toggles of event handling (../faults.ts), read for every record, so a change over
 * `PUT /faults` applies to the next one without a restart. HANDLER_DELAY_MS (exercise 11) and
 * HANDLER_FAIL_TOPICS (exercise 5) are their boot values.
 *
 * The delay is inside the engine's timing, so it shows where an operator looks
 * (vitrine_handler_duration_seconds, the lag), and it ends at once when the partition is revoked or
 * the service stops, so a shutdown is not held up by it. A failing record fails before its handler,
 * as one whose dependency is down would (a retryable error), so it goes through the retry ladder to
 * the DLQ, never into silence. A retried or replayed record keeps its original topic: it fails the
 * same way while the toggle is on.
 */
function faulty (handler: Handler, faults: Faults): Handler {
  return async (record, log, ctx) => {
    const ms = faults.get().handlerDelayMs
    if (ms > 0) {
      await new Promise<void>(resolve => {
        // The partition's signal lives on: the listener goes with the wait.
        const done = (): void => { clearTimeout(timer); ctx.signal.removeEventListener('abort', done); resolve() }
        const timer = setTimeout(done, ms)
        if (ctx.signal.aborted) done()
        else ctx.signal.addEventListener('abort', done, { once: true })
      })
    }
    if (faults.fails(record.topic)) throw faults.failure(record.topic)
    await handler(record, log, ctx)
  }
}

/** The pause toggle's own reason: backpressure, an operator or the step mode never lift it. */
export const FAULT_PAUSE = 'fault'

/** Consumers start once the app is ready and stop (intake, in-flight, commit, leave) before the producer closes. */
export default fp<{ service: ServiceName }>(async (fastify, opts) => {
  const engines: ConsumerEngine[] = []
  const held = new Set<string>()
  // The engines of the saga's groups (an orderId-keyed topic among theirs), which the step mode holds.
  const sagaEngines: ConsumerEngine[] = []
  let stepping = false
  const c = fastify.config
  // The retry topics stay the catalog's; only their delays are configurable (short in tests).
  const delays = c.RETRY_TIER_DELAYS_MS.split(',').map(Number)
  const retryTiers = RETRY_TIERS.map((t, i) => ({ topic: t.topic, delayMs: delays[i] ?? t.delayMs }))
  // Every consumer may dead-letter: each service warns before the DLQ's oldest record expires.
  // Every client of the service logs in as its principal (KAFKA_SASL_*; nothing on a PLAINTEXT cluster).
  const security = rdkafkaSecurity(c)
  const dlq = new DlqWatch(c.KAFKA_BROKERS, c.TOPIC_PREFIX + DLQ_TOPIC, DLQ_RETENTION_MS, undefined, security)
  fastify.metrics.kit.dlq.check = async () => await dlq.check()
  fastify.metrics.kit.dlq.retentionMs = DLQ_RETENTION_MS

  function start (group: string, topics: readonly string[], handler: Handler, concurrency: number | undefined): void {
    const engine = new ConsumerEngine({
      service: opts.service,
      groupId: group + c.KAFKA_GROUP_SUFFIX,
      brokers: c.KAFKA_BROKERS,
      security,
      topics,
      prefix: c.TOPIC_PREFIX,
      handler: faulty(handler, fastify.faults),
      // Services without a database (none today) handle one record at a time.
      ...(fastify.hasDecorator('txBatch') ? { batch: () => fastify.txBatch() } : {}),
      serde: fastify.serde,
      producer: fastify.producer,
      log: fastify.log,
      metrics: fastify.metrics.kit,
      concurrency: concurrency ?? c.CONSUMER_CONCURRENCY,
      retryAttempts: c.RETRY_ATTEMPTS,
      retryBackoffMs: c.RETRY_BACKOFF_MS,
      retryTiers
    })
    // A consumer added while the service is held starts held too.
    for (const reason of held) engine.pause(reason)
    engines.push(engine)
    if (topics.some(t => findTopic(t)?.key === 'orderId')) {
      sagaEngines.push(engine)
      engine.step(stepping)
    }
  }

  function add<S extends ServiceName> (spec: TypedConsumerSpec<S>): void {
    if (spec.reader !== opts.service) throw new Error(`consumer group ${spec.group}: reader "${spec.reader}" is not this service (${opts.service})`)
    const on = spec.on as Partial<Record<EventTopic, EventHandler<EventTopic>>>
    const topics = Object.keys(on)
    if (topics.length === 0) throw new Error(`consumer group ${spec.group}: no topic in "on"`)
    // The types already say so; this catches a spec built around them (JavaScript, a cast).
    for (const t of topics) {
      const readers = findTopic(t)?.readers as readonly string[] | undefined
      if (!readers?.includes(opts.service)) throw new Error(`consumer group ${spec.group}: the catalog does not list ${opts.service} as a reader of "${t}"`)
    }
    start(spec.group, topics, dispatch(on), spec.concurrency)
  }

  fastify.decorate<Consumers>('consumers', {
    engines,
    dlq,
    add,
    pause: (reason) => {
      if ((reason as string) === BACKPRESSURE || (reason as string) === STEP_HOLD) throw new Error(`${reason} is the engine's own pause reason`)
      held.add(reason)
      for (const e of engines) e.pause(reason)
    },
    resume: (reason) => {
      if ((reason as string) === BACKPRESSURE || (reason as string) === STEP_HOLD) throw new Error(`${reason} is the engine's own pause reason`)
      held.delete(reason)
      for (const e of engines) e.resume(reason)
    },
    paused: () => [...held],
    step: on => {
      stepping = on
      for (const e of sagaEngines) e.step(on)
    },
    held: async () => (await Promise.all(sagaEngines.map(async e => await e.held()))).flat(),
    release: r => sagaEngines.some(e => e.groupId === r.group && e.releaseHeld(r.topic, r.partition, r.offset))
  })
  // The pause toggle, now and on every change (a consumer added later starts held too).
  fastify.faults.onChange(f => { if (f.pauseConsuming) fastify.consumers.pause(FAULT_PAUSE); else fastify.consumers.resume(FAULT_PAUSE) })
  fastify.addHook('onReady', async () => {
    // The producer's login was refused (it logged who and why): the consumers would be refused too.
    // The service stays up and unready (/health) instead of failing its start.
    const refused = fastify.producer.authenticationError
    if (refused) {
      for (const e of engines) e.refuse(refused)
      return
    }
    await Promise.all(engines.map(async e => await e.start()))
  })
  fastify.addHook('onClose', async () => { await Promise.all(engines.map(async e => await e.stop())) })
}, { name: 'vitrine-consumers', dependencies: ['vitrine-producer', 'vitrine-registry', 'vitrine-metrics', 'vitrine-faults'] })
