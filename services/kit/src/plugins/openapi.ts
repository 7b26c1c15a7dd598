import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import type { FastifySchema } from 'fastify'
import { ErrorBody } from '../schemas.ts'
import { HTTP_ERROR_CODES } from '../errors.ts'

export interface OpenApiOptions {
  /** The service's name: the document's title and the tag of routes whose path names no group. */
  service: string
  /** What the service does, in pt-BR: the first lines of its document. */
  description: string
  version?: string
}

export const OPENAPI_PATH = '/openapi.json'

const codeTable = Object.entries(HTTP_ERROR_CODES).map(([code, { status, meaning }]) => `| \`${code}\` | ${status} | ${meaning} |`).join('\n')

const errorSection = `

## Erros

Toda resposta de erro tem o mesmo corpo (\`ErrorBody\`): \`code\` (um código estável \`SHOP_ERR_*\`), \`message\`,
\`errors\` (cada campo e regra violados, num 400) e \`details\`. Um 5xx nunca expõe a mensagem interna.

| código | status | quando |
|---|---|---|
${codeTable}
`

// The answers the one error handler (errors.ts) may give on any route, whatever the route declares:
// a 500 that hides its message; and, on a route that takes a body, the body refused before its schema runs.
const internal = { description: 'erro interno (SHOP_ERR_INTERNAL; a mensagem fica só no log)', ...ErrorBody }
const bodyRefused = {
  413: { description: 'corpo maior que o aceito (SHOP_ERR_BODY_TOO_LARGE)', ...ErrorBody },
  415: { description: 'content-type diferente de application/json (SHOP_ERR_MEDIA_TYPE)', ...ErrorBody }
}

// A status a route declares without a description gets one: success, or the SHOP_ERR_* codes of that status.
function describe (status: string, schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || 'description' in schema) return schema
  const codes = Object.entries(HTTP_ERROR_CODES).filter(([, c]) => String(c.status) === status).map(([code]) => code)
  const description = /^2/.test(status) ? 'sucesso' : codes.length > 0 ? codes.join(', ') : `resposta ${status}`
  return { description, ...schema }
}

/** The tag of a route: the first path segment after /api (/api/topics/:name → topics), or the service. */
export function tagOf (url: string, service: string): string {
  const first = url.replace(/^\/api(?=\/|$)/, '').split('/').filter(Boolean)[0]
  return first && !first.startsWith(':') ? first : service
}

/**
 * The service's OpenAPI 3.1 document, generated from its route schemas (so it must be registered
 * before any route), served at GET /openapi.json. The gateway's docs page shows every service's.
 */
export default fp<OpenApiOptions>(async (fastify, opts) => {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `Vitrine · ${opts.service}`, version: opts.version ?? '0.1.0', description: opts.description + errorSection },
      components: { schemas: { ErrorBody: { ...ErrorBody } } }
    },
    transform: ({ schema, url }) => {
      const s = { ...(schema as FastifySchema & { tags?: string[], hide?: boolean }) }
      s.tags = s.tags ?? [tagOf(url, opts.service)]
      const response = { ...(s.response as Record<string, unknown> | undefined) }
      if (response[500] === undefined) response[500] = internal
      if (s.body !== undefined) for (const [status, body] of Object.entries(bodyRefused)) response[status] ??= body
      s.response = Object.fromEntries(Object.entries(response).map(([status, r]) => [status, describe(status, r)]))
      return { schema: s, url }
    }
  })
  fastify.get(OPENAPI_PATH, { schema: { hide: true } }, async () => fastify.swagger())
}, { name: 'vitrine-openapi' })
