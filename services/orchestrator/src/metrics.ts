import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import { sagaMetrics, single } from '@vitrine/service-kit'
import type { Db, SagaMetrics } from '@vitrine/service-kit'
import { SAGA_STATES } from './machine.ts'
import { countByState, countInFlight, countNeedingOperator } from './db/sagas.ts'

// vitrine_<noun>_<unit> (infra/prometheus/METRICS.md): the saga metrics carry `mode`, so choreography's
// (set by checkout-api from the order's outcome) and orchestration's share one name on a dashboard.
const mode = 'orchestration'

export interface OrchestratorMetrics extends SagaMetrics {
  transitions: Counter<'from' | 'to'>
  ignored: Counter<'topic' | 'reason'>
  timeouts: Counter<'step'>
  commands: Counter<'command'>
  resends: Counter<'command'>
}

export const ORCHESTRATION = { mode } as const

export function orchestratorMetrics (registry: Registry, sql: Db): OrchestratorMetrics {
  const registers = [registry]
  single(registry, 'vitrine_sagas_by_state', () => new Gauge({
    name: 'vitrine_sagas_by_state',
    help: 'Orchestrated sagas in each state, read from the saga table at scrape time',
    labelNames: ['mode', 'state'] as const,
    registers,
    async collect () {
      const counts = await countByState(sql)
      for (const state of SAGA_STATES) this.set({ mode, state }, counts[state])
    }
  }))
  single(registry, 'vitrine_sagas_in_flight', () => new Gauge({
    name: 'vitrine_sagas_in_flight',
    help: 'Sagas started and not yet completed or failed, read at scrape time',
    labelNames: ['mode'] as const,
    registers,
    async collect () {
      this.set({ mode }, await countInFlight(sql))
    }
  }))
  single(registry, 'vitrine_sagas_needing_operator', () => new Gauge({
    name: 'vitrine_sagas_needing_operator',
    help: 'Sagas that could not finish by themselves (a step unanswered after its re-sends, or a sweep that keeps failing), read at scrape time',
    registers,
    async collect () {
      this.set(await countNeedingOperator(sql))
    }
  }))
  return {
    ...sagaMetrics(registry),
    commands: single(registry, 'vitrine_saga_commands_total', () => new Counter({ name: 'vitrine_saga_commands_total', help: 'Commands the orchestrator sent, first sends only (CHARGE, RESERVE, COMMIT, REFUND, RELEASE, CONFIRM, FAIL…); re-sends are vitrine_saga_command_resends_total', labelNames: ['command'] as const, registers })),
    resends: single(registry, 'vitrine_saga_command_resends_total', () => new Counter({ name: 'vitrine_saga_command_resends_total', help: 'Commands sent again because their step went unanswered past its deadline', labelNames: ['command'] as const, registers })),
    transitions: single(registry, 'vitrine_saga_transitions_total', () => new Counter({ name: 'vitrine_saga_transitions_total', help: 'Orchestrated saga state transitions, by from and to state', labelNames: ['from', 'to'] as const, registers })),
    ignored: single(registry, 'vitrine_saga_replies_ignored_total', () => new Counter({ name: 'vitrine_saga_replies_ignored_total', help: 'Replies that changed nothing: duplicate (same eventId seen) or late (the command is no longer awaited)', labelNames: ['topic', 'reason'] as const, registers })),
    timeouts: single(registry, 'vitrine_saga_step_timeouts_total', () => new Counter({ name: 'vitrine_saga_step_timeouts_total', help: 'Saga steps whose deadline expired', labelNames: ['step'] as const, registers }))
  }
}
