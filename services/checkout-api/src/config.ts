import { Type } from 'typebox'
import type { Static } from 'typebox'
import { serviceConfig } from '@vitrine/service-kit'

export const CheckoutConfig = serviceConfig({
  PORT: Type.Integer({ default: 3001, minimum: 0, maximum: 65535 }),
  SAGA_MODE_DEFAULT: Type.Enum(['choreography', 'orchestration'], { default: 'choreography' }),
  ORDER_DEADLINE_MS: Type.Integer({ default: 30_000, minimum: 100, maximum: 3_600_000, description: 'an unfinished order is cancelled after this long' }),
  DEADLINE_SWEEP_MS: Type.Integer({ default: 1000, minimum: 50, maximum: 60_000 }),
  OUTCOME_GRACE_MS: Type.Integer({ default: 30_000, minimum: 0, maximum: 3_600_000, description: 'an orchestrated order still pending this long after its deadline is flagged for an operator' }),
  DLQ_WATCH_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 600_000, description: 'how often orders.dlq is read to flag orders whose records were dead-lettered' }),
  MAX_ITEMS: Type.Integer({ default: 20, minimum: 1, maximum: 100 }),
  MAX_QUANTITY: Type.Integer({ default: 100, minimum: 1, maximum: 10_000 }),
  TRAFFIC_RATE: Type.Number({ default: 0, minimum: 0, maximum: 500, description: 'orders per second the built-in generator sends at start (0 = off)' }),
  INVENTORY_URL: Type.String({ default: 'http://localhost:3003', pattern: '^https?://' })
})

export type CheckoutConfigType = Static<typeof CheckoutConfig>
