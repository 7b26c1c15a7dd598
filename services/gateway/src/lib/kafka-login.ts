import type { KafkaSecurity } from '@vitrine/service-kit'
import { platformaticSecurity, rdkafkaSecurity } from '@vitrine/service-kit'
import type { GatewayConfigType } from '../config.ts'

type LoginConfig = Pick<GatewayConfigType, 'KAFKA_SECURITY_PROTOCOL' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'>

export interface GatewayKafkaLogin {
  /** librdkafka (node-rdkafka) settings: spread into a KafkaConsumer/Producer/AdminClient config, or pass as EventProducer's and KafkaReader's `security`. */
  rdkafka: KafkaSecurity
  /** @platformatic/kafka options: spread into an Admin/Producer/Consumer's options (`{ sasl }`, or nothing on PLAINTEXT). */
  platformatic: { sasl?: NonNullable<ReturnType<typeof platformaticSecurity>> }
}

/**
 * The gateway's one Kafka login (KAFKA_AUTH=scram: the `gateway` principal, its password from the
 * stack's secrets; nothing on a PLAINTEXT cluster). Every Kafka client of the gateway, the labs'
 * too, takes its credentials from here.
 */
export function kafkaLogin (config: LoginConfig): GatewayKafkaLogin {
  const sasl = platformaticSecurity(config)
  return { rdkafka: rdkafkaSecurity(config), platformatic: sasl ? { sasl } : {} }
}
