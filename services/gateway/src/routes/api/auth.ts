import { timingSafeEqual, createHash } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ShopError, TOKEN_TTL_SECONDS, signToken, unauthenticated } from '@vitrine/service-kit'
import { ErrorBody } from '../../schemas/common.ts'
import { AuthStatus, TokenAnswer, TokenRequest } from '../../schemas/auth.ts'
import type { GatewayConfigType } from '../../config.ts'

// Equal-length digests, so the comparison takes the same time whatever the guess.
const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** The local dev issuer (no external identity provider): the UI's sign-in panel calls it. */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  fastify.get('/auth', { schema: { response: { 200: AuthStatus } } }, async () => ({ mode: config.HTTP_AUTH, instructorSignIn: config.HTTP_INSTRUCTOR_CODE !== '' }))

  fastify.post('/auth/token', { schema: { body: TokenRequest, response: { 200: TokenAnswer, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody } } }, async (request) => {
    if (config.HTTP_JWT_SECRET === '') throw new ShopError('SHOP_ERR_AUTH_UNAVAILABLE', 'this gateway has no HTTP_JWT_SECRET: it cannot sign tokens', 503)
    const body = request.body
    if (body.role === 'instructor') {
      if (config.HTTP_INSTRUCTOR_CODE === '' || !timingSafeEqual(digest(body.code), digest(config.HTTP_INSTRUCTOR_CODE))) {
        request.log.warn('instructor sign-in refused: wrong code')
        throw unauthenticated('the instructor code is wrong')
      }
    }
    const claims = body.role === 'instructor' ? { sub: 'instructor', role: 'instructor' as const } : { sub: body.customerId, role: 'customer' as const, ...(body.name !== undefined ? { name: body.name } : {}) }
    const now = Date.now()
    request.log.info({ role: claims.role, sub: claims.sub }, 'token issued')
    return { token: signToken(config, claims, { now }), role: claims.role, sub: claims.sub, expiresAt: new Date(now + TOKEN_TTL_SECONDS * 1000).toISOString() }
  })
}

export default routes
