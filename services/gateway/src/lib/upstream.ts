import { ShopError } from '@vitrine/service-kit'

// Forwards the console's shop calls to the services that own them (checkout-api, inventory,
// orchestrator), so the browser talks to one origin. The service's answer, status and body,
// comes back unchanged; a service that is down becomes a 502 that names it (not where it lives).

export interface UpstreamAnswer { status: number, body: unknown, headers: Record<string, string> }

const PASSED_HEADERS = ['location', 'idempotent-replayed']

export async function forward (service: string, baseUrl: string, method: string, path: string, options: { body?: unknown, headers?: Record<string, string | undefined>, timeoutMs?: number } = {}): Promise<UpstreamAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' }
  for (const [k, v] of Object.entries(options.headers ?? {})) if (v !== undefined) headers[k] = v
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(new URL(path, baseUrl), {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000)
    })
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name
    // The URL goes to the log (details.url), never into the body (kit's error handler drops it).
    throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `${service} is not reachable (${cause})`, 502, { service, url: baseUrl })
  }
  const text = await res.text()
  let body: unknown = text
  try {
    body = text === '' ? null : JSON.parse(text)
  } catch {
    // Plain text: passed as is.
  }
  const out: Record<string, string> = {}
  for (const h of PASSED_HEADERS) {
    const v = res.headers.get(h)
    if (v !== null) out[h] = v
  }
  return { status: res.status, body, headers: out }
}
