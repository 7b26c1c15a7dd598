import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import type { FastifyRequest, RouteOptions } from 'fastify'
import { ErrorBody } from '../schemas.ts'
import { JWT_ALGORITHM, forbidden, unauthenticated } from '../auth.ts'
import type { Access, AccessPolicy, AuthConfig, TokenClaims } from '../auth.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (overrides the service's access table). */
    access?: Access
  }
  interface FastifyInstance {
    /** Every route's access, `METHOD /url` → access and whether it was declared (table or config) or fell back to closed. */
    routeAccess: Map<string, { access: Access, declared: boolean }>
  }
  interface FastifyRequest {
    caller?: TokenClaims
  }
}

export interface AuthOptions {
  config: AuthConfig
  /** The service's access table (see AccessPolicy). */
  policy?: AccessPolicy
}

/** The access a route gets: its own config, else the table (exact, then the longest `* /prefix/*`), else the instructor's. */
export function accessOf (policy: AccessPolicy, method: string, url: string, own?: Access): { access: Access, declared: boolean } {
  if (own !== undefined) return { access: own, declared: true }
  const m = method === 'HEAD' ? 'GET' : method
  const exact = policy[`${m} ${url}`]
  if (exact !== undefined) return { access: exact, declared: true }
  let best: { len: number, access: Access } | undefined
  for (const [key, access] of Object.entries(policy)) {
    const match = /^\* (.*)\/\*$/.exec(key)
    if (match === null) continue
    const prefix = match[1]!
    if ((url === prefix || url.startsWith(prefix + '/')) && (best === undefined || prefix.length > best.len)) best = { len: prefix.length, access }
  }
  return best !== undefined ? { access: best.access, declared: true } : { access: 'instructor', declared: false }
}

// fast-jwt's codes, told apart for the log and the message (the status is 401 for all).
const WHY: Record<string, string> = {
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'no Authorization: Bearer header',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'the token has expired',
  FST_JWT_AUTHORIZATION_TOKEN_INVALID: 'the token is invalid',
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: 'the token is not trusted',
  FST_JWT_BAD_REQUEST: 'the Authorization header is not "Bearer <token>"',
  FST_JWT_BAD_COOKIE_REQUEST: 'the token is malformed'
}

/**
 * Who may call each route, checked the same way in every service. With HTTP_AUTH=jwt, a route
 * that is not public needs `Authorization: Bearer <token>`: HS256 only (`alg: none` or any other
 * algorithm is refused), signed with the stack's key, not expired, from the stack's issuer to its
 * audience → else 401 SHOP_ERR_UNAUTHENTICATED; an instructor route with a customer's token → 403
 * SHOP_ERR_FORBIDDEN. Registered before any route: its onRoute hook gives every route its check
 * and declares the 401/403 in the route's response schema (so the OpenAPI documents show them).
 * With HTTP_AUTH=none nothing is checked (the rollout switch) and `customerScope` is always empty.
 */
export default fp<AuthOptions>(async (fastify, opts) => {
  const { config } = opts
  const policy = opts.policy ?? {}
  const enabled = config.HTTP_AUTH === 'jwt'
  fastify.decorate('routeAccess', new Map())
  fastify.decorateRequest('caller', undefined)
  if (enabled) {
    await fastify.register(fastifyJwt, {
      secret: config.HTTP_JWT_SECRET,
      // Pinned: a token whose header names another algorithm (none, RS256 with our key as a "public key"...) is invalid.
      verify: { algorithms: [JWT_ALGORITHM], allowedIss: config.HTTP_JWT_ISSUER, allowedAud: config.HTTP_JWT_AUDIENCE, requiredClaims: ['sub', 'role', 'exp'] }
    })
  }

  async function verify (request: FastifyRequest, access: Access): Promise<void> {
    let claims: TokenClaims
    try {
      claims = await request.jwtVerify<TokenClaims>()
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      throw unauthenticated(WHY[code] ?? 'the token is invalid')
    }
    if (claims.role !== 'customer' && claims.role !== 'instructor') throw unauthenticated('the token has no known role')
    if (typeof claims.sub !== 'string' || claims.sub === '') throw unauthenticated('the token has no subject')
    request.caller = claims
    if (access === 'instructor' && claims.role !== 'instructor') throw forbidden(`${request.method} ${request.routeOptions.url ?? request.url} is for the instructor only`)
  }

  fastify.addHook('onRoute', (route: RouteOptions) => {
    const own = (route.config as { access?: Access } | undefined)?.access
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const found = accessOf(policy, methods[0]!, route.url, own)
    for (const m of methods) fastify.routeAccess.set(`${m} ${route.url}`, found)
    if (found.access === 'public') return
    // Declared on the route itself, so its OpenAPI entry lists them (the descriptions come from HTTP_ERROR_CODES).
    if (route.schema?.hide !== true) {
      const response = { ...(route.schema?.response as Record<string, unknown> | undefined) }
      response[401] ??= ErrorBody
      if (found.access === 'instructor') response[403] ??= ErrorBody
      route.schema = { ...route.schema, response }
    }
    if (!enabled) return
    const check = async (request: FastifyRequest): Promise<void> => { await verify(request, found.access) }
    // First of the route's onRequest hooks: nothing runs for a caller who may not.
    route.onRequest = [check, ...(route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest])]
  })
}, { name: 'vitrine-auth' })
