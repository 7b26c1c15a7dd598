import { Counter, Gauge, Histogram } from 'prom-client'
import type { Metric, Registry } from 'prom-client'
import type { Db } from '@vitrine/service-kit'
import { SAGA_STATES } from './machine.ts'

// orchestrator_<noun>_<unit>: what a class watches on /metrics while sagas run.

export interface OrchestratorMetrics {
  started: Counter
  finished: Counter<'outcome'>
  transitions: Counter<'from' | 'to'>
  ignored: Counter<'topic' | 'reason'>
  timeouts: Counter<'step'>
  resends: Counter<'command'>
  duration: Histogram<'outcome'>
}

function single<T extends Metric> (registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

export function orchestratorMetrics (registry: Registry, sql: Db): OrchestratorMetrics {
  const registers = [registry]
  single(registry, 'orchestrator_sagas_current', () => new Gauge({
    name: 'orchestrator_sagas_current',
    help: 'Sagas in each state, read from the saga table at scrape time',
    labelNames: ['state'] as const,
    registers,
    async collect () {
      const rows = await sql`select state, count(*)::int as n from sagas group by state`
      const counts = new Map(rows.map(r => [r.state as string, r.n as number]))
      for (const state of SAGA_STATES) this.set({ state }, counts.get(state) ?? 0)
    }
  }))
  single(registry, 'vitrine_sagas_needing_operator', () => new Gauge({
    name: 'vitrine_sagas_needing_operator',
    help: 'Sagas that could not finish by themselves (a step unanswered after its re-sends, or a sweep that keeps failing), read at scrape time',
    registers,
    async collect () {
      const [r] = await sql`select count(*)::int as n from sagas where attention is not null`
      this.set(r?.n as number)
    }
  }))
  return {
    resends: single(registry, 'vitrine_saga_command_resends_total', () => new Counter({ name: 'vitrine_saga_command_resends_total', help: 'Commands sent again because their step went unanswered past its deadline', labelNames: ['command'] as const, registers })),
    started: single(registry, 'orchestrator_sagas_started_total', () => new Counter({ name: 'orchestrator_sagas_started_total', help: 'Orchestrated sagas created from orders.new', registers })),
    finished: single(registry, 'orchestrator_sagas_finished_total', () => new Counter({ name: 'orchestrator_sagas_finished_total', help: 'Sagas that reached completed or failed', labelNames: ['outcome'] as const, registers })),
    transitions: single(registry, 'orchestrator_transitions_total', () => new Counter({ name: 'orchestrator_transitions_total', help: 'State transitions, by from and to state', labelNames: ['from', 'to'] as const, registers })),
    ignored: single(registry, 'orchestrator_replies_ignored_total', () => new Counter({ name: 'orchestrator_replies_ignored_total', help: 'Replies that changed nothing: duplicate (same eventId seen) or late (the command is no longer awaited)', labelNames: ['topic', 'reason'] as const, registers })),
    timeouts: single(registry, 'orchestrator_step_timeouts_total', () => new Counter({ name: 'orchestrator_step_timeouts_total', help: 'Steps whose deadline expired', labelNames: ['step'] as const, registers })),
    duration: single(registry, 'orchestrator_saga_duration_seconds', () => new Histogram({ name: 'orchestrator_saga_duration_seconds', help: 'From orders.new to the terminal state', labelNames: ['outcome'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers }))
  }
}
