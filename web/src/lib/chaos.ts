// The chaos drills as the gateway relays them from the control plane (/api/chaos, socket `chaos`).

import type { ChaosRun, ServiceFaults } from './types.ts'

export type { ChaosCheck, ChaosPush, ChaosRun, ChaosSample, ChaosScene, ServiceFaults } from './types.ts'

export const PHASE_LABEL: Record<ChaosRun['phase'], string> = {
  baseline: 'medindo o normal',
  fault: 'falha em curso',
  recovering: 'recuperando',
  checking: 'conferindo invariantes',
  done: 'terminada'
}

export const STATUS_LABEL: Record<ChaosRun['status'], string> = {
  running: 'rodando',
  passed: 'passou ✔',
  failed: 'não passou ✘',
  error: 'erro'
}

/** Seconds since the drill began, as the chart's axis and the timeline show them. */
export function offset (run: Pick<ChaosRun, 'startedAt'>, iso: string): number {
  return Math.round((Date.parse(iso) - Date.parse(run.startedAt)) / 100) / 10
}

/** What is on in a service, in pt-BR: its active toggles and its broker link's faults. */
export function faultsOn (s: ServiceFaults): string[] {
  const on = [...(s.toggles?.active ?? [])]
  if (s.link.partitioned) on.push('link: partição com o Kafka')
  if (s.link.latencyMs > 0) on.push(`link: latência ${s.link.latencyMs} ms`)
  return on
}
