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
  ORCHESTRATOR_URL: Type.String({ default: 'http://localhost:3005', pattern: '^https?://' })
})

export type GatewayConfigType = Static<typeof GatewayConfig>
