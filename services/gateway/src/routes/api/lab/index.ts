import type { FastifyPluginAsync } from 'fastify'
import type { GatewayConfigType } from '../../../config.ts'
import schemas from './schemas.ts'
import grupos from './grupos.ts'
import particoes from './particoes.ts'
import replicacao from './replicacao.ts'
import compactacao from './compactacao.ts'
import produtor from './produtor.ts'

/**
 * The concept labs (/api/lab/<lab>/*): each lab works on the real cluster, on its own `lab.*`
 * topics and groups, and answers with what the broker or the registry said.
 */
const lab: FastifyPluginAsync<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  await fastify.register(schemas, { prefix: '/schemas', config })
  await fastify.register(grupos, { prefix: '/grupos', config })
  await fastify.register(particoes, { prefix: '/particoes', config })
  await fastify.register(replicacao, { prefix: '/replicacao', config })
  await fastify.register(compactacao, { prefix: '/compactacao', config })
  await fastify.register(produtor, { prefix: '/produtor', config })
}

export default lab
