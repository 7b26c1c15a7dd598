// Small statistics for the benchmark: nearest-rank percentiles and a least-squares slope.

export interface Percentiles { count: number, p50: number, p95: number, p99: number, max: number }

/** Nearest-rank percentile of sorted values: the smallest value with at least p% of them at or below it. */
export function percentile (sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

export function percentiles (values: readonly number[], digits = 1): Percentiles {
  const sorted = [...values].sort((a, b) => a - b)
  const round = (n: number): number => Math.round(n * 10 ** digits) / 10 ** digits
  return { count: sorted.length, p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? Number.NaN) }
}

/** Slope (units per second) of the line that best fits the samples; 0 with fewer than two. */
export function slopePerSecond (samples: ReadonlyArray<{ at: number, value: number }>): number {
  if (samples.length < 2) return 0
  const xs = samples.map(s => s.at / 1000)
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = samples.reduce((a, s) => a + s.value, 0) / samples.length
  let num = 0
  let den = 0
  for (let i = 0; i < samples.length; i++) {
    num += (xs[i]! - mx) * (samples[i]!.value - my)
    den += (xs[i]! - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits
