import { Type } from 'typebox'
import type { Static } from 'typebox'

// The dev issuer's schemas (POST /api/auth/token): a customer signs in by picking its id, the
// instructor with the code the stack generated (make demo prints it). No external identity provider.

export const CustomerId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.@-]+$', description: 'the customer id the orders are placed under (the same rule as POST /orders\' customerId)' })

export const TokenRequest = Type.Union([
  Type.Object({ role: Type.Literal('customer'), customerId: CustomerId, name: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })) }, { additionalProperties: false }),
  Type.Object({ role: Type.Literal('instructor'), code: Type.String({ minLength: 1, maxLength: 200, description: 'the instructor\'s code (<state>/secrets/http-auth.json; printed by make demo)' }) }, { additionalProperties: false })
], { examples: [{ role: 'customer', customerId: 'ana@example.com' }, { role: 'instructor', code: '…' }] })
export type TokenRequestType = Static<typeof TokenRequest>

export const TokenAnswer = Type.Object({
  token: Type.String({ description: 'send it as Authorization: Bearer <token>' }),
  role: Type.Enum(['customer', 'instructor']),
  sub: Type.String(),
  expiresAt: Type.String({ description: 'ISO 8601' })
})

export const AuthStatus = Type.Object({
  mode: Type.Enum(['jwt', 'none'], { description: 'HTTP_AUTH: jwt checks tokens; none leaves every route open (the rollout switch)' }),
  instructorSignIn: Type.Boolean({ description: 'whether an instructor code is configured' })
})
