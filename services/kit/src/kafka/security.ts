import type { BaseConfigType } from '../config.ts'
import { checkKafkaAuth } from '../config.ts'

// A service's Kafka credentials, from its validated config (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*),
// as librdkafka (node-rdkafka) and @platformatic/kafka spell them. Every Kafka client of a service
// spreads these into its settings; on today's PLAINTEXT cluster they are empty.

type KafkaAuthConfig = Pick<BaseConfigType, 'KAFKA_SECURITY_PROTOCOL' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'>

/** librdkafka properties: security.protocol and sasl.* (nothing on a PLAINTEXT cluster). */
export function rdkafkaSecurity (c: KafkaAuthConfig): Record<string, string> {
  checkKafkaAuth(c)
  if (c.KAFKA_SECURITY_PROTOCOL === 'plaintext') return {}
  return { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': c.KAFKA_SASL_MECHANISM, 'sasl.username': c.KAFKA_SASL_USERNAME, 'sasl.password': c.KAFKA_SASL_PASSWORD }
}

/** @platformatic/kafka's `sasl` option (its Admin: the gateway's console), or undefined on a PLAINTEXT cluster. */
export function platformaticSecurity (c: KafkaAuthConfig): { mechanism: KafkaAuthConfig['KAFKA_SASL_MECHANISM'], username: string, password: string } | undefined {
  checkKafkaAuth(c)
  if (c.KAFKA_SECURITY_PROTOCOL === 'plaintext') return undefined
  return { mechanism: c.KAFKA_SASL_MECHANISM, username: c.KAFKA_SASL_USERNAME, password: c.KAFKA_SASL_PASSWORD }
}

/** librdkafka's security properties for one client: spread into its global config (empty on PLAINTEXT). */
export type KafkaSecurity = Record<string, string>

/**
 * The credentials of a process's own tools (the DLQ replay, exercise checkers, the bench, tests'
 * readers): KAFKA_SECURITY_PROTOCOL and KAFKA_SASL_* from its environment, checked as a service's
 * config is. A service passes its validated config's (rdkafkaSecurity) to its clients instead, so
 * two services in one process (the saga tests) each log in as themselves.
 */
export function envKafkaSecurity (env: Record<string, string | undefined> = process.env): KafkaSecurity {
  const protocol = env.KAFKA_SECURITY_PROTOCOL === undefined || env.KAFKA_SECURITY_PROTOCOL === '' ? 'plaintext' : env.KAFKA_SECURITY_PROTOCOL
  const mechanism = env.KAFKA_SASL_MECHANISM === undefined || env.KAFKA_SASL_MECHANISM === '' ? 'SCRAM-SHA-512' : env.KAFKA_SASL_MECHANISM
  if (protocol !== 'plaintext' && protocol !== 'sasl_plaintext') throw new Error(`KAFKA_SECURITY_PROTOCOL must be plaintext or sasl_plaintext, got "${protocol}"`)
  if (mechanism !== 'SCRAM-SHA-512' && mechanism !== 'SCRAM-SHA-256') throw new Error(`KAFKA_SASL_MECHANISM must be SCRAM-SHA-512 or SCRAM-SHA-256, got "${mechanism}"`)
  return rdkafkaSecurity({ KAFKA_SECURITY_PROTOCOL: protocol, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: env.KAFKA_SASL_USERNAME ?? '', KAFKA_SASL_PASSWORD: env.KAFKA_SASL_PASSWORD ?? '' })
}

/** The principal a client logs in as, for log lines and readiness details ("anonymous" on PLAINTEXT). */
export function kafkaPrincipal (security: KafkaSecurity): string {
  return security['sasl.username'] ?? 'anonymous (PLAINTEXT)'
}

/**
 * librdkafka's log line for a failed SASL login ("SASL authentication error: Authentication failed
 * during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"). The client
 * never reaches its error callback while connect() waits (it only ends, after its timeout, with a
 * "broker transport failure"), so the log is where the reason is read.
 */
export function saslFailure (logLine: string): string | undefined {
  const m = /SASL authentication (error|failure)?:? ?(.*?)( \(after \d+ms.*)?$/i.exec(logLine)
  return m ? `SASL authentication failed: ${m[2]}` : undefined
}

/** A client whose SASL login the broker refused: wrong password, unknown user, wrong mechanism. */
export class KafkaAuthenticationError extends Error {
  code = 'SHOP_ERR_KAFKA_AUTHENTICATION'
  constructor (readonly principal: string, readonly reason: string) {
    super(`kafka authentication failed for principal ${principal}: ${reason}`)
  }
}
