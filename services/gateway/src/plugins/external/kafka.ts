import fp from 'fastify-plugin'
import { Admin } from '@platformatic/kafka'
import { KafkaReader } from '@vitrine/service-kit'
import { KafkaConsole } from '../../lib/kafka-console.ts'
import type { GatewayConfigType } from '../../config.ts'
import { kafkaLogin } from '../../lib/kafka-login.ts'

declare module 'fastify' {
  interface FastifyInstance {
    kafkaConsole: KafkaConsole
    /** Reads stored records (the console's message browser): kit's one assign-and-read reader, kept connected. */
    kafkaReader: KafkaReader
  }
}

/** The broker's admin side for the console; closed after the routes stop. */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  const login = kafkaLogin(config)
  const admin = new Admin({ clientId: `${config.GATEWAY_GROUP}-admin`, bootstrapBrokers: config.KAFKA_BROKERS.split(','), timeout: 10_000, retries: 3, ...login.platformatic })
  const reader = new KafkaReader(config.KAFKA_BROKERS, `${config.GATEWAY_GROUP}-browser`, undefined, login.rdkafka)
  const kconsole = new KafkaConsole({ admin, reader, brokers: config.KAFKA_BROKERS, security: login.rdkafka, prefix: config.TOPIC_PREFIX, maxPartitions: config.TOPIC_MAX_PARTITIONS })
  fastify.decorate('kafkaConsole', kconsole)
  fastify.decorate('kafkaReader', reader)
  fastify.addHook('onClose', async () => {
    await reader.close()
    kconsole.close()
    await admin.close()
  })
}, { name: 'gateway-kafka', dependencies: ['vitrine-config'] })
