import { createHmac, randomBytes } from 'node:crypto'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { signToken } from '@vitrine/service-kit'
import type { AuthConfig, TokenClaims } from '@vitrine/service-kit'

// The JWT matrix (issue 16) over every route an app registered: the route list comes from the app
// itself (its auth plugin's onRoute record), so a route added later is in the matrix by construction.

/** A JWT config for a test app: HTTP_AUTH=jwt and a fresh key. */
export function jwtTestConfig (): AuthConfig & { HTTP_AUTH: 'jwt' } {
  return { HTTP_AUTH: 'jwt', HTTP_JWT_SECRET: randomBytes(48).toString('base64url'), HTTP_JWT_ISSUER: 'vitrine', HTTP_JWT_AUDIENCE: 'vitrine' }
}

/**
 * This test process's HTTP auth (issue 16's rollout switch): serviceEnv gives every service it starts
 * this key, and HTTP_AUTH from the environment (none by default), so `HTTP_AUTH=jwt` on a test run
 * shows what still calls without a token; the harnesses sign their calls with testInstructorHeaders().
 */
export const TEST_AUTH: AuthConfig = { ...jwtTestConfig(), HTTP_AUTH: process.env.HTTP_AUTH === 'jwt' ? 'jwt' : 'none' }

/** An instructor's Authorization header for TEST_AUTH's key (ignored by services running HTTP_AUTH=none). */
export function testInstructorHeaders (): Record<string, string> {
  return { authorization: `Bearer ${signToken(TEST_AUTH, { sub: 'instructor', role: 'instructor' })}` }
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** Tokens for each row of the matrix: good ones per role, and every kind of bad one. */
export function matrixTokens (config: AuthConfig, customer = 'matrix-customer'): Record<string, string> {
  const claims = { sub: customer, role: 'customer' as const }
  const instructorPayload = { sub: 'instructor', role: 'instructor', iss: config.HTTP_JWT_ISSUER, aud: config.HTTP_JWT_AUDIENCE, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 }
  const withAlg = (alg: string, sign: (unsigned: string) => string): string => {
    const unsigned = `${b64({ alg, typ: 'JWT' })}.${b64(instructorPayload)}`
    return `${unsigned}.${sign(unsigned)}`
  }
  return {
    customer: signToken(config, claims),
    instructor: signToken(config, { sub: 'instructor', role: 'instructor' }),
    expired: signToken(config, { sub: 'instructor', role: 'instructor' }, { now: Date.now() - 3600_000, ttlSeconds: 60 }),
    forged: signToken({ ...config, HTTP_JWT_SECRET: randomBytes(48).toString('base64url') }, { sub: 'instructor', role: 'instructor' }),
    algNone: withAlg('none', () => ''),
    // The same key, another HMAC: the algorithm is pinned to HS256, not just "some HMAC".
    hs512: withAlg('HS512', u => createHmac('sha512', config.HTTP_JWT_SECRET).update(u).digest('base64url')),
    otherIssuer: signToken({ ...config, HTTP_JWT_ISSUER: 'someone-else' }, { sub: 'instructor', role: 'instructor' }),
    otherAudience: signToken({ ...config, HTTP_JWT_AUDIENCE: 'another-app' }, { sub: 'instructor', role: 'instructor' }),
    unknownRole: signToken(config, { sub: 'x', role: 'root' as TokenClaims['role'] })
  }
}

export interface MatrixRow { method: string, url: string, access: string }

/** Every route of the app but HEAD (Fastify's copy of a GET, with the same hooks), with a URL whose params are filled. */
export function matrixRoutes (app: FastifyInstance): MatrixRow[] {
  return [...app.routeAccess.entries()]
    .map(([key, { access }]) => { const [method, url] = key.split(' ') as [string, string]; return { method, url, access } })
    .filter(r => r.method !== 'HEAD')
}

export function concreteUrl (url: string): string {
  return url.replace(/:[A-Za-z_]+/g, 'matrix-1').replace(/\*/g, 'matrix')
}

const BAD = ['expired', 'forged', 'algNone', 'hs512', 'otherIssuer', 'otherAudience', 'unknownRole'] as const

/**
 * Asserts the matrix on every route of `app` (running with HTTP_AUTH=jwt and `config`'s key):
 * every route's access is declared; a closed route answers 401 SHOP_ERR_UNAUTHENTICATED without a
 * token and with each bad token, 403 SHOP_ERR_FORBIDDEN to a customer when it is the instructor's,
 * and lets a customer's token through when it is a customer's; its OpenAPI entry lists the 401 (and 403).
 * Nothing reaches a closed route's handler without a good token, so this is safe on admin routes.
 */
export async function assertJwtMatrix (app: FastifyInstance, config: AuthConfig): Promise<{ checked: number, rows: MatrixRow[] }> {
  const undeclared = [...app.routeAccess.entries()].filter(([, a]) => !a.declared).map(([k]) => k)
  assert.deepEqual(undeclared, [], `routes missing from the service's access table (access.ts): ${undeclared.join(', ')}`)
  const tokens = matrixTokens(config)
  const doc = app.swagger() as { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> }
  const rows = matrixRoutes(app)
  let checked = 0
  for (const r of rows) {
    if (r.access === 'public') continue
    const url = concreteUrl(r.url)
    const call = async (token?: string): Promise<{ status: number, code?: string }> => {
      const res = await app.inject({ method: r.method as 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
      let code: string | undefined
      try { code = (res.json() as { code?: string }).code } catch {}
      return { status: res.statusCode, ...(code !== undefined ? { code } : {}) }
    }
    const what = `${r.method} ${r.url} (${r.access})`
    assert.deepEqual(await call(), { status: 401, code: 'SHOP_ERR_UNAUTHENTICATED' }, `${what} without a token`)
    assert.deepEqual(await call('not-a-jwt'), { status: 401, code: 'SHOP_ERR_UNAUTHENTICATED' }, `${what} with garbage`)
    for (const bad of BAD) assert.deepEqual(await call(tokens[bad]), { status: 401, code: 'SHOP_ERR_UNAUTHENTICATED' }, `${what} with a token ${bad}`)
    const asCustomer = await call(tokens.customer)
    if (r.access === 'instructor') assert.deepEqual(asCustomer, { status: 403, code: 'SHOP_ERR_FORBIDDEN' }, `${what} with a customer's token`)
    else assert.ok(asCustomer.status !== 401 && asCustomer.status !== 403, `${what} lets a customer's token through (got ${asCustomer.status} ${asCustomer.code ?? ''})`)
    // The OpenAPI document declares the refusals (hidden routes are not in it).
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}')
    const op = doc.paths[path]?.[r.method.toLowerCase()]
    if (op !== undefined) {
      assert.ok(op.responses?.['401'] !== undefined, `${what}: its OpenAPI entry lists 401`)
      if (r.access === 'instructor') assert.ok(op.responses?.['403'] !== undefined, `${what}: its OpenAPI entry lists 403`)
    }
    checked++
  }
  return { checked, rows }
}
