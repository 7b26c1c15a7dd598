import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ShopError } from '@vitrine/service-kit'
import { ErrorBody } from '../../schemas/common.ts'
import { InstanceCopy, InstanceCopyList, InstanceParams } from '../../schemas/instances.ts'
import type { InstanceCopyType } from '../../schemas/instances.ts'
import { chaosCall } from '../../lib/chaos.ts'
import { CONTROL_HINT } from '../../lib/control.ts'
import type { GatewayConfigType } from '../../config.ts'

interface ComponentRow { name: string, alive: boolean, ports: Array<{ port: number }>, copyOf?: string }

/**
 * The second copies of the saga services, through the control plane's components: which run, and
 * start/stop one. Starting it adds a member to the service's consumer group (the Kafka page's group
 * view shows the partitions split between the two); stopping it hands them back.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  // Every consumer service names its group after itself, plus this deployment's suffix.
  const copyOf = (row: ComponentRow): InstanceCopyType => ({ service: row.copyOf!, name: row.name, group: row.copyOf! + config.KAFKA_GROUP_SUFFIX, running: row.alive, port: row.ports[0]?.port ?? 0 })

  fastify.get('/instances', { schema: { response: { 200: InstanceCopyList, 502: ErrorBody } } }, async () => {
    const { status, body } = await chaosCall(config.CONTROL_URL, 'GET', '/components', config.CONTROL_TIMEOUT_MS)
    if (status !== 200) throw new ShopError('SHOP_ERR_UPSTREAM', `the control plane answered ${status}`, 502, { service: 'control', hint: CONTROL_HINT })
    const rows = (body as { components: ComponentRow[] }).components
    return { copies: rows.filter(r => r.copyOf !== undefined).map(copyOf) }
  })

  fastify.post('/instances/:service/:action', {
    schema: { params: InstanceParams, response: { 200: InstanceCopy, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody } }
  }, async (request, reply) => {
    const { service, action } = request.params
    // A service's start waits for it to answer (up to 90 s): longer than an ordinary control-plane call.
    const { status, body } = await chaosCall(config.CONTROL_URL, 'POST', `/components/${service}-2/${action}`, Math.max(config.CONTROL_TIMEOUT_MS, 100_000))
    if (status !== 200) return await reply.code(status as 400 | 404 | 409).send(body as never)
    return copyOf({ ...(body as { component: ComponentRow }).component, copyOf: service })
  })
}

export default routes
