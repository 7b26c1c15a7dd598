import { Type } from 'typebox'
import type { Static } from 'typebox'
import { serviceConfig } from '@vitrine/service-kit'

// The sales-counter's environment, validated once at boot (server.ts); see ../../../.env.example.
export const SalesCounterConfig = serviceConfig({
  PORT: Type.Integer({ default: 3006, minimum: 0, maximum: 65535 }),
  SALES_COUNTER_MODE: Type.Enum(['exactly-once', 'at-least-once'], { default: 'exactly-once', description: 'delivery mode at the first start; afterwards the mode is restored from the last totals record (PUT /counter/mode changes it)' }),
  SALES_COUNTER_INSTANCE: Type.String({ default: 'main', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'stable id of this instance: its transactional.id is sales-counter-<id> with the topic prefix and group suffix, the same after every restart' }),
  SALES_COUNTER_BATCH_MAX: Type.Integer({ default: 2000, minimum: 1, maximum: 10_000, description: 'most orders.confirmed records in one batch (one transaction, or one produce + offset commit); under a class\'s load the commit interval closes batches first' }),
  SALES_COUNTER_COMMIT_MS: Type.Integer({ default: 100, minimum: 5, maximum: 60_000, description: 'commit interval: a batch closes after this long or at SALES_COUNTER_BATCH_MAX records' }),
  SALES_COUNTER_CRASH_POINT: Type.Boolean({ default: false, description: 'arms the crash point at boot: the first batch exits the process after producing and before committing' }),
  SALES_COUNTER_CRASH_FILE: Type.String({ default: '', description: 'written just before the crash point exits, so the supervisor (the control plane) knows to start the counter again (empty = none)' })
})

export type SalesCounterConfigType = Static<typeof SalesCounterConfig>
