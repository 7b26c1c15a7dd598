import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import type { BaseConfigType } from '../config.ts'
import { ShopError } from '../errors.ts'
import { clientAddress, doorRules, hostAllowed, isLocalClient, isLoopback, originAllowed } from '../doors.ts'

export type DoorsConfig = Pick<BaseConfigType, 'ALLOWED_HOSTS' | 'ALLOWED_ORIGINS' | 'RATE_LIMIT_MAX' | 'RATE_LIMIT_WINDOW_MS' | 'HEALTH_DETAIL'>

export interface DoorsOptions {
  config: DoorsConfig
  /**
   * Costly routes ('POST /api/compare') get this share of RATE_LIMIT_MAX, counted on their own: one knob
   * (RATE_LIMIT_MAX, raised by tests and the bench) moves every limit.
   */
  routeShares?: Record<string, number>
  /** false: Host and Origin only (the control plane, which the tests and the gateway poll often from this machine). */
  rateLimit?: boolean
}

// Never limited: Prometheus scrapes /metrics, the supervisor and the tests poll /health.
const UNLIMITED = /^\/(metrics|health)(\/|$|\?)/

/**
 * Closed doors and limits for every Vitrine HTTP server (issue 16), before any route: an unknown Host
 * (DNS rebinding) gets 421, a foreign browser Origin 403, a client over its rate 429 with Retry-After
 * (the machine's own processes are not limited: the public door is the web app's proxy and the network),
 * all in the one error body; /health's details only for this machine's clients when HEALTH_DETAIL=local.
 * Registered before the routes: the rate limit hooks each route as it is added.
 */
function crossOrigin (origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host !== host
  } catch {
    return false
  }
}

export default fp<DoorsOptions>(async (fastify, opts) => {
  const { config } = opts
  const rules = doorRules(config)

  fastify.addHook('onRequest', async (request, reply) => {
    const { host, origin } = request.headers
    if (!hostAllowed(host, rules)) {
      throw new ShopError('SHOP_ERR_HOST_NOT_ALLOWED', `host ${JSON.stringify(host)} is not one this server answers (ALLOWED_HOSTS)`, 421,
        { errors: [{ field: 'headers.host', rule: 'allowedHosts', message: 'is not localhost, 127.0.0.1, [::1] or a name in ALLOWED_HOSTS' }] })
    }
    if (!originAllowed(origin, host, rules)) {
      throw new ShopError('SHOP_ERR_ORIGIN_NOT_ALLOWED', `origin ${JSON.stringify(origin)} may not call this server (ALLOWED_ORIGINS)`, 403,
        { errors: [{ field: 'headers.origin', rule: 'allowedOrigins', message: 'is neither this page\'s origin nor one in ALLOWED_ORIGINS' }] })
    }
    // An allowed page of another origin (vite's dev server calling the gateway directly) may read the answer.
    if (origin !== undefined && crossOrigin(origin, host)) {
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin')
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
        return await reply.code(204)
          .header('access-control-allow-methods', 'GET, POST, PUT, DELETE, PATCH')
          .header('access-control-allow-headers', request.headers['access-control-request-headers'] ?? 'content-type')
          .header('access-control-max-age', '600')
          .send()
      }
    }
  })

  if (opts.rateLimit !== false) {
    const max = config.RATE_LIMIT_MAX
    const window = `${Math.round(config.RATE_LIMIT_WINDOW_MS / 1000)} s`
    const shares = opts.routeShares ?? {}
    fastify.addHook('onRoute', (route) => {
      if (UNLIMITED.test(route.url)) {
        route.config = { ...route.config, rateLimit: false }
        return
      }
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      const share = methods.map(m => shares[`${m} ${route.url}`]).find(s => s !== undefined)
      if (share !== undefined) route.config = { ...route.config, rateLimit: { max: Math.max(1, Math.floor(max * share)) } }
    })
    await fastify.register(rateLimit, {
      global: true,
      max,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
      keyGenerator: (request: FastifyRequest) => clientAddress(request.socket.remoteAddress, request.headers),
      // A process of this machine (the gateway calling a service, the control plane's drills, Prometheus, curl)
      // is not a client to limit; a browser is, even a local one, through the web app's proxy (X-Forwarded-For).
      allowList: (request: FastifyRequest) => isLoopback(request.socket.remoteAddress) && request.headers['x-forwarded-for'] === undefined,
      errorResponseBuilder: (_request, context) => new ShopError('SHOP_ERR_RATE_LIMITED', `too many requests from this client: at most ${context.max} per ${window}; retry in ${context.after}`, 429,
        { errors: [{ field: 'request', rule: 'rateLimit', message: `more than ${context.max} requests in ${window}` }] })
    })
  }

  if (config.HEALTH_DETAIL === 'local') {
    // What a check says (URLs, hosts, errors) is for the machine's own operator, not for a classroom's network.
    fastify.addHook('preSerialization', async (request, _reply, payload) => {
      if (!request.url.startsWith('/health') || isLocalClient(request.socket.remoteAddress, request.headers)) return payload
      const body = payload as { checks?: Record<string, { status: string }>, faults?: unknown }
      if (body === null || typeof body !== 'object' || body.checks === undefined) return payload
      const { faults: _faults, ...rest } = body
      return { ...rest, checks: Object.fromEntries(Object.entries(body.checks).map(([k, c]) => [k, { status: c.status }])) }
    })
  }
}, { name: 'vitrine-doors' })
