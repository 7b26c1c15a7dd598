import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { rdkafkaSecurity } from '@vitrine/service-kit'
import type { GatewayConfigType } from '../../../config.ts'
import { LabGroups } from '../../../lib/lab-groups.ts'
import { ErrorBody } from '../../../schemas/common.ts'
import { LabDelayBody, LabGroupParams, LabGroupsStateSchema, LabMemberParams, LabNewGroupBody, LabProducerBody } from '../../../schemas/lab-groups.ts'

/**
 * The consumer groups lab: lab groups of real consumers running in the gateway, started, slowed,
 * frozen and closed from the page. Every answer is the lab's state as the broker describes it.
 * Its members, groups and topic are removed when the gateway closes.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const lab = new LabGroups({
    admin: fastify.kafkaConsole.admin,
    reader: fastify.kafkaReader,
    brokers: config.KAFKA_BROKERS,
    prefix: config.TOPIC_PREFIX,
    security: rdkafkaSecurity(config),
    log: fastify.log
  })
  fastify.addHook('onClose', async () => { await lab.close() })

  const state = { 200: LabGroupsStateSchema, 400: ErrorBody }
  // An unknown group or member (a stale page): 404 naming the parameter in details.field.
  const found = { 200: LabGroupsStateSchema, 400: ErrorBody, 404: ErrorBody }
  const changed = { 201: LabGroupsStateSchema, 400: ErrorBody, 502: ErrorBody }

  fastify.get('/', { schema: { response: state } }, async () => await lab.state())

  fastify.post('/groups', { schema: { body: LabNewGroupBody, response: changed } }, async (request, reply) => {
    const key = await lab.createGroup(request.body.protocol)
    request.log.info({ group: key, protocol: request.body.protocol }, 'lab group created')
    return await reply.code(201).send(await lab.state())
  })

  fastify.delete('/groups/:group', { schema: { params: LabGroupParams, response: found } }, async (request) => {
    await lab.deleteGroup(request.params.group)
    return await lab.state()
  })

  fastify.post('/groups/:group/members', { schema: { params: LabGroupParams, response: { ...changed, 404: ErrorBody } } }, async (request, reply) => {
    const member = await lab.addMember(request.params.group)
    request.log.info({ group: request.params.group, member }, 'lab member started')
    return await reply.code(201).send(await lab.state())
  })

  // Stop cleanly: close() commits, revokes and leaves the group.
  fastify.delete('/groups/:group/members/:member', { schema: { params: LabMemberParams, response: found } }, async (request) => {
    await lab.stopMember(request.params.group, request.params.member)
    return await lab.state()
  })

  // Kill without closing: the member stops polling and never says goodbye.
  fastify.post('/groups/:group/members/:member/freeze', { schema: { params: LabMemberParams, response: found } }, async (request) => {
    lab.freeze(request.params.group, request.params.member)
    return await lab.state()
  })

  fastify.put('/groups/:group/members/:member/delay', { schema: { params: LabMemberParams, body: LabDelayBody, response: found } }, async (request) => {
    lab.setDelay(request.params.group, request.params.member, request.body.ms)
    return await lab.state()
  })

  fastify.put('/producer', { schema: { body: LabProducerBody, response: state } }, async (request) => {
    await lab.setProducer(request.body.running, request.body.ratePerSec)
    return await lab.state()
  })

  // Encerrar laboratório.
  fastify.post('/end', { schema: { response: state } }, async () => {
    await lab.end()
    return await lab.state()
  })
}

export default routes
