import { Chart } from 'chart.js'

// chart.js draws its text on a canvas in pixels, so the projector's larger root font (A+) never
// reaches it: the charts' default font follows the root size here, and the open charts are redrawn.

/** Chart text at 12 px under the 15 px root, 15 px under the projector's 19 px. */
export function scaleChartText (): void {
  const root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 15
  const size = Math.round(root * 0.8)
  if (Chart.defaults.font.size === size) return
  Chart.defaults.font.size = size
  for (const chart of Object.values(Chart.instances)) chart.update('none')
}
