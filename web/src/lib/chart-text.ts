import { Chart } from 'chart.js'
import { token } from './tokens.ts'

// chart.js draws on a canvas in pixels with the colours it was given, so the projector mode (A+:
// larger type, high contrast) reaches an open chart only through here: the charts' default font
// follows the root size, and every colour a chart took from an app.css token is swapped for the
// token's new value; then the open charts are redrawn. Charts created later read the tokens anew.

/** The tokens charts take their colours from (lib/tokens.ts). */
const CHART_TOKENS = ['ink', 'muted', 'line', 'accent', 'choreo', 'orch', 'started', 'progress', 'success', 'failure', 'compensation', 'retry', 'dead', 'unknown', 'failure-soft']

let palette: Map<string, string> | null = null

/** Replaces, in a chart's own config (data and options), each colour string found in `swap`. */
function recolour (node: unknown, swap: ReadonlyMap<string, string>, depth = 0): void {
  if (depth > 8 || node === null || typeof node !== 'object') return
  const o = node as Record<string, unknown>
  for (const key of Object.keys(o)) {
    const v = o[key]
    if (typeof v === 'string') {
      const next = swap.get(v.toLowerCase())
      if (next !== undefined) o[key] = next
    } else if (typeof v === 'object') {
      recolour(v, swap, depth + 1)
    }
  }
}

/** Chart text at 12 px under the 15 px root, 15 px under the projector's 19 px; chart colours follow the tokens. */
export function restyleCharts (): void {
  const root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 15
  const size = Math.round(root * 0.8)
  const next = new Map(CHART_TOKENS.map(t => [t, token(t)]))
  const swap = new Map<string, string>()
  for (const [t, was] of palette ?? []) {
    const now = next.get(t)!
    if (now !== was && was !== '') swap.set(was.toLowerCase(), now)
  }
  palette = next
  if (Chart.defaults.font.size === size && swap.size === 0) return
  Chart.defaults.font.size = size
  for (const chart of Object.values(Chart.instances)) {
    if (swap.size > 0) {
      recolour(chart.config.data, swap)
      recolour(chart.config.options, swap)
    }
    chart.update('none')
  }
}
