import fp from 'fastify-plugin'
import type { BaseConfigType } from '../config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: BaseConfigType & { PORT: number }
  }
}

/** The configuration validated once at boot (server.ts), exposed as `fastify.config`. */
export default fp<{ config: BaseConfigType & { PORT: number } }>(async (fastify, opts) => {
  fastify.decorate('config', opts.config)
}, { name: 'vitrine-config' })
