// Our own errors carry a stable code (SHOP_ERR_*) that clients and tests can rely on.
export class ShopError extends Error {
  constructor (readonly code: `SHOP_ERR_${string}`, message: string, readonly statusCode = 500, readonly details?: Record<string, unknown>) {
    super(message)
  }
}

/** One broken rule of a request: `body.items.0.quantity`, `maximum`, `must be <= 10000`. */
export interface FieldError { field: string, rule: string, message: string }

/** A rule a route schema cannot express (it needs the database): a 400 like a schema's, each field named. */
export const invalidInput = (errors: FieldError[]): ShopError => new ShopError('SHOP_ERR_VALIDATION', errors.map(e => `${e.field} ${e.message}`).join('; '), 400, { errors })

export const notFound = (what: string, id: string): ShopError => new ShopError('SHOP_ERR_NOT_FOUND', `${what} ${id} not found`, 404, { id })

/** A failure that retrying cannot fix (bad data, a broken invariant): it goes straight to the dead-letter topic. */
export class PermanentError extends Error {
  readonly retryable = false
  code = 'SHOP_ERR_PERMANENT'
}

export function isRetryable (err: unknown): boolean {
  return !(err instanceof PermanentError) && (err as { retryable?: boolean })?.retryable !== false
}
