import { Type } from 'typebox'
import type { Static } from 'typebox'
import { serviceConfig } from '@vitrine/service-kit'

// The gateway's environment, validated once at boot (server.ts) and documented in ../../../.env.example.
export const GatewayConfig = serviceConfig({
  PORT: Type.Integer({ default: 3010, minimum: 0, maximum: 65535 }),
  GATEWAY_GROUP: Type.String({ default: 'gateway', minLength: 1, pattern: '^[A-Za-z0-9._-]+$', description: 'client/group id of the live reader (it assigns partitions itself and never commits)' }),
  HISTORY_SIZE: Type.Integer({ default: 500, minimum: 10, maximum: 20_000, description: 'recent events a browser gets when it connects' }),
  PUSH_INTERVAL_MS: Type.Integer({ default: 40, minimum: 5, maximum: 1000, description: 'longest wait before a batch of events is pushed' }),
  PUSH_MAX_BATCH: Type.Integer({ default: 500, minimum: 1, maximum: 10_000, description: 'a batch this big is pushed at once' }),
  ORDER_INDEX_SIZE: Type.Integer({ default: 5000, minimum: 10, maximum: 200_000, description: 'orders whose events are kept for the order timeline' }),
  TOPIC_MAX_PARTITIONS: Type.Integer({ default: 48, minimum: 1, maximum: 1000, description: 'most partitions the console may give a new topic' }),
  CHECKOUT_API_URL: Type.String({ default: 'http://localhost:3001', pattern: '^https?://' }),
  INVENTORY_URL: Type.String({ default: 'http://localhost:3003', pattern: '^https?://' }),
  ORCHESTRATOR_URL: Type.String({ default: 'http://localhost:3005', pattern: '^https?://' }),
  PROMETHEUS_URL: Type.String({ default: 'http://127.0.0.1:9490', pattern: '^https?://', description: 'Prometheus, whose query API the Métricas page reads through /api/metrics (infra/src/settings.ts picks the port)' }),
  ALERTMANAGER_URL: Type.String({ default: 'http://127.0.0.1:9493', pattern: '^https?://', description: 'Alertmanager, whose active alerts GET /api/alerts?source=alertmanager reads' }),
  CONTROL_URL: Type.String({ default: 'http://127.0.0.1:3099', pattern: '^https?://', description: 'the control plane (infra/src/control), whose exercises and checkers the Exercícios page shows through /api/exercises' }),
  CONTROL_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 500, maximum: 300_000, description: 'longest a call to the control plane (the exercise list, or one checker run) may take' }),
  EXERCISES_POLL_MS: Type.Integer({ default: 3000, minimum: 250, maximum: 600_000, description: 'pause between two readings of the exercises\' statuses while a browser is connected (a change is pushed as `exercises`)' }),
  PROMETHEUS_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 500, maximum: 60_000, description: 'longest a proxied query (or an Alertmanager read) may take' }),
  GROUP_LAG_MAX_GROUPS: Type.Integer({ default: 100, minimum: 1, maximum: 10_000, description: 'most consumer groups vitrine_group_lag_records reads' }),
  GROUP_LAG_INTERVAL_MS: Type.Integer({ default: 2000, minimum: 200, maximum: 60_000, description: 'pause between two readings of every group\'s committed offsets for vitrine_group_lag_records' }),
  NOTIFICATION_URL: Type.String({ default: 'http://localhost:3004', pattern: '^https?://', description: 'where the docs page (/api/docs) reads notification\'s OpenAPI document' }),
  PAYMENT_URL: Type.String({ default: 'http://localhost:3002', pattern: '^https?://', description: 'where the comparison reads the payment\'s part of the saga state' }),
  COMPARE_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1000, maximum: 600_000, description: 'most a comparison (both sagas) waits for every record it expects' })
})

export type GatewayConfigType = Static<typeof GatewayConfig>
