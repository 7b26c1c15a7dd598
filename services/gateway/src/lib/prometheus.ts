import { ShopError, invalidInput } from '@vitrine/service-kit'

// Read-only calls to Prometheus's and Alertmanager's HTTP APIs for the Métricas page. Their
// addresses stay inside the gateway: an error names the component, never its URL.

export type Upstream = 'prometheus' | 'alertmanager'

const unavailable = (who: Upstream, why: string): ShopError =>
  new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `${who} is not reachable (${why})`, 502, { service: who })

async function getJson (who: Upstream, baseUrl: string, path: string, params: Record<string, string>, timeoutMs: number): Promise<{ status: number, body: unknown }> {
  const url = new URL(path, baseUrl)
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  let res: Response
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw unavailable(who, (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name)
  }
  try {
    return { status: res.status, body: await res.json() }
  } catch {
    throw unavailable(who, `answered ${res.status} without JSON`)
  }
}

export interface PromData { resultType: 'matrix' | 'vector' | 'scalar' | 'string', result: unknown[] }

/**
 * One Prometheus query (`query` or `query_range`). A query Prometheus refuses (bad PromQL, too many
 * points) is the client's mistake: a 400 naming the field, with Prometheus's own words as the rule's message.
 */
export async function promQuery (baseUrl: string, kind: 'query' | 'query_range', params: Record<string, string>, timeoutMs: number): Promise<PromData> {
  const { status, body } = await getJson('prometheus', baseUrl, `/api/v1/${kind}`, { ...params, timeout: `${Math.floor(timeoutMs / 1000)}s` }, timeoutMs)
  const b = body as { status?: string, data?: PromData, errorType?: string, error?: string }
  if (b.status === 'success' && b.data) return b.data
  if (status === 400 || status === 422) {
    const message = String(b.error ?? 'refused by Prometheus').slice(0, 500)
    throw invalidInput([{ field: 'querystring.query', rule: b.errorType === 'bad_data' ? 'promql' : String(b.errorType ?? 'promql'), message }])
  }
  throw unavailable('prometheus', `answered ${status}${b.errorType ? ` ${b.errorType}` : ''}`)
}

/** Alertmanager's active alerts (`/api/v2/alerts`), in the shape of a webhook's alerts. */
export async function alertmanagerAlerts (baseUrl: string, timeoutMs: number): Promise<ActiveAlert[]> {
  const { status, body } = await getJson('alertmanager', baseUrl, '/api/v2/alerts', { active: 'true', silenced: 'false', inhibited: 'false' }, timeoutMs)
  if (status !== 200 || !Array.isArray(body)) throw unavailable('alertmanager', `answered ${status}`)
  return (body as Array<Partial<ActiveAlert> & { labels?: Record<string, string> }>)
    .filter((a): a is ActiveAlert => typeof a.fingerprint === 'string' && typeof a.labels?.alertname === 'string' && typeof a.startsAt === 'string')
    .map(a => ({ fingerprint: a.fingerprint, status: 'firing' as const, labels: a.labels, annotations: a.annotations ?? {}, startsAt: a.startsAt }))
}

export interface ActiveAlert { fingerprint: string, status: 'firing', labels: Record<string, string> & { alertname: string }, annotations: Record<string, string>, startsAt: string }
