import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Metric } from 'prom-client'

// Metric names follow `<service>_<noun>_<unit>`: `_total` for counters, `_seconds` for histograms.
export function metricPrefix (service: string): string {
  return service.replace(/[^a-zA-Z0-9]/g, '_')
}

function single<T extends Metric> (registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

export function createRegistry (service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  // Includes the event loop delay percentiles (`<service>_nodejs_eventloop_lag_p99_seconds`) the benchmarks read.
  collectDefaultMetrics({ register: registry, prefix: `${metricPrefix(service)}_`, eventLoopMonitoringPrecision: 10 })
  return registry
}

export interface KitMetrics {
  consumed: Counter<'topic' | 'outcome'>
  processing: Histogram<'topic'>
  deadLetters: Counter<'topic' | 'reason'>
  retries: Counter<'topic' | 'tier'>
  published: Counter<'topic'>
  outboxPending: Gauge
  outboxLag: Histogram
}

export function kitMetrics (registry: Registry, service: string): KitMetrics {
  const p = metricPrefix(service)
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
  return {
    consumed: single(registry, `${p}_messages_consumed_total`, () => new Counter({ name: `${p}_messages_consumed_total`, help: 'Records consumed, by topic and outcome (ok, skipped, retried, dead_lettered)', labelNames: ['topic', 'outcome'] as const, registers: [registry] })),
    processing: single(registry, `${p}_message_processing_seconds`, () => new Histogram({ name: `${p}_message_processing_seconds`, help: 'Time to handle one record, decode to offset store', labelNames: ['topic'] as const, buckets, registers: [registry] })),
    deadLetters: single(registry, `${p}_dead_letters_total`, () => new Counter({ name: `${p}_dead_letters_total`, help: 'Records sent to the dead-letter topic', labelNames: ['topic', 'reason'] as const, registers: [registry] })),
    retries: single(registry, `${p}_retries_total`, () => new Counter({ name: `${p}_retries_total`, help: 'Records sent to a retry topic', labelNames: ['topic', 'tier'] as const, registers: [registry] })),
    published: single(registry, `${p}_events_published_total`, () => new Counter({ name: `${p}_events_published_total`, help: 'Events published from the outbox', labelNames: ['topic'] as const, registers: [registry] })),
    outboxPending: single(registry, `${p}_outbox_pending_messages`, () => new Gauge({ name: `${p}_outbox_pending_messages`, help: 'Outbox rows not yet published at the last relay pass', registers: [registry] })),
    outboxLag: single(registry, `${p}_outbox_publish_delay_seconds`, () => new Histogram({ name: `${p}_outbox_publish_delay_seconds`, help: 'Time from the state change commit to the broker acknowledging its event', buckets, registers: [registry] }))
  }
}
