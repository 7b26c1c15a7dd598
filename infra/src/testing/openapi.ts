import SwaggerParser from '@apidevtools/swagger-parser'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { buildRoutes, emptyDb } from '@vitrine/service-kit'

// For every service's routes-only unit tests: the routes on an empty database, the fields and
// rules of a validation error, and checks of the service's OpenAPI document (kit's
// plugins/openapi.ts): it is valid OpenAPI 3, and every route documents each status it can answer.

/**
 * The service's routes on the kit's options and error handler, with no broker and a database that
 * has no rows (kit's emptyDb): what a route refuses, and its 404s, need nothing else. `given`
 * stands in for other clients (e.g. the traffic generator); closed after the test.
 */
export async function routesOnEmptyDb<O extends Record<string, unknown>> (t: { after: (fn: () => Promise<void>) => void }, routes: FastifyPluginAsync<O>, opts: O, given: Record<string, unknown> = {}): Promise<FastifyInstance> {
  const app = await buildRoutes(routes, opts, [], { sql: emptyDb, ...given })
  t.after(async () => { await app.close() })
  return app
}

/** [field, rule] of each error in a SHOP_ERR_VALIDATION body. */
export const fieldRules = (body: { errors?: Array<{ field: string, rule: string }> }): string[][] => (body.errors ?? []).map(e => [e.field, e.rule])

interface Operation {
  parameters?: Array<{ in: string, name: string, schema?: { enum?: unknown[] } }>
  requestBody?: unknown
  responses?: Record<string, { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }>
}
type Document = { paths?: Record<string, Record<string, Operation>> }

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']

/** The document's operations: [method, path, operation]. */
export function operations (doc: unknown): Array<[string, string, Operation]> {
  return Object.entries((doc as Document).paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item).filter(([m]) => METHODS.includes(m)).map(([m, op]): [string, string, Operation] => [m, path, op]))
}

/** What the OpenAPI 3 validator (@apidevtools/swagger-parser: the spec's JSON Schema, then its rules) finds wrong. */
export async function validateOpenApi (doc: unknown): Promise<string | undefined> {
  try {
    // It dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc) as never)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

/**
 * The statuses each route must document, from its shape: a 2xx; a 400 when it takes a body,
 * path params or a query (its schema refuses them); a 404 when it has path params (the thing named may
 * not exist; not for a param that is one of a list); a 500 with the one error body (any handler may fail). Returns what is missing, as
 * `GET /orders/{orderId}: no 404`.
 */
export function missingResponses (doc: unknown, options: { no404?: string[] } = {}): string[] {
  const missing: string[] = []
  for (const [method, path, op] of operations(doc)) {
    const name = `${method.toUpperCase()} ${path}`
    const statuses = Object.keys(op.responses ?? {})
    const params = op.parameters ?? []
    // A path param that is one of a list (an enum) is refused with a 400, never looked up.
    const hasPath = params.some(p => p.in === 'path' && p.schema?.enum === undefined)
    if (!statuses.some(s => /^2\d\d$/.test(s))) missing.push(`${name}: no 2xx`)
    if ((op.requestBody !== undefined || params.some(p => p.in === 'path' || p.in === 'query')) && !statuses.includes('400')) missing.push(`${name}: no 400`)
    if (hasPath && !statuses.includes('404') && !(options.no404 ?? []).includes(name)) missing.push(`${name}: no 404`)
    const internal = op.responses?.['500']?.content?.['application/json']?.schema?.properties
    if (!internal?.code || !internal.message) missing.push(`${name}: no 500 with the error body`)
  }
  return missing
}

/**
 * Asks every documented route something it must refuse or cannot find (path params 'x', an empty
 * body, no query) and returns each answer whose status the route does not document, as
 * `POST /orders answered 422, documents 201 400 500`. In a routes-only app (kit's buildRoutes) a
 * request that gets past validation reaches a stand-in client: a 404 (no rows) or a 500.
 */
export async function undocumentedAnswers (app: FastifyInstance, doc: unknown): Promise<string[]> {
  const wrong: string[] = []
  for (const [method, path, op] of operations(doc)) {
    const url = path.replace(/\{[^}]+\}/g, 'x')
    const res = await app.inject({ method: method.toUpperCase() as 'GET', url, ...(op.requestBody !== undefined ? { payload: {} } : {}) })
    const statuses = Object.keys(op.responses ?? {})
    if (!statuses.includes(String(res.statusCode))) wrong.push(`${method.toUpperCase()} ${path} answered ${res.statusCode}, documents ${statuses.join(' ')}`)
  }
  return wrong
}
