import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Static } from 'typebox'
import avro from 'avsc'
import { TOPICS, registryLogin, subjectOf, wireSchemaId } from '@vitrine/contracts'
import { EventProducer, ShopError, invalidInput } from '@vitrine/service-kit'
import type { Logger } from '@vitrine/service-kit'
import type { GatewayConfigType } from '../../../config.ts'
import { LAB_SUBJECT_PATTERN, LabRegistry, labSubject, labTopic, parseAvro, readVerdict, resolveRecord, sampleOf, validateValue } from '../../../lib/lab-schemas.ts'
import type { Level } from '../../../lib/lab-schemas.ts'
import { ErrorBody } from '../../../schemas/common.ts'
import { CheckResult, CompatibilityBody, CreateBody, LabSubjectParams, ProduceBody, ProduceResult, RegisterResult, SchemaBody, SubjectDetail, SubjectsResult } from '../../../schemas/lab-schemas.ts'

/**
 * Evolução de schema: a lab subject seeded from one of the shop's schemas, its compatibility rule,
 * the registry's verdict on a proposed version, registration, and a record written with one version
 * and read back from the topic by a consumer on another.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const browser = fastify.registryBrowser
  // Made on first use: a gateway registers these routes before anyone asks the registry anything.
  let labRegistry: LabRegistry | undefined
  const registry = (): LabRegistry => (labRegistry ??= new LabRegistry(config.SCHEMA_REGISTRY_URL, registryLogin(config)))
  const LAB_SUBJECT = new RegExp(LAB_SUBJECT_PATTERN)
  const sources = new Set(TOPICS.filter(t => t.schema !== null).map(t => subjectOf(config.TOPIC_PREFIX + t.name)))

  // One producer for the lab's records, connected on first use (most gateways never run the lab).
  let producer: Promise<EventProducer> | undefined
  const producing = async (): Promise<EventProducer> => {
    producer ??= (async () => {
      const p = new EventProducer(config.KAFKA_BROKERS, `${config.GATEWAY_GROUP}-lab-schemas`, fastify.log as unknown as Logger)
      await p.connect()
      return p
    })()
    producer.catch(() => { producer = undefined })
    return await producer
  }
  fastify.addHook('onClose', async () => {
    const p = await producer?.catch(() => undefined)
    await p?.close()
  })

  const ensureTopic = async (topic: string): Promise<void> => {
    if (await fastify.kafkaConsole.exists(topic)) return
    await fastify.kafkaConsole.createTopic({ name: topic, partitions: 1 }).catch((err: unknown) => {
      if ((err as ShopError).code !== 'SHOP_ERR_TOPIC_EXISTS') throw err
    })
  }

  const detail = async (subject: string): Promise<Static<typeof SubjectDetail>> => {
    const numbers = await browser.versions(subject)
    const [compatibility, versions] = await Promise.all([
      registry().compatibility(subject),
      Promise.all(numbers.map(async n => await browser.version(subject, n)))
    ])
    return {
      subject,
      topic: labTopic(subject),
      compatibility,
      versions: versions.map(v => ({ version: v.version, id: v.id, schema: v.schema, sample: sampleOf(avro.Type.forSchema(v.schema as avro.Schema)) }))
    }
  }

  fastify.get('/subjects', {
    schema: { response: { 200: SubjectsResult, 502: ErrorBody } }
  }, async () => {
    const lab = (await browser.subjects()).filter(s => LAB_SUBJECT.test(s))
    const [src, mine] = await Promise.all([browser.subjectsWithVersions([...sources].sort()), browser.subjectsWithVersions(lab)])
    return { sources: src, lab: mine }
  })

  fastify.post('/subjects', {
    schema: { body: CreateBody, response: { 201: SubjectDetail, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody } }
  }, async (request, reply) => {
    const { from, name } = request.body
    if (!sources.has(from)) throw invalidInput([{ field: 'body.from', rule: 'catalog', message: `must be one of the shop's subjects: ${[...sources].sort().join(', ')}` }])
    const original = await browser.version(from, 'latest')
    const subject = labSubject(name)
    if (await browser.versions(subject).catch(() => null)) throw new ShopError('SHOP_ERR_SUBJECT_EXISTS', `subject ${subject} already exists`, 409, { subject })
    // A copy: the shop's subject is only read. The new subject gets the global rule until its own is set.
    const registered = await registry().register(subject, JSON.stringify(original.schema))
    if ('refused' in registered) throw new ShopError('SHOP_ERR_UPSTREAM', `schema registry refused the copy of ${from}: ${JSON.stringify(registered.refused.body)}`, 502)
    await registry().setCompatibility(subject, request.body.compatibility ?? 'BACKWARD')
    await ensureTopic(labTopic(subject))
    request.log.info({ subject, from, version: original.version }, 'lab subject created from a shop subject')
    return await reply.code(201).send(await detail(subject))
  })

  fastify.get('/subjects/:subject', {
    schema: { params: LabSubjectParams, response: { 200: SubjectDetail, 400: ErrorBody, 404: ErrorBody, 502: ErrorBody } }
  }, async (request) => await detail(request.params.subject))

  fastify.delete('/subjects/:subject', {
    schema: { params: LabSubjectParams, response: { 204: Type.Null(), 400: ErrorBody, 404: ErrorBody, 502: ErrorBody } }
  }, async (request, reply) => {
    const { subject } = request.params
    if (!(await registry().deleteSubject(subject))) throw new ShopError('SHOP_ERR_SUBJECT_NOT_FOUND', `subject ${subject} does not exist`, 404, { subject })
    const topic = labTopic(subject)
    if (await fastify.kafkaConsole.exists(topic)) await fastify.kafkaConsole.deleteTopic(topic)
    return await reply.code(204).send(null)
  })

  fastify.put('/subjects/:subject/compatibility', {
    schema: { params: LabSubjectParams, body: CompatibilityBody, response: { 200: Type.Object({ subject: Type.String(), compatibility: Type.String() }), 400: ErrorBody, 404: ErrorBody, 502: ErrorBody } }
  }, async (request) => {
    const { subject } = request.params
    await browser.versions(subject) // 404 for an unknown subject (Apicurio would store a rule for it)
    await registry().setCompatibility(subject, request.body.compatibility)
    return { subject, compatibility: await registry().compatibility(subject) }
  })

  fastify.post('/subjects/:subject/check', {
    schema: { params: LabSubjectParams, body: SchemaBody, response: { 200: CheckResult, 400: ErrorBody, 404: ErrorBody, 502: ErrorBody } }
  }, async (request) => {
    const { subject } = request.params
    parseAvro(request.body.schema)
    // Apicurio says "compatible" for a subject it does not have: ask only about one that exists.
    const versions = await browser.versions(subject)
    const compatibility: Level = await registry().compatibility(subject)
    const answer = await registry().check(subject, request.body.schema, compatibility)
    const verdict = (answer.body as { is_compatible?: unknown } | null)?.is_compatible
    if (answer.status !== 200 || typeof verdict !== 'boolean') throw new ShopError('SHOP_ERR_UPSTREAM', `schema registry answered ${answer.status} to the compatibility check: ${JSON.stringify(answer.body).slice(0, 300)}`, 502)
    const causes = verdict ? [] : await registry().causes(subject, request.body.schema)
    const latest = versions.at(-1)!
    return { subject, compatibility, latest, compatible: verdict, registry: { path: answer.path, status: answer.status, body: answer.body }, causes, reading: readVerdict(verdict, compatibility, latest, causes) }
  })

  fastify.post('/subjects/:subject/versions', {
    schema: { params: LabSubjectParams, body: SchemaBody, response: { 201: RegisterResult, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody } }
  }, async (request, reply) => {
    const { subject } = request.params
    parseAvro(request.body.schema)
    await browser.versions(subject)
    const r = await registry().register(subject, request.body.schema)
    if ('refused' in r) {
      const message = (r.refused.body as { message?: unknown } | null)?.message
      throw new ShopError('SHOP_ERR_SCHEMA_INCOMPATIBLE', typeof message === 'string' ? message : JSON.stringify(r.refused.body), 409, { subject, registry: r.refused })
    }
    // The Confluent API answers only the id: the version is the newest one holding it (an identical schema adds none).
    const versions = await browser.versions(subject)
    let version = versions.at(-1)!
    for (const n of [...versions].reverse()) {
      if ((await browser.version(subject, n)).id === r.id) {
        version = n
        break
      }
    }
    request.log.info({ subject, version, id: r.id }, 'lab schema version registered')
    return await reply.code(201).send({ subject, version, id: r.id, versions })
  })

  fastify.post('/subjects/:subject/produce', {
    schema: { params: LabSubjectParams, body: ProduceBody, response: { 200: ProduceResult, 400: ErrorBody, 404: ErrorBody, 502: ErrorBody } }
  }, async (request) => {
    const { subject } = request.params
    const versions = await browser.versions(subject)
    const writerVersion = request.body.writerVersion ?? versions.at(-1)!
    if (!versions.includes(writerVersion)) throw invalidInput([{ field: 'body.writerVersion', rule: 'enum', message: `must be one of the subject's versions: ${versions.join(', ')}` }])
    const readerVersion = request.body.readerVersion ?? versions.filter(v => v < writerVersion).at(-1) ?? writerVersion
    if (!versions.includes(readerVersion)) throw invalidInput([{ field: 'body.readerVersion', rule: 'enum', message: `must be one of the subject's versions: ${versions.join(', ')}` }])
    const [w, r] = await Promise.all([browser.version(subject, writerVersion), browser.version(subject, readerVersion)])
    const writerType = avro.Type.forSchema(w.schema as avro.Schema)
    const value = request.body.value ?? sampleOf(writerType)
    validateValue(writerType, value)

    // Confluent wire format, as the shop's producers write it: magic byte, the version's schema id, the Avro body.
    const topic = labTopic(subject)
    await ensureTopic(topic)
    const bytes = await fastify.serde.registry.encode(w.id, value)
    const delivered = await (await producing()).send({ topic, key: 'lab-schemas', value: bytes, headers: {} })

    // Read back from the topic, as a consumer would: the schema comes from the id in the bytes, not from memory.
    const { records } = await fastify.kafkaReader.read([{ topic, partition: delivered.partition, offset: delivered.offset, until: delivered.offset + 1 }], { timeoutMs: 10_000 })
    const stored = records[0]?.value
    if (!stored) throw new ShopError('SHOP_ERR_KAFKA', `record ${topic}/${delivered.partition}@${delivered.offset} could not be read back`, 502, { topic })
    const id = wireSchemaId(stored)
    if (id === null) throw new ShopError('SHOP_ERR_KAFKA', `record ${topic}/${delivered.partition}@${delivered.offset} is not in Confluent wire format`, 502, { topic })
    const writerSchema = await registry().schemaById(id)
    const seen = resolveRecord(stored.subarray(5), writerSchema, r.schema)
    return {
      topic,
      partition: delivered.partition,
      offset: delivered.offset,
      wire: { magic: stored[0]!, schemaId: id, bytes: stored.length, hex: stored.subarray(0, 48).toString('hex') },
      writer: { version: w.version, id, value: seen.writer },
      reader: { version: r.version, id: r.id, value: seen.reader, error: seen.error, defaulted: seen.defaulted, dropped: seen.dropped }
    }
  })
}

export default routes
