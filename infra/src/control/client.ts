// The control plane's HTTP API seen from a command line (make status, make exercicio ...): is it up,
// and one call that turns its SHOP_ERR_* body into an error carrying code and details.

export class ApiError extends Error {
  constructor (message: string, readonly code: string | undefined, readonly details: Record<string, unknown> | undefined) {
    super(message)
  }
}

export function controlClient (port: number): { url: string, up: () => Promise<boolean>, call: <T>(method: string, path: string) => Promise<T> } {
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    up: async () => {
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })
        return res.ok && (await res.json() as { service?: string }).service === 'control'
      } catch {
        return false
      }
    },
    call: async <T>(method: string, path: string): Promise<T> => {
      const res = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(300_000) })
      const body = await res.json() as T & { code?: string, message?: string, details?: Record<string, unknown> }
      if (!res.ok) throw new ApiError(body.message ?? `${method} ${path} answered ${res.status}`, body.code, body.details)
      return body
    }
  }
}
