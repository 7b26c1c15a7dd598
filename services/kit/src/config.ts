import { Type } from 'typebox'
import type { Static, TObject, TProperties } from 'typebox'
import { Value } from 'typebox/value'
import { withoutPasswords } from './doors.ts'

// Environment variables every service reads. A service extends this with its own and validates once
// at boot; a bad value stops the start with the variable and the rule named. See ../../.env.example.
export const BaseConfig = Type.Object({
  NODE_ENV: Type.Enum(['development', 'test', 'production'], { default: 'development' }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  HOST: Type.String({ default: '127.0.0.1' }),
  KAFKA_BROKERS: Type.String({ default: 'localhost:9092', pattern: '^[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*$', description: 'comma-separated host:port list' }),
  /** Kafka authentication (issue 16): plaintext on today's cluster; sasl_plaintext with a SCRAM user when the stack runs KAFKA_AUTH=scram. */
  KAFKA_SECURITY_PROTOCOL: Type.Enum(['plaintext', 'sasl_plaintext'], { default: 'plaintext' }),
  KAFKA_SASL_MECHANISM: Type.Enum(['SCRAM-SHA-512', 'SCRAM-SHA-256'], { default: 'SCRAM-SHA-512' }),
  /** The service's Kafka principal (its name in the catalog) and its password (from the state folder's secrets, never from git). */
  KAFKA_SASL_USERNAME: Type.String({ default: '' }),
  KAFKA_SASL_PASSWORD: Type.String({ default: '' }),
  /** HTTP authentication (issue 16, plugins/auth.ts): none while the test suites still call the admin surface without a token. */
  HTTP_AUTH: Type.Enum(['jwt', 'none'], { default: 'none' }),
  /** The HS256 key every service verifies tokens with (the stack generates it into <state>/secrets, never in git). */
  HTTP_JWT_SECRET: Type.String({ default: '' }),
  HTTP_JWT_ISSUER: Type.String({ default: 'vitrine', minLength: 1 }),
  HTTP_JWT_AUDIENCE: Type.String({ default: 'vitrine', minLength: 1 }),
  SCHEMA_REGISTRY_URL: Type.String({ default: 'http://localhost:8081', pattern: '^https?://' }),
  DATABASE_URL: Type.String({ default: 'postgres://vitrine:vitrine@localhost:5433/vitrine', pattern: '^postgres(ql)?://' }),
  DB_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 100 }),
  /** Suffix for consumer group ids, so tests and parallel runs never share a group. */
  KAFKA_GROUP_SUFFIX: Type.String({ default: '' }),
  /** Prefix for every topic name, so a test can run a whole saga on its own topics. */
  TOPIC_PREFIX: Type.String({ default: '' }),
  /** Database schema suffix, so a test gets its own tables. */
  DB_SCHEMA_SUFFIX: Type.String({ default: '', pattern: '^[a-z0-9_]*$' }),
  CONSUMER_CONCURRENCY: Type.Integer({ default: 16, minimum: 1, maximum: 256, description: 'partitions processed at once' }),
  RETRY_ATTEMPTS: Type.Integer({ default: 3, minimum: 0, maximum: 10, description: 'in-process retries before a retry topic' }),
  RETRY_BACKOFF_MS: Type.Integer({ default: 100, minimum: 0, maximum: 60_000 }),
  RETRY_TIER_DELAYS_MS: Type.String({ default: '5000,30000,300000', pattern: '^\\d+,\\d+,\\d+$', description: 'delay of each retry topic (orders.retry.5s, .30s, .5m), in ms' }),
  /** A fault drill (exercise 11, the slow service): every consumed record waits this long before its handler. */
  HANDLER_DELAY_MS: Type.Integer({ default: 0, minimum: 0, maximum: 60_000, description: 'fault drill: each record waits this long before its handler (0 = off)' }),
  /** A fault drill (exercise 5, the dead letter): records of these topics fail in their handler, through the retries to the DLQ. */
  HANDLER_FAIL_TOPICS: Type.String({ default: '', pattern: '^[a-z0-9._,-]*$', description: 'fault drill: records of these catalog topics (comma-separated) fail before their handler (empty = off)' }),
  /** A saga hop is latency-sensitive: 1 ms, see .env.example for the measurement. */
  PRODUCER_LINGER_MS: Type.Integer({ default: 1, minimum: 0, maximum: 1000 }),
  /** librdkafka's message.timeout.ms: a send not acknowledged by then rejects, and its caller keeps the record and retries. */
  PRODUCER_MESSAGE_TIMEOUT_MS: Type.Integer({ default: 300_000, minimum: 1000, maximum: 900_000 }),
  /** Closed doors and limits (issue 16, plugins/doors.ts): see .env.example for each one's why. */
  ALLOWED_HOSTS: Type.String({ default: '', pattern: '^[A-Za-z0-9.\\[\\]:,* -]*$', description: 'Host header names answered besides localhost, 127.0.0.1, [::1] and host.docker.internal (comma-separated, no port; * = any)' }),
  ALLOWED_ORIGINS: Type.String({ default: 'http://localhost:3000,http://127.0.0.1:3000', description: 'browser origins that may call besides the page\'s own (comma-separated scheme://host:port; * = any)' }),
  RATE_LIMIT_MAX: Type.Integer({ default: 1200, minimum: 1, maximum: 100_000_000, description: 'requests one client may make in RATE_LIMIT_WINDOW_MS (costly routes get a share of it)' }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000, maximum: 3_600_000 }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1000, maximum: 600_000, description: 'longest a client may take to send a whole request (a slow sender is cut)' }),
  HTTP_CONNECTION_TIMEOUT_MS: Type.Integer({ default: 360_000, minimum: 1000, maximum: 3_600_000, description: 'a connection idle this long is closed (above the longest answer a route waits for)' }),
  /** The payment triggers in customer ids (pay-ok, fail-payment...) work only in class: on in make demo and the tests' stacks. */
  TEACHING_MODE: Type.Boolean({ default: false, description: 'the teacher\'s payment triggers in a customer id are obeyed (1) or taken as an ordinary name (0)' }),
  HEALTH_DETAIL: Type.Enum(['all', 'local'], { default: 'local', description: 'who reads /health\'s details (dependencies, errors): every client, or only this machine\'s' })
})

