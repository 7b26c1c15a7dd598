import fp from 'fastify-plugin'
import { EventProducer } from '../kafka/producer.ts'
import { KafkaAuthenticationError, rdkafkaSecurity } from '../kafka/security.ts'

declare module 'fastify' {
  interface FastifyInstance {
    producer: EventProducer
  }
}

export default fp<{ service: string }>(async (fastify, opts) => {
  const kit = fastify.metrics.kit
  const producer = new EventProducer(fastify.config.KAFKA_BROKERS, opts.service, fastify.log, fastify.config.PRODUCER_LINGER_MS, {
    messageTimeoutMs: fastify.config.PRODUCER_MESSAGE_TIMEOUT_MS,
    onFatal: () => kit.producerFatal.inc(),
    onRecreated: () => kit.producerRecreated.inc(),
    security: rdkafkaSecurity(fastify.config)
  })
  try {
    await producer.connect()
  } catch (err) {
    // A refused login is not retried: the service stays up, unready (/health says who and why, the
    // producer logged it), and produces nothing until its credentials are fixed and it is restarted.
    if (!(err instanceof KafkaAuthenticationError)) throw err
  }
  fastify.decorate('producer', producer)
  fastify.addHook('onClose', async () => { await producer.close() })
}, { name: 'vitrine-producer', dependencies: ['vitrine-config', 'vitrine-metrics'] })
