import { createHmac } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { BaseConfigType } from './config.ts'
import { ShopError } from './errors.ts'

// HTTP authentication (issue 16): who may call a route. plugins/auth.ts verifies the tokens; this
// file holds what the services, the gateway's dev issuer and the supervisor's tools share.

/** Who may call a route: anyone; any signed-in user (a customer sees only its own orders); the instructor alone. */
export type Access = 'public' | 'customer' | 'instructor'

export type Role = 'customer' | 'instructor'

/** What a Vitrine token says: the customer's id (or the instructor's / a service's name) and the role. */
export interface TokenClaims {
  sub: string
  role: Role
  name?: string
  iat?: number
  exp?: number
  iss?: string
  aud?: string
}

/**
 * A service's access table: `METHOD /path` (the route's URL as registered, e.g. `GET /orders/:id`)
 * → access; `* /prefix/*` covers every method under a prefix. A route neither here nor in its own
 * `config.access` is the instructor's (closed by default); the JWT matrix test lists such routes.
 */
export type AccessPolicy = Readonly<Record<string, Access>>

/** The kit's own routes, in every service: health, metrics and the OpenAPI document are read by anyone (Prometheus, the supervisor, the docs page); fault toggles are the instructor's. */
export const KIT_ACCESS: AccessPolicy = {
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /faults': 'public',
  'PUT /faults': 'instructor',
  'DELETE /faults': 'instructor',
  // The step mode (plugins/step.ts): the held events name orders, and a release moves the class's saga.
  'GET /admin/step': 'instructor',
  'POST /admin/step': 'instructor',
  'POST /admin/step/release': 'instructor'
}

export type AuthConfig = Pick<BaseConfigType, 'HTTP_AUTH' | 'HTTP_JWT_SECRET' | 'HTTP_JWT_ISSUER' | 'HTTP_JWT_AUDIENCE'>

export const JWT_ALGORITHM = 'HS256'

/** How long a token lasts: a class's day. */
export const TOKEN_TTL_SECONDS = 12 * 3600

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url')

/**
 * An HS256 token with the stack's issuer and audience. Used where no Fastify instance signs (the
 * supervisor's tools, the control plane, tests) and by the gateway's dev issuer, so every token
 * Vitrine makes has the same shape; the services verify with @fastify/jwt (plugins/auth.ts).
 */
export function signToken (config: AuthConfig, claims: Pick<TokenClaims, 'sub' | 'role' | 'name'>, o: { ttlSeconds?: number, now?: number } = {}): string {
  const iat = Math.floor((o.now ?? Date.now()) / 1000)
  const payload = { ...claims, iss: config.HTTP_JWT_ISSUER, aud: config.HTTP_JWT_AUDIENCE, iat, exp: iat + (o.ttlSeconds ?? TOKEN_TTL_SECONDS) }
  const unsigned = `${b64url(JSON.stringify({ alg: JWT_ALGORITHM, typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`
  return `${unsigned}.${createHmac('sha256', config.HTTP_JWT_SECRET).update(unsigned).digest('base64url')}`
}

/** The Authorization header a service or tool sends to another service: an instructor token in its own name. */
export function serviceAuthHeaders (config: AuthConfig, service: string): Record<string, string> {
  if (config.HTTP_JWT_SECRET === '') return {}
  return { authorization: `Bearer ${signToken(config, { sub: `service:${service}`, role: 'instructor' }, { ttlSeconds: 300 })}` }
}

/** The verified caller, when the route checked a token (HTTP_AUTH=jwt). */
export function callerOf (request: FastifyRequest): TokenClaims | undefined {
  return (request as FastifyRequest & { caller?: TokenClaims }).caller
}

/** The customer whose data alone this request may see, or undefined when it may see everyone's (instructor, or HTTP_AUTH=none). */
export function customerScope (request: FastifyRequest): string | undefined {
  const caller = callerOf(request)
  return caller?.role === 'customer' ? caller.sub : undefined
}

export const unauthenticated = (why: string): ShopError => new ShopError('SHOP_ERR_UNAUTHENTICATED', `authentication required: ${why}`, 401)

export const forbidden = (why: string): ShopError => new ShopError('SHOP_ERR_FORBIDDEN', why, 403)
