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
