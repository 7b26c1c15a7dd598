import { Type } from 'typebox'
import type { Static } from 'typebox'
import { serviceConfig } from '@vitrine/service-kit'

export const OrchestratorConfig = serviceConfig({
  PORT: Type.Integer({ default: 3005, minimum: 0, maximum: 65535 }),
  PAYMENT_STEP_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 3_600_000, description: 'how long the orchestrator waits for the answer to CHARGE before compensating' }),
  INVENTORY_STEP_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 3_600_000, description: 'how long it waits for the answer to RESERVE before compensating' }),
  COMPENSATION_TIMEOUT_MS: Type.Integer({ default: 5_000, minimum: 100, maximum: 3_600_000, description: 'after this long without every compensation confirmed, the order is failed anyway; the saga stays compensating until they are' }),
  STEP_RESEND_MS: Type.Integer({ default: 30_000, minimum: 100, maximum: 3_600_000, description: 'a COMMIT or compensation still unanswered after its deadline is sent again this often' }),
  MAX_STEP_RESENDS: Type.Integer({ default: 3, minimum: 0, maximum: 100, description: 'after this many re-sends the saga is flagged for an operator (attention) instead' }),
  STEP_SWEEP_MS: Type.Integer({ default: 250, minimum: 20, maximum: 60_000, description: 'how often expired steps are looked for' })
})

export type OrchestratorConfigType = Static<typeof OrchestratorConfig>
