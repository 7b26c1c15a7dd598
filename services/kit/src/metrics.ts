import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Metric } from 'prom-client'
import type { DlqExpiry } from './kafka/dlq-watch.ts'

// Metric names follow `vitrine_<noun>_<unit>` (`_total` counters, `_seconds` histograms), one name per
// measurement across services: the registry's default `service` label tells them apart, so a dashboard
// query needs no name regex. The table is infra/prometheus/METRICS.md.

/**
 * The metric already registered under `name`, or the one `make` registers: two plugins (or two apps
 * on one registry in a test) that define the same measurement share it instead of throwing.
 */
export function single<T extends Metric> (registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

export function createRegistry (service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  // Includes the event loop delay percentiles (`vitrine_nodejs_eventloop_lag_p99_seconds`) the benchmarks read.
  collectDefaultMetrics({ register: registry, prefix: 'vitrine_', eventLoopMonitoringPrecision: 10 })
  return registry
}

/** Paused and blocked partitions of one consumer group member, by reason. */
export interface ConsumerSnapshot { group: string, paused: Record<string, number>, blocked: Record<string, number> }

/** What a consumer engine shows the metrics: read at each scrape, so nothing runs between scrapes. */
export interface ConsumerSource {
  group: string
  snapshot: () => ConsumerSnapshot
  lag: () => Promise<Array<{ topic: string, partition: number, lag: number }>>
}

export interface KitMetrics {
  consumed: Counter<'group' | 'topic' | 'outcome'>
  processing: Histogram<'topic'>
  deadLetters: Counter<'topic' | 'reason'>
  retries: Counter<'topic' | 'tier'>
  published: Counter<'topic' | 'path'>
  outboxPending: Gauge
  outboxOldest: Gauge
  outboxLag: Histogram
  /** Compensations applied (a charge refunded or cancelled, a reservation released), counted by kit's compensate() in both saga modes. */
  compensations: Counter<'kind' | 'mode'>
  /** The engines of this registry, read by the consumer gauges at each scrape. */
  consumers: Set<ConsumerSource>
  rebalances: Counter<'group' | 'kind'>
  sendFailures: Counter<'group' | 'target' | 'kind'>
  producerFatal: Counter
  producerRecreated: Counter
  /** Records the broker refused, by topic and Kafka error name (TOPIC_AUTHORIZATION_FAILED, MSG_TIMED_OUT…): runbook 07's drill reads it. */
  produceErrors: Counter<'topic' | 'code'>
  /** Where the DLQ gauges read the oldest record's age (set by the consumers plugin). */
  dlq: { check?: () => Promise<DlqExpiry>, retentionMs?: number }
}

const sources = new WeakMap<Registry, Set<ConsumerSource>>()
const dlqs = new WeakMap<Registry, KitMetrics['dlq']>()

export function kitMetrics (registry: Registry): KitMetrics {
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  const registers = [registry]
  return {
    consumed: single(registry, 'vitrine_consumed_records_total', () => new Counter({ name: 'vitrine_consumed_records_total', help: 'Records consumed, by group, topic and outcome (ok, retried, dead_lettered)', labelNames: ['group', 'topic', 'outcome'] as const, registers })),
    processing: single(registry, 'vitrine_handler_duration_seconds', () => new Histogram({ name: 'vitrine_handler_duration_seconds', help: 'Time to handle one record, decode to offset store', labelNames: ['topic'] as const, buckets, registers })),
    deadLetters: single(registry, 'vitrine_dead_letters_total', () => new Counter({ name: 'vitrine_dead_letters_total', help: 'Records sent to the dead-letter topic (by the consumers, or by the outbox relay for an unpublishable row)', labelNames: ['topic', 'reason'] as const, registers })),
    retries: single(registry, 'vitrine_retries_total', () => new Counter({ name: 'vitrine_retries_total', help: 'Records sent to a retry topic', labelNames: ['topic', 'tier'] as const, registers })),
    published: single(registry, 'vitrine_produced_records_total', () => new Counter({ name: 'vitrine_produced_records_total', help: 'Events the outbox relay published (acknowledged by the broker); path: commit (sent right after the commit that wrote them) or relay (a recovery pass)', labelNames: ['topic', 'path'] as const, registers })),
    outboxPending: single(registry, 'vitrine_outbox_pending_records', () => new Gauge({ name: 'vitrine_outbox_pending_records', help: 'Outbox rows not yet published, at the last relay pass', registers })),
    outboxOldest: single(registry, 'vitrine_outbox_oldest_age_seconds', () => new Gauge({ name: 'vitrine_outbox_oldest_age_seconds', help: 'Age of the oldest outbox row not yet published, at the last relay pass (0 when none waits)', registers })),
    outboxLag: single(registry, 'vitrine_outbox_publish_delay_seconds', () => new Histogram({ name: 'vitrine_outbox_publish_delay_seconds', help: 'Time from the state change commit to the broker acknowledging its event', buckets, registers })),
    compensations: single(registry, 'vitrine_compensations_total', () => new Counter({ name: 'vitrine_compensations_total', help: 'Compensations applied where they are executed (refund of a charge, release of a reservation), by saga mode; duplicates and nothing to undo do not count', labelNames: ['kind', 'mode'] as const, registers })),
    ...engineMetrics(registry)
  }
}

export interface SagaMetrics {
  started: Counter<'mode'>
  finished: Counter<'mode' | 'outcome'>
  duration: Histogram<'mode' | 'outcome'>
}

/**
 * The saga outcome metrics, one definition for both modes: checkout-api sets choreography's from the
 * order's outcome, the orchestrator sets orchestration's. `outcome` is `completed` or `failed` in both.
 */
export function sagaMetrics (registry: Registry): SagaMetrics {
  const registers = [registry]
  return {
    started: single(registry, 'vitrine_sagas_started_total', () => new Counter({ name: 'vitrine_sagas_started_total', help: 'Sagas started (choreography: an order accepted; orchestration: a saga created from orders.new)', labelNames: ['mode'] as const, registers })),
    finished: single(registry, 'vitrine_sagas_finished_total', () => new Counter({ name: 'vitrine_sagas_finished_total', help: 'Sagas that reached an outcome (completed or failed)', labelNames: ['mode', 'outcome'] as const, registers })),
    duration: single(registry, 'vitrine_saga_duration_seconds', () => new Histogram({ name: 'vitrine_saga_duration_seconds', help: 'From the order to its outcome', labelNames: ['mode', 'outcome'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers }))
  }
}

// Shared names across services (vitrine_<noun>_<unit>, told apart by the registry's `service` label).
function engineMetrics (registry: Registry): Pick<KitMetrics, 'consumers' | 'rebalances' | 'sendFailures' | 'producerFatal' | 'producerRecreated' | 'produceErrors' | 'dlq'> {
  let consumers = sources.get(registry)
  if (!consumers) {
    consumers = new Set()
    sources.set(registry, consumers)
  }
  const set = consumers
  const registers = [registry]
  single(registry, 'vitrine_consumer_lag_records', () => new Gauge({
    name: 'vitrine_consumer_lag_records',
    help: 'Records on the broker after the next one this member handles, per owned partition (asked of the broker at each scrape, so it grows while a partition is paused)',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers,
    async collect () {
      this.reset()
      for (const c of set) {
        for (const l of await c.lag()) this.set({ group: c.group, topic: l.topic, partition: String(l.partition) }, l.lag)
      }
    }
  }))
  const byReason = (name: string, help: string, pick: (s: ConsumerSnapshot) => Record<string, number>): void => {
    single(registry, name, () => new Gauge({
      name,
      help,
      labelNames: ['group', 'reason'] as const,
      registers,
      collect () {
        this.reset()
        for (const c of set) {
          const snap = c.snapshot()
          for (const [reason, n] of Object.entries(pick(snap))) this.set({ group: snap.group, reason }, n)
        }
      }
    }))
  }
  let dlq = dlqs.get(registry)
  if (!dlq) {
    dlq = {}
    dlqs.set(registry, dlq)
  }
  const d = dlq
  single(registry, 'vitrine_dlq_oldest_record_age_seconds', () => new Gauge({
    name: 'vitrine_dlq_oldest_record_age_seconds',
    help: 'Age of the oldest record the DLQ still holds (compare with vitrine_dlq_retention_seconds: past it the broker deletes the record)',
    registers,
    async collect () {
      this.reset()
      const r = await d.check?.().catch(() => undefined)
      if (r?.ageSeconds !== null && r?.ageSeconds !== undefined) this.set(r.ageSeconds)
    }
  }))
  single(registry, 'vitrine_dlq_retention_seconds', () => new Gauge({
    name: 'vitrine_dlq_retention_seconds',
    help: 'How long the DLQ keeps a record (retention.ms of the catalog)',
    registers,
    collect () {
      this.reset()
      if (d.retentionMs !== undefined) this.set(d.retentionMs / 1000)
    }
  }))
  byReason('vitrine_consumer_paused_partitions', 'Owned partitions paused, by reason (backpressure, operator, step)', s => s.paused)
  byReason('vitrine_consumer_blocked_partitions', 'Owned partitions whose head record waits on something outside it (registry_unavailable, retry_send_failed, dlq_send_failed)', s => s.blocked)
  return {
    consumers: set,
    dlq: d,
    rebalances: single(registry, 'vitrine_consumer_rebalances_total', () => new Counter({ name: 'vitrine_consumer_rebalances_total', help: 'Partition assignments and revocations this member went through', labelNames: ['group', 'kind'] as const, registers })),
    sendFailures: single(registry, 'vitrine_consumer_send_failures_total', () => new Counter({ name: 'vitrine_consumer_send_failures_total', help: 'Failed sends of a retry or dead-letter copy (transient: tried again; permanent: the broker refuses the record)', labelNames: ['group', 'target', 'kind'] as const, registers })),
    producerFatal: single(registry, 'vitrine_producer_fatal_errors_total', () => new Counter({ name: 'vitrine_producer_fatal_errors_total', help: 'Fatal errors of the idempotent producer (it is then recreated)', registers })),
    producerRecreated: single(registry, 'vitrine_producer_recreations_total', () => new Counter({ name: 'vitrine_producer_recreations_total', help: 'Producers recreated after a fatal error', registers })),
    produceErrors: single(registry, 'vitrine_produce_errors_total', () => new Counter({ name: 'vitrine_produce_errors_total', help: 'Records the broker or librdkafka refused (failed delivery reports), by topic and Kafka error name', labelNames: ['topic', 'code'] as const, registers }))
  }
}
