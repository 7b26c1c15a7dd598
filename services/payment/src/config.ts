import { Type } from 'typebox'
import type { Static } from 'typebox'
import { serviceConfig } from '@vitrine/service-kit'

export const PaymentConfig = serviceConfig({
  PORT: Type.Integer({ default: 3002, minimum: 0, maximum: 65535 }),
  PAYMENT_DELAY_MIN_MS: Type.Integer({ default: 1000, minimum: 0, maximum: 600_000, description: 'the simulated card network answers after a random delay in [min, max]' }),
  PAYMENT_DELAY_MAX_MS: Type.Integer({ default: 3000, minimum: 0, maximum: 600_000 }),
  PAYMENT_FAILURE_RATE: Type.Number({ default: 0.2, minimum: 0, maximum: 1, description: 'share of charges declined at random' }),
  PAYMENT_SLOW_MS: Type.Integer({ default: 45_000, minimum: 0, maximum: 3_600_000, description: 'delay for customers whose id contains "slow-payment"' }),
  DECISION_POLL_MS: Type.Integer({ default: 100, minimum: 10, maximum: 10_000 })
})

export type PaymentConfigType = Static<typeof PaymentConfig>
