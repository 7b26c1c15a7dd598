import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import avro from 'avsc'
import type { EventTopic, TopicValues } from './events.ts'
import { latestSchema, schemaVersions } from './schemas.ts'
import { TOPICS, findTopic } from './topics.ts'
import type { RegistryLogin } from './registry-login.ts'
import { registryAuthHeaders, registryClientArgs, registryLogin } from './registry-login.ts'

export function subjectOf (topic: string): string {
  return `${topic}-value`
}

/** The schema id inside a record in Confluent wire format (magic byte 0, then a 4-byte id), or null. */
export function wireSchemaId (value: Buffer | null | undefined): number | null {
  if (!value || value.length < 5 || value[0] !== 0) return null
  return value.readInt32BE(1)
}

export class SerdeError extends Error {
  code = 'SHOP_ERR_SERDE'
}

/**
 * Avro in the Confluent wire format through the Schema Registry. The latest schema of each
 * topic is registered once (idempotent: the registry returns the existing id for an identical
 * schema) and its id cached; decoding looks writers' schemas up by the id in each record.
 */
export class TopicSerde {
  readonly registry: SchemaRegistry
  private readonly ids = new Map<string, number>()
  private readonly readers = new Map<string, { reader: avro.Type, resolver?: avro.Resolver }>()

  /**
   * `prefix` is put before every topic (and so every subject) name: tests run a saga on their own topics.
   * `login`: a service passes its config's (registryLogin(config)); a tool's default is its environment's.
   */
  constructor (private readonly registryUrl: string, readonly prefix = '', private readonly login: RegistryLogin | null = registryLogin()) {
    this.registry = new SchemaRegistry(registryClientArgs(registryUrl, login))
  }

  async register (topic: string): Promise<number> {
    const cached = this.ids.get(topic)
    if (cached !== undefined) return cached
    const spec = findTopic(topic)
    if (!spec?.schema) throw new SerdeError(`topic "${topic}" has no Avro schema in the catalog`)
    const subject = subjectOf(this.prefix + topic)
    const versions = schemaVersions(spec.schema)
    // A new subject gets the catalog's whole history (orders.new: v1, then v2), so the registry shows
    // real versions and what changed between them. A subject that exists gets only the latest: an
    // older version registered after a newer one would become its latest.
    const history = versions.length > 1 && !(await this.subjectExists(subject)) ? versions.slice(0, -1) : []
    for (const v of history) await this.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v.schema) }, { subject })
    const { id } = await this.registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(versions.at(-1)!.schema) }, { subject })
    this.ids.set(topic, id)
    return id
  }

  private async subjectExists (subject: string): Promise<boolean> {
    const res = await fetch(`${this.registryUrl.replace(/\/$/, '')}/subjects/${encodeURIComponent(subject)}/versions`, { headers: registryAuthHeaders(this.login), signal: AbortSignal.timeout(10_000) })
    if (res.status === 404) return false
    if (!res.ok) throw new SerdeError(`schema registry answered ${res.status} for the versions of ${subject}`)
    return ((await res.json()) as unknown[]).length > 0
  }

  async registerAll (topics: readonly string[] = TOPICS.filter(t => t.schema).map(t => t.name)): Promise<Map<string, number>> {
    for (const t of topics) await this.register(t)
    return new Map(this.ids)
  }

  async encode<T extends EventTopic> (topic: T, value: TopicValues[T]): Promise<Buffer> {
    const id = await this.register(topic)
    return await this.registry.encode(id, value)
  }

  /**
   * Decodes a record. Given its (logical) topic, the value is read into the catalog's latest schema of
   * that topic, so a record an older producer wrote gets the fields added since, with their defaults:
   * what TopicValues promises a consumer. Without one, the value has the writer's shape.
   */
  async decode<T extends EventTopic> (value: Buffer, topic: T): Promise<TopicValues[T]>
  async decode (value: Buffer, topic?: string): Promise<unknown>
  async decode (value: Buffer, topic?: string): Promise<unknown> {
    const id = wireSchemaId(value)
    if (id === null) throw new SerdeError('value is not in Confluent wire format (magic byte 0 + schema id)')
    if (topic === undefined || !findTopic(topic)?.schema) return await this.registry.decode(value)
    const key = `${topic}:${id}`
    let read = this.readers.get(key)
    if (!read) {
      // The registry client caches the writer's schema by id; the resolver is made once per topic and writer.
      const writer = await this.registry.getSchema(id) as avro.Type
      const reader = typeOf(topic)
      read = reader.equals(writer) ? { reader } : { reader, resolver: reader.createResolver(writer) }
      this.readers.set(key, read)
    }
    return read.reader.fromBuffer(value.subarray(5), read.resolver)
  }
}

const types = new Map<string, avro.Type>()

function typeOf (topic: string): avro.Type {
  let t = types.get(topic)
  if (!t) {
    const spec = findTopic(topic)
    if (!spec?.schema) throw new SerdeError(`topic "${topic}" has no Avro schema in the catalog`)
    t = avro.Type.forSchema(latestSchema(spec.schema) as avro.Schema)
    types.set(topic, t)
  }
  return t
}

/** Checks a value against the topic's latest schema; the error names each field that breaks it. */
export function validateEvent (topic: string, value: unknown): void {
  const bad: string[] = []
  typeOf(topic).isValid(value, { errorHook: (path, v, type) => bad.push(`${path.join('.') || '(root)'} must be ${typeof type.schema() === 'string' ? String(type.schema()) : (type.typeName ?? 'valid')}, got ${JSON.stringify(v)}`) })
  if (bad.length > 0) throw new SerdeError(`invalid ${topic} event: ${bad.join('; ')}`)
}
