import fp from 'fastify-plugin'
import { EventProducer } from '../kafka/producer.ts'
import { KafkaAuthenticationError, rdkafkaSecurity } from '../kafka/security.ts'

declare module 'fastify' {
  interface FastifyInstance {
    producer: EventProducer
  }
}

/** A refused record is logged at most this often per topic and error (a broker outage fails thousands). */
const REFUSAL_LOG_EVERY_MS = 10_000

export default fp<{ service: string }>(async (fastify, opts) => {
  const kit = fastify.metrics.kit
  const logged = new Map<string, number>()
  const producer = new EventProducer(fastify.config.KAFKA_BROKERS, opts.service, fastify.log, fastify.config.PRODUCER_LINGER_MS, {
    messageTimeoutMs: fastify.config.PRODUCER_MESSAGE_TIMEOUT_MS,
    onFatal: () => kit.producerFatal.inc(),
    onRecreated: () => kit.producerRecreated.inc(),
    onDeliveryError: (topic, code) => {
      kit.produceErrors.inc({ topic, code })
      const key = `${topic}\u0000${code}`
      if (Date.now() - (logged.get(key) ?? 0) < REFUSAL_LOG_EVERY_MS) return
      logged.set(key, Date.now())
      // Names the principal: a TOPIC_AUTHORIZATION_FAILED is an ACL this principal lacks (runbooks/07-seguranca.md).
      fastify.log.warn({ topic, code, principal: fastify.config.KAFKA_SASL_USERNAME === '' ? null : fastify.config.KAFKA_SASL_USERNAME }, `kafka refused a record for ${topic}: ${code}`)
    },
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
