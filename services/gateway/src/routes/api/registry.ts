import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { TOPICS, subjectOf } from '@vitrine/contracts'
import { ErrorBody } from '../../schemas/common.ts'
import { SubjectParams } from '../../schemas/kafka.ts'

/** Schema Registry subjects (one per Avro topic, `<topic>-value`) and their versions. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const mine = new Set(TOPICS.filter(t => t.schema !== null).map(t => subjectOf(fastify.config.TOPIC_PREFIX + t.name)))

  fastify.get('/registry/subjects', {
    schema: {
      querystring: Type.Object({ all: Type.Boolean({ default: false, description: 'every subject, not just this deployment\'s catalog topics' }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ subjects: Type.Array(Type.Object({ subject: Type.String(), catalog: Type.Boolean(), versions: Type.Array(Type.Integer()) })) }), 400: ErrorBody, 502: ErrorBody }
    }
  }, async (request) => {
    const names = request.query.all ? await fastify.registryBrowser.subjects() : [...mine].sort()
    const list = await fastify.registryBrowser.subjectsWithVersions(names)
    return { subjects: list.map(s => ({ ...s, catalog: mine.has(s.subject) })) }
  })

  fastify.get('/registry/subjects/:subject/versions/:version', {
    schema: {
      params: SubjectParams,
      response: { 200: Type.Object({ subject: Type.String(), version: Type.Integer(), id: Type.Integer(), schemaType: Type.String(), schema: Type.Unknown() }), 400: ErrorBody, 404: ErrorBody, 502: ErrorBody }
    }
  }, async (request) => await fastify.registryBrowser.version(request.params.subject, request.params.version))
}

export default routes
