import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ShopError, isDatabaseUnavailable } from '../errors.ts'
import type { FieldError } from '../errors.ts'
import { withoutUrls } from '../doors.ts'

interface ValidationIssue { instancePath?: string, message?: string, keyword?: string, params?: Record<string, unknown> }

function fieldOf (context: string | undefined, v: ValidationIssue): string {
  const base = (v.instancePath ?? '').replace(/^\//, '').split('/').filter(Boolean).map(s => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.')
  const extra = (v.params?.additionalProperty ?? v.params?.missingProperty) as string | undefined
  const path = [base, extra].filter(Boolean).join('.')
  return `${context ?? 'body'}${path ? '.' + path : ''}`
}

// Fastify's own client errors, which happen before a route's schema runs: each gets our code, a
// field and a rule, like any other broken rule. Too-long params are a 400 here, not Fastify's 414.
const FRAMEWORK: Record<string, { status: number, code: `SHOP_ERR_${string}`, field: string, rule: string, message: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'SHOP_ERR_VALIDATION', field: 'url', rule: 'urlEncoding', message: 'is not a valid percent-encoded URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 400, code: 'SHOP_ERR_VALIDATION', field: 'params', rule: 'maxLength', message: 'a path parameter is too long' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'SHOP_ERR_BAD_REQUEST', field: 'body', rule: 'json', message: 'is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'SHOP_ERR_BAD_REQUEST', field: 'body', rule: 'required', message: 'is empty but content-type is application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'SHOP_ERR_BAD_REQUEST', field: 'body', rule: 'contentLength', message: 'does not match its content-length' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'SHOP_ERR_BODY_TOO_LARGE', field: 'body', rule: 'maxBytes', message: 'is larger than the server accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'SHOP_ERR_MEDIA_TYPE', field: 'content-type', rule: 'mediaType', message: 'is not a media type this route accepts (use application/json)' }
}

/**
 * The one error body, for every error a service answers: validation failures become 400 with each
 * field and rule named; our own errors keep their SHOP_ERR_* code and status; Fastify's own client
 * errors (bad URL, invalid JSON, body too large...) are named the same way; anything else is logged
 * and answered as a plain 500 that hides its message. Also Fastify's `frameworkErrors` (service.ts).
 */
export function sendError (err: FastifyError & { validation?: ValidationIssue[] }, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation) {
    const errors: FieldError[] = err.validation.map(v => ({ field: fieldOf(err.validationContext, v), rule: v.keyword ?? 'invalid', message: v.message ?? 'is invalid' }))
    return reply.code(400).send({ code: 'SHOP_ERR_VALIDATION', message: errors.map(e => `${e.field} ${e.message}`).join('; '), errors })
  }
  if (err instanceof ShopError) {
    if (err.statusCode >= 500) request.log.error({ err, request: { method: request.method, url: request.url } }, err.message)
    // Field errors sit at the top, where a schema's own 400 has them: one error body.
    const { errors, ...details } = err.details ?? {}
    // Where a service, the database or the registry lives is for the log, never for the body (issue 16).
    const shown = Object.fromEntries(Object.entries(details).filter(([k]) => k !== 'url').map(([k, v]) => [k, typeof v === 'string' ? withoutUrls(v) : v]))
    return reply.code(err.statusCode).send({ code: err.code, message: withoutUrls(err.message), ...(Array.isArray(errors) ? { errors } : {}), ...(Object.keys(shown).length > 0 ? { details: shown } : {}) })
  }
  const known = err.code ? FRAMEWORK[err.code] : undefined
  if (known) {
    return reply.code(known.status).send({ code: known.code, message: `${known.field} ${known.message}`, errors: [{ field: known.field, rule: known.rule, message: known.message }] })
  }
  if (isDatabaseUnavailable(err)) {
    request.log.error({ err, request: { method: request.method, url: request.url } }, 'database unavailable')
    return reply.code(503).header('retry-after', '1').send({ code: 'SHOP_ERR_DATABASE_UNAVAILABLE', message: 'the database cannot answer now; try again shortly' })
  }
  const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
  if (status >= 500) {
    request.log.error({ err, request: { method: request.method, url: request.url } }, 'unhandled error')
    return reply.code(500).send({ code: 'SHOP_ERR_INTERNAL', message: 'Internal Server Error' })
  }
  // Any other client error Fastify raises (e.g. a forbidden __proto__ key in the JSON body).
  return reply.code(status).send({ code: 'SHOP_ERR_BAD_REQUEST', message: err.message, errors: [{ field: 'body', rule: err.code ?? 'invalid', message: err.message }] })
}

/**
 * A request Node's HTTP parser refuses (a malformed header, headers too large, a timeout) never
 * reaches Fastify's routes; it still gets the one error body. Fastify's `clientErrorHandler` (service.ts).
 */
export function sendClientError (err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, phrase, rule, message] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'Request Timeout', 'timeout', 'the request did not arrive in time']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'maxBytes', 'the headers are larger than the server accepts']
      : [400, 'Bad Request', 'http', 'is not a valid HTTP request']
  const body = JSON.stringify({ code: 'SHOP_ERR_BAD_REQUEST', message: `request ${message}`, errors: [{ field: 'request', rule, message }] })
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${phrase}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`)
  socket.destroy(err)
}

export default fp(async (fastify) => {
  fastify.setErrorHandler(sendError)
  fastify.setNotFoundHandler((request, reply) => reply.code(404).send({ code: 'SHOP_ERR_ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url}` }))
}, { name: 'vitrine-errors' })
