import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import { ShopError } from '../errors.ts'

interface ValidationIssue { instancePath?: string, message?: string, keyword?: string, params?: Record<string, unknown> }

function fieldOf (context: string | undefined, v: ValidationIssue): string {
  const base = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
  const extra = (v.params?.additionalProperty ?? v.params?.missingProperty) as string | undefined
  const path = [base, extra].filter(Boolean).join('.')
  return `${context ?? 'body'}${path ? '.' + path : ''}`
}

/**
 * The one error handler. Validation failures become 400 with each field and rule named; our own
 * errors keep their SHOP_ERR_* code and status; anything else is logged and answered as a plain 500.
 */
export default fp(async (fastify) => {
  fastify.setErrorHandler((err: FastifyError & { validation?: ValidationIssue[] }, request, reply) => {
    if (err.validation) {
      const errors = err.validation.map(v => ({ field: fieldOf(err.validationContext, v), rule: v.keyword ?? 'invalid', message: v.message ?? 'is invalid' }))
      return reply.code(400).send({ code: 'SHOP_ERR_VALIDATION', message: errors.map(e => `${e.field} ${e.message}`).join('; '), errors })
    }
    if (err instanceof ShopError) {
      if (err.statusCode >= 500) request.log.error({ err, request: { method: request.method, url: request.url } }, err.message)
      return reply.code(err.statusCode).send({ code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) })
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500
    if (status >= 500) {
      request.log.error({ err, request: { method: request.method, url: request.url } }, 'unhandled error')
      return reply.code(500).send({ code: 'SHOP_ERR_INTERNAL', message: 'Internal Server Error' })
    }
    // Fastify's own client errors: malformed JSON, body too large, wrong content type.
    const code = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'SHOP_ERR_BODY_TOO_LARGE' : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'SHOP_ERR_MEDIA_TYPE' : 'SHOP_ERR_BAD_REQUEST'
    return reply.code(status).send({ code, message: err.message, errors: [{ field: 'body', rule: err.code ?? 'invalid', message: err.message }] })
  })
  fastify.setNotFoundHandler((request, reply) => reply.code(404).send({ code: 'SHOP_ERR_ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url}` }))
}, { name: 'vitrine-errors' })
