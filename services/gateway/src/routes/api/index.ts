import type { FastifyPluginAsync } from 'fastify'
import type { GatewayConfigType } from '../../config.ts'
import acls from './acls.ts'
import admin from './admin.ts'
import catalog from './catalog.ts'
import chaos from './chaos.ts'
import compare from './compare.ts'
import docs from './docs.ts'
import dlq from './dlq.ts'
import exercises from './exercises.ts'
import groups from './groups.ts'
import instances from './instances.ts'
import lab from './lab/index.ts'
import live from './live.ts'
import logs from './logs.ts'
import metrics from './metrics.ts'
import registry from './registry.ts'
import replay from './replay.ts'
import shop from './shop.ts'
import topics from './topics.ts'

/** Everything under /api. */
const api: FastifyPluginAsync<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  await fastify.register(catalog)
  await fastify.register(live)
  await fastify.register(replay)
  await fastify.register(logs, { config })
  await fastify.register(metrics, { config })
  await fastify.register(topics)
  await fastify.register(groups)
  await fastify.register(acls)
  await fastify.register(registry)
  await fastify.register(dlq, { config })
  await fastify.register(shop, { config })
  await fastify.register(compare)
  await fastify.register(docs, { config })
  await fastify.register(exercises, { config })
  await fastify.register(chaos, { config })
  await fastify.register(admin, { config })
  await fastify.register(instances, { config })
  await fastify.register(lab, { prefix: '/lab', config })
}

export default api