export type BaseConfigType = Static<typeof BaseConfig>

export class ConfigError extends Error {
  code = 'SHOP_ERR_CONFIG'
}

/** A bad variable's value as a config error shows it: a secret's never, a connection string's without its password. */
export function shownValue (name: string, value: unknown): string {
  if (/PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL/i.test(name)) return '(hidden)'
  return withoutPasswords(JSON.stringify(value) ?? 'undefined')
}

/** Extends the base schema with a service's own variables. */
export function serviceConfig<P extends TProperties> (properties: P) {
  return Type.Object({ ...BaseConfig.properties, ...properties })
}

/**
 * Reads `env` against `schema`: converts strings to numbers and booleans, applies defaults,
 * drops unknown variables, and throws one error listing every variable that breaks a rule.
 */
export function loadConfig<T extends TObject> (schema: T, env: Record<string, string | undefined> = process.env): Static<T> {
  const picked: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    if (env[key] !== undefined && env[key] !== '') picked[key] = env[key]
  }
  const value = Value.Default(schema, Value.Convert(schema, picked))
  const errors = [...Value.Errors(schema, value)]
  if (errors.length > 0) {
    const lines = errors.map(e => {
      const name = e.instancePath.replace(/^\//, '') || (e.params as { requiredProperties?: string[] }).requiredProperties?.join(', ') || '(config)'
      return `${name}: ${e.message} (got ${shownValue(name, picked[name] ?? env[name])})`
    })
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`)
  }
  if ('KAFKA_SECURITY_PROTOCOL' in (value as object)) checkKafkaAuth(value as BaseConfigType)
  if ('HTTP_AUTH' in (value as object)) checkHttpAuth(value as BaseConfigType)
  return value as Static<T>
}

/** Throws naming the variables (never the password's value) when SASL is asked for without a user or a password. */
export function checkKafkaAuth (c: Pick<BaseConfigType, 'KAFKA_SECURITY_PROTOCOL' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'>): void {
  if (c.KAFKA_SECURITY_PROTOCOL !== 'sasl_plaintext') return
  const missing = [c.KAFKA_SASL_USERNAME === '' && 'KAFKA_SASL_USERNAME', c.KAFKA_SASL_PASSWORD === '' && 'KAFKA_SASL_PASSWORD'].filter(Boolean)
  if (missing.length > 0) throw new ConfigError(`invalid configuration:\n  ${missing.join(', ')}: required when KAFKA_SECURITY_PROTOCOL=sasl_plaintext (the service's Kafka principal and its password, from the stack's secrets)`)
}

/** HS256 needs a key at least as long as its hash (32 bytes); named, never printed. */
export function checkHttpAuth (c: Pick<BaseConfigType, 'HTTP_AUTH' | 'HTTP_JWT_SECRET'>): void {
  if (c.HTTP_AUTH !== 'jwt' || c.HTTP_JWT_SECRET.length >= 32) return
  throw new ConfigError(`invalid configuration:\n  HTTP_JWT_SECRET: required (at least 32 characters) when HTTP_AUTH=jwt (the stack's key, from <state>/secrets/http-auth.json; ${c.HTTP_JWT_SECRET === '' ? 'unset' : 'too short'})`)
}
