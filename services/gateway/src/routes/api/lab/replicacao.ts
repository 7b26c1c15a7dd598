import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { ErrorBody } from '../../../schemas/common.ts'
import { BrokerActionResult, BrokerParams, ElectionResult, LabTopic, LabTopicBody, LabTopicQuery, ProducerBody, ProducerState, ReplicationState } from '../../../schemas/lab-replicacao.ts'
import { ReplicationLab } from '../../../lib/lab-replication.ts'
import { kafkaLogin } from '../../../lib/kafka-login.ts'
import type { GatewayConfigType } from '../../../config.ts'

/**
 * The Replicação lab: the cluster's brokers, quorum and ISR read live (GET /state, polled by the
 * page), the lab topic (RF 3, min.insync.replicas=2), an acks=all writer, a broker stopped or
 * started through the control plane, a preferred-leader election (the control plane sends it, as the
 * Kafka admin). Under one broker GET /state says how to start three, and what needs three answers 409
 * with that hint; the election runs anyway and answers that every partition is on its preferred leader.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const lab = new ReplicationLab({
    admin: fastify.kafkaConsole.admin,
    reader: fastify.kafkaReader,
    brokers: config.KAFKA_BROKERS,
    controlUrl: config.CONTROL_URL,
    controlTimeoutMs: config.CONTROL_TIMEOUT_MS,
    prefix: config.TOPIC_PREFIX,
    login: kafkaLogin(config).platformatic
  })
  fastify.addHook('onClose', async () => { await lab.close() })

  fastify.get('/state', {
    schema: { summary: 'Brokers, quórum KRaft, líderes e ISR de cada partição, e o produtor do laboratório', querystring: LabTopicQuery, response: { 200: ReplicationState, 400: ErrorBody } }
  }, async (request) => await lab.state(request.query.topic))

  fastify.post('/topic', {
    schema: { summary: 'Cria o tópico do laboratório (RF 3, min.insync.replicas=2)', body: LabTopicBody, response: { 200: LabTopic, 400: ErrorBody, 409: ErrorBody } }
  }, async (request) => await lab.createTopic(request.body.topic))

  fastify.delete('/topic', {
    schema: { summary: 'Apaga o tópico do laboratório', querystring: LabTopicQuery, response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody } }
  }, async (request, reply) => {
    await lab.deleteTopic(request.query.topic)
    return await reply.code(204).send(null)
  })

  fastify.put('/producer', {
    schema: { summary: 'Liga ou desliga o produtor acks=all do laboratório', body: ProducerBody, response: { 200: ProducerState, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } }
  }, async (request) => request.body.running ? await lab.startProducer(request.body.topic) : await lab.stopProducer())

  fastify.post('/brokers/:id/:action', {
    schema: { summary: 'Para ou inicia um broker (pelo plano de controle)', params: BrokerParams, response: { 200: BrokerActionResult, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody } }
  }, async (request) => await lab.broker(request.params.id, request.params.action))

  fastify.post('/elect-preferred', {
    schema: { summary: 'Eleição de líder preferido em todas as partições (pelo plano de controle, como admin do Kafka)', response: { 200: ElectionResult, 409: ErrorBody, 502: ErrorBody } }
  }, async () => await lab.electPreferred())
}

export default routes
