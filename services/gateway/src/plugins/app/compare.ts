import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import type { Logger } from 'pino'
import { Comparison } from '../../lib/compare.ts'
import { atMostRunning } from '../../lib/running.ts'
import type { GatewayConfigType } from '../../config.ts'
import type { CompareBodyType, CompareResultType } from '../../schemas/compare.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The same order in both saga styles, traced from the topics (POST /api/compare). */
    compare: (body: CompareBodyType, log: FastifyBaseLogger) => Promise<CompareResultType>
  }
}

/** The comparison: a diagnostic of the observer, built on the Kafka console's admin client and the registry's decoder. */
export default fp<{ config: GatewayConfigType }>(async (fastify, { config }) => {
  // Each comparison places two orders and reads every saga topic: COMPARE_MAX_RUNNING at once, one more is a 409 (issue 16).
  fastify.decorate('compare', atMostRunning(config.COMPARE_MAX_RUNNING, 'a comparison', async (body: CompareBodyType, log: FastifyBaseLogger) =>
    await new Comparison({ config, serde: fastify.serde, admin: fastify.kafkaConsole.admin, log: log as Logger }).run(body)))
}, { name: 'gateway-compare', dependencies: ['vitrine-config', 'gateway-kafka', 'gateway-registry'] })
