// Reads samples out of a Prometheus text body, for tests that assert what /metrics shows.

/** Every sample of `name` whose labels include `labels`. */
export function samples (body: string, name: string, labels: Record<string, string> = {}): Array<{ labels: string, value: number }> {
  const out: Array<{ labels: string, value: number }> = []
  for (const line of body.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    const inside = line.startsWith(name + '{') ? line.slice(name.length + 1, line.lastIndexOf('}')) : ''
    if (Object.entries(labels).every(([k, v]) => inside.includes(`${k}="${v}"`))) out.push({ labels: inside, value: Number(line.slice(line.lastIndexOf(' ') + 1)) })
  }
  return out
}

/** The sum of the samples of `name` matching `labels` (0 when there are none). */
export function metricSum (body: string, name: string, labels: Record<string, string> = {}): number {
  return samples(body, name, labels).reduce((sum, s) => sum + s.value, 0)
}
