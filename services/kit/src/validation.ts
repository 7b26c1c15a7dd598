import { AjvCompiler } from '@fastify/ajv-compiler'
import type { ValidatorFactory } from '@fastify/ajv-compiler'
import type { FastifySchemaValidationError } from 'fastify/types/schema.js'

// How every service validates its input: one Ajv setup for all of them, so a rule holds everywhere.

type Part = 'body' | 'querystring' | 'params' | 'headers' | string
interface Validate {
  (data: unknown, ctx?: unknown): boolean
  errors?: FastifySchemaValidationError[] | null
  schemaEnv?: unknown
}

// A URL carries no control character a person meant to send; a JSON body may hold tabs and newlines.
// PostgreSQL cannot store U+0000 at all, so letting one through ends in a 500 far from its cause.
const URL_CONTROL = /[\u0000-\u001f\u007f]/ // eslint-disable-line no-control-regex
const BODY_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/ // eslint-disable-line no-control-regex

const issue = (at: string, keyword: string, message: string): FastifySchemaValidationError => ({ instancePath: at, schemaPath: `#/${keyword}`, keyword, params: {}, message })

/**
 * What Ajv lets through: control characters in text, and numbers that are not finite. Ajv coerces
 * `?offset=1e400` to Infinity after its own finiteness check and then skips minimum/maximum for it.
 */
function inputIssues (data: unknown, pattern: RegExp, path = ''): FastifySchemaValidationError[] {
  if (typeof data === 'string') return pattern.test(data) ? [issue(path, 'noControlCharacters', 'must not contain control characters (U+0000-U+001F, U+007F)')] : []
  if (typeof data === 'number') return Number.isFinite(data) ? [] : [issue(path, 'finite', 'must be a finite number')]
  if (Array.isArray(data)) return data.flatMap((v, i) => inputIssues(v, pattern, `${path}/${i}`))
  if (data !== null && typeof data === 'object') {
    return Object.entries(data).flatMap(([k, v]) => {
      const at = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`
      return pattern.test(k) ? inputIssues(k, pattern, at) : inputIssues(v, pattern, at)
    })
  }
  return []
}

function withTextRule (validate: Validate, part: Part): Validate {
  const pattern = part === 'body' ? BODY_CONTROL : part === 'headers' ? null : URL_CONTROL
  if (!pattern) return validate
  const wrapped: Validate = function (this: unknown, data, ctx) {
    const ok = validate.call(this, data, ctx)
    const text = inputIssues(data, pattern)
    if (ok && text.length === 0) { wrapped.errors = null; return true }
    wrapped.errors = [...(ok ? [] : validate.errors ?? []), ...text]
    return false
  }
  // Fastify passes the parent object only to Ajv functions (they mark themselves with schemaEnv), so defaults can be applied.
  wrapped.schemaEnv = validate.schemaEnv
  return wrapped
}

/**
 * Fastify's Ajv compiler, twice: query strings, params and headers arrive as text and are coerced
 * to the schema's types (`?limit=5`); JSON bodies already have types, so `"quantity": "2"`, `true`
 * or `[2]` is a 400, never silently turned into 2. Both refuse control characters in text
 * and numbers that are not finite.
 */
export function buildValidator (): ValidatorFactory {
  const pool = AjvCompiler()
  const factory: ValidatorFactory = (externalSchemas, options) => {
    const coercing = pool(externalSchemas, options)
    const strict = pool(externalSchemas, { ...options, customOptions: { ...options?.customOptions, coerceTypes: false } } as Parameters<ValidatorFactory>[1])
    return (route) => withTextRule((route.httpPart === 'body' ? strict(route) : coercing(route)) as Validate, route.httpPart ?? '') as ReturnType<ReturnType<ValidatorFactory>>
  }
  return factory
}
