// The chaos drills as the gateway relays them from the control plane (/api/chaos, socket `chaos`).

export interface ChaosScene { name: string, title: string, description: string, defaultSeconds: number, unavailable: string | null }

export interface ChaosSample { at: string, lag: number, errorsPerSec: number }

export interface ChaosCheck { name: string, label: string, ok: boolean, problems: string[], more: number }

export interface ChaosRun {
  id: string
  scene: string
  title: string
  status: 'running' | 'passed' | 'failed' | 'error'
  phase: 'baseline' | 'fault' | 'recovering' | 'checking' | 'done'
  params: { seconds: number, orders: number }
  startedAt: string
  faultStartedAt: string | null
  faultEndedAt: string | null
  recoveredAt: string | null
  finishedAt: string | null
  recoverySeconds: number | null
  samples: ChaosSample[]
  events: Array<{ at: string, text: string }>
  invariants: { ok: boolean, orders: number, checkedAt: string, checks: ChaosCheck[] } | null
  orders: number
  error: string | null
}

export interface ChaosPush { runs: ChaosRun[] }

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

/** A service's runtime fault toggles and its broker link (the control plane's GET /faults, relayed). */
export interface ServiceFaults {
  service: string
  running: boolean
  toggles: { service: string, active: string[], changedAt: string | null } | null
  error: string | null
  link: { available: boolean, latencyMs: number, partitioned: boolean, connections: number, since: string | null }
}

/** What is on in a service, in pt-BR: its active toggles and its broker link's faults. */
export function faultsOn (s: ServiceFaults): string[] {
  const on = [...(s.toggles?.active ?? [])]
  if (s.link.partitioned) on.push('link: partição com o Kafka')
  if (s.link.latencyMs > 0) on.push(`link: latência ${s.link.latencyMs} ms`)
  return on
}
