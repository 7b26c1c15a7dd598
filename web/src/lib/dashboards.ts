import { get } from './api.ts'

// The Métricas page draws the same panels as the Grafana dashboards in infra/grafana/dashboards:
// the JSON files are imported at build time, so their queries have one source.

export interface PanelTarget { expr: string, legend: string }
export interface Panel { id: string, title: string, kind: 'stat' | 'timeseries', unit: string, targets: PanelTarget[] }
export interface Dashboard { key: string, title: string, panels: Panel[] }

interface GrafanaPanel { id?: number, type?: string, title?: string, fieldConfig?: { defaults?: { unit?: string } }, targets?: Array<{ expr?: string, legendFormat?: string }> }
interface GrafanaDashboard { title?: string, panels?: GrafanaPanel[] }

const files = import.meta.glob<GrafanaDashboard>('../../../infra/grafana/dashboards/*.json', { eager: true, import: 'default' })

/** The order the page shows them in; a dashboard added later comes after these. */
const ORDER = ['kafka-cluster', 'services', 'consumer-lag', 'sagas', 'dlq-retries']

export const DASHBOARDS: Dashboard[] = Object.entries(files)
  .map(([path, d]) => {
    const key = path.split('/').pop()!.replace(/\.json$/, '')
    const panels = (d.panels ?? [])
      .filter(p => (p.targets ?? []).some(t => t.expr))
      .map((p, i): Panel => ({
        id: `${key}-${p.id ?? i}`,
        title: p.title ?? '',
        kind: p.type === 'stat' ? 'stat' : 'timeseries',
        unit: p.fieldConfig?.defaults?.unit ?? 'short',
        targets: (p.targets ?? []).filter(t => t.expr).map(t => ({ expr: t.expr!, legend: t.legendFormat ?? '' }))
      }))
    return { key, title: (d.title ?? key).replace(/^Vitrine · /, ''), panels }
  })
  .sort((a, b) => (ORDER.indexOf(a.key) + 1 || 99) - (ORDER.indexOf(b.key) + 1 || 99))

export interface Series { name: string, points: Array<[number, number]> }

interface PromAnswer { resultType: string, result: Array<{ metric: Record<string, string>, value?: [number, string], values?: Array<[number, string]> }> }

/** Grafana's legendFormat: `{{label}}` replaced by the series' label. */
export function legendName (format: string, metric: Record<string, string>): string {
  if (format === '') return Object.entries(metric).map(([k, v]) => `${k}=${v}`).join(', ') || 'valor'
  return format.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, label: string) => metric[label] ?? '')
}

/** One target over the last `rangeSeconds`, through the gateway's proxy. */
export async function queryRange (t: PanelTarget, rangeSeconds: number, stepSeconds: number): Promise<Series[]> {
  const end = Math.floor(Date.now() / 1000)
  const q = new URLSearchParams({ query: t.expr, start: String(end - rangeSeconds), end: String(end), step: String(stepSeconds) })
  const answer = await get<PromAnswer>(`/api/metrics/query_range?${q.toString()}`)
  return answer.result.map(r => ({ name: legendName(t.legend, r.metric), points: (r.values ?? []).map(([at, v]) => [at * 1000, Number(v)] as [number, number]) }))
}

/** One target now (a stat panel). */
export async function queryNow (t: PanelTarget): Promise<Series[]> {
  const answer = await get<PromAnswer>(`/api/metrics/query?${new URLSearchParams({ query: t.expr }).toString()}`)
  return answer.result.map(r => ({ name: legendName(t.legend, r.metric), points: r.value ? [[r.value[0] * 1000, Number(r.value[1])]] : [] }))
}

/** A value in the panel's Grafana unit, in pt-BR. */
export function formatValue (v: number, unit: string): string {
  if (!Number.isFinite(v)) return '—'
  const n = (x: number, digits = 2): string => x.toLocaleString('pt-BR', { maximumFractionDigits: digits })
  switch (unit) {
    case 'percentunit': return `${n(v * 100, 1)}%`
    case 's': return v < 1 ? `${n(v * 1000, 1)} ms` : `${n(v, 2)} s`
    case 'ms': return `${n(v, 1)} ms`
    case 'Bps': return v >= 1024 * 1024 ? `${n(v / 1024 / 1024, 1)} MiB/s` : v >= 1024 ? `${n(v / 1024, 1)} KiB/s` : `${n(v, 0)} B/s`
    default: return n(v)
  }
}
