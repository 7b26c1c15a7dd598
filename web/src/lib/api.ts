import type { ErrorBody, FieldError } from './types.ts'
import type { Run } from '../components/CompareRuns.svelte'
import { authHeaders } from './auth.svelte.ts'

// Calls to the gateway's REST API. A non-2xx answer becomes an ApiError carrying the gateway's
// code, message and, for 400, each broken rule with its field.

export class ApiError extends Error {
  constructor (readonly status: number, readonly code: string, message: string, readonly errors: FieldError[] = []) {
    super(message)
  }

  /** What a page shows for any failure of a call: the server's refusal as it came, anything else (a network error) as code UNKNOWN. */
  static from (err: unknown): ApiError {
    return err instanceof ApiError ? err : new ApiError(0, 'UNKNOWN', err instanceof Error ? err.message : String(err))
  }

  /** The message for one field (`body.name` or just `name`), if the server named it. */
  field (name: string): string | undefined {
    return this.errors.find(e => e.field === name || e.field.endsWith('.' + name))?.message
  }
}

// The gateway's refusals of a token (HTTP_AUTH=jwt), said in pt-BR wherever a page shows an error.
const REFUSED: Record<string, string> = {
  SHOP_ERR_UNAUTHENTICATED: 'É preciso entrar para isso: use o botão Entrar, no topo da página (ou sua sessão expirou).',
  SHOP_ERR_FORBIDDEN: 'Acesso negado: isso é só para o instrutor (ou você tentou agir em nome de outro cliente). Entre como instrutor, no topo da página.'
}

export async function api<T> (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let res: Response
  try {
    res = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...authHeaders(), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {})
    })
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `sem resposta do gateway (${(err as Error).message})`)
  }
  const text = await res.text()
  let data: unknown = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = text
  }
  if (!res.ok) {
    const e = (data ?? {}) as Partial<ErrorBody>
    const code = e.code ?? `HTTP_${res.status}`
    throw new ApiError(res.status, code, REFUSED[code] ?? e.message ?? `HTTP ${res.status}`, e.errors ?? [])
  }
  return data as T
}

export const get = async <T>(path: string): Promise<T> => await api<T>('GET', path)

/** The same order (customer and items) once in each saga style, traced from what the topics kept. */
export async function compareModes (order: { customerId: string, items: Array<{ productId: string, quantity: number }> }): Promise<Run[]> {
  const r = await api<{ choreography: Run, orchestration: Run }>('POST', '/api/compare', order)
  return [r.choreography, r.orchestration]
}
