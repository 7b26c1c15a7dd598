import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import { serviceConfig } from '@vitrine/service-kit'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

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
  FLINK_SQL_GATEWAY_URL: Type.String({ default: 'http://127.0.0.1:8183', pattern: '^https?://', description: 'Flink\'s SQL Gateway, where the SQL page\'s read-only statements run (POST /api/streams/sql)' }),
  STREAMS_SQL_MAX_ROWS: Type.Integer({ default: 200, minimum: 1, maximum: 10_000, description: 'most rows a SQL page statement returns (a streaming SELECT is cancelled there)' }),
  STREAMS_SQL_TIMEOUT_MS: Type.Integer({ default: 15_000, minimum: 1000, maximum: 120_000, description: 'longest a SQL page statement runs (a streaming SELECT never ends: it is cancelled then, with the rows read so far)' }),
  CDC_CUSTOMERS_TOPIC: Type.String({ default: 'customers.cdc', minLength: 1, description: 'the Debezium topic of checkout-api\'s customers (without TOPIC_PREFIX), read by the SQL page\'s customers table' }),
  CDC_PRODUCTS_TOPIC: Type.String({ default: 'products.cdc', minLength: 1, description: 'the Debezium topic of inventory\'s products (without TOPIC_PREFIX)' }),
  KPI_PUSH_MS: Type.Integer({ default: 250, minimum: 10, maximum: 10_000, description: 'the KPI panel\'s state is pushed (socket.io `kpis`) at most this often' }),
  SALES_COUNTER_URL: Type.String({ default: 'http://localhost:3006', pattern: '^https?://', description: 'the sales-counter, whose totals, mode, crash point, zombie drill and two-readers view the Exactly-once page reads through /api/sales-counter' }),
  PAYMENT_URL: Type.String({ default: 'http://localhost:3002', pattern: '^https?://', description: 'where the comparison reads the payment\'s part of the saga state' }),
  COMPARE_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1000, maximum: 600_000, description: 'most a comparison (both sagas) waits for every record it expects' }),
  COMPARE_MAX_RUNNING: Type.Integer({ default: 1, minimum: 1, maximum: 20, description: 'comparisons running at once; one more is a 409 (each one places two orders and reads every saga topic)' }),
  SOCKET_MAX_CONNECTIONS: Type.Integer({ default: 300, minimum: 1, maximum: 100_000, description: 'browsers connected at once to the live feed; one more is refused' }),
  SOCKET_MAX_BUFFER_BYTES: Type.Integer({ default: 16 * 1024, minimum: 1024, maximum: 10 * 1024 * 1024, description: 'largest message a browser may send (socket.io maxHttpBufferSize; browsers only listen)' }),
  SOCKET_MAX_MESSAGES_PER_SECOND: Type.Integer({ default: 20, minimum: 1, maximum: 10_000, description: 'messages one connection may send per second; more and it is disconnected' }),
  LOG_DIR: Type.String({ default: '.vitrine/logs', minLength: 1, description: 'the folder of the services\' log files (<name>.log, pino JSON lines) that GET /api/orders/:orderId/logs reads; a relative path is from the repository\'s root' }),
  LOG_TAIL_BYTES: Type.Integer({ default: 20 * 1024 * 1024, minimum: 1024, maximum: 1024 * 1024 * 1024, description: 'only this much of the end of each log file is read for an order\'s lines' }),
  HTTP_INSTRUCTOR_CODE: Type.String({ default: '', description: 'the instructor\'s sign-in code for POST /api/auth/token (the stack generates it into <state>/secrets/http-auth.json and make demo prints it); empty: no instructor sign-in' }),
  LOG_MAX_LINES: Type.Integer({ default: 500, minimum: 1, maximum: 10_000, description: 'most lines an order\'s log answer holds (the most recent)' })
})

export type GatewayConfigType = Static<typeof GatewayConfig>

/** LOG_DIR as an absolute path: a relative one is from the repository's root, where the supervisor's state folder is by default. */
export function logDir (config: Pick<GatewayConfigType, 'LOG_DIR'>): string {
  return isAbsolute(config.LOG_DIR) ? config.LOG_DIR : resolve(ROOT, config.LOG_DIR)
}
