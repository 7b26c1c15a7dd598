import avro from 'avsc'
import { ShopError, invalidInput } from '@vitrine/service-kit'
import type { FieldError } from '@vitrine/service-kit'
import { LAB_PREFIX, registryAuthHeaders } from '@vitrine/contracts'
import type { RegistryLogin } from '@vitrine/contracts'

// The schema-evolution lab: a lab subject (`lab.<name>-value`, on the lab topic `lab.<name>`) is
// seeded with a copy of one of the shop's schemas, then evolved through the registry's own
// compatibility check, config and registration (its Confluent API). The shop's subjects are only read.

/** The compatibility levels the lab offers. NONE is left out: Apicurio (3.0) treats a subject's NONE as "no rule of its own" and applies the global BACKWARD. */
export const LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'] as const
export type Level = typeof LEVELS[number]

export const LAB_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,47}$'
export const LAB_SUBJECT_PATTERN = '^lab\\.[a-z0-9][a-z0-9-]{0,47}-value$'

export const labSubject = (name: string): string => `${LAB_PREFIX}${name}-value`
export const labTopic = (subject: string): string => subject.replace(/-value$/, '')

/** The registry's answer as it came: its HTTP status and its JSON body. */
export interface RegistryAnswer { status: number, body: unknown }

/** One incompatibility Apicurio names (its native API's `causes`): the field and where it is in the schema. */
export interface Cause { description: string, context: string }

/**
 * Parses the proposed schema text as the producers' avsc would. A broken rule is a 400 that names it:
 * `body.schema` with rule `json` or `avro`, or `body.schema.fields.<i>` for the first field avsc refuses.
 */
export function parseAvro (text: string, field = 'body.schema'): { schema: Record<string, unknown>, type: avro.Type } {
  let schema: unknown
  try {
    schema = JSON.parse(text)
  } catch (err) {
    throw invalidInput([{ field, rule: 'json', message: `is not JSON: ${(err as Error).message}` }])
  }
  const s = schema as { type?: unknown, name?: unknown, fields?: unknown }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || s.type !== 'record') {
    throw invalidInput([{ field: `${field}.type`, rule: 'record', message: 'must be "record" (a subject\'s value schema is an Avro record)' }])
  }
  if (typeof s.name !== 'string' || s.name === '') throw invalidInput([{ field: `${field}.name`, rule: 'required', message: 'an Avro record needs a name' }])
  if (!Array.isArray(s.fields)) throw invalidInput([{ field: `${field}.fields`, rule: 'array', message: 'must be an array of fields' }])
  try {
    return { schema: schema as Record<string, unknown>, type: avro.Type.forSchema(schema as avro.Schema) }
  } catch (err) {
    throw invalidInput([locate(schema as { fields: unknown[] }, field, err as Error)])
  }
}

/** The first field whose addition makes the record invalid (types named by earlier fields stay defined), or the record itself. */
function locate (schema: { fields: unknown[] }, field: string, err: Error): FieldError {
  for (let i = 0; i < schema.fields.length; i++) {
    try {
      avro.Type.forSchema({ ...schema, fields: schema.fields.slice(0, i + 1) } as avro.Schema)
    } catch (e) {
      const name = (schema.fields[i] as { name?: unknown } | null)?.name
      return { field: `${field}.fields.${i}`, rule: 'avro', message: `field ${typeof name === 'string' ? name : '#' + i}: ${(e as Error).message}` }
    }
  }
  return { field, rule: 'avro', message: err.message }
}

/** Checks a record value against an Avro type: each wrong field named as `body.value.<path>`. */
export function validateValue (type: avro.Type, value: unknown, field = 'body.value'): void {
  const errors: FieldError[] = []
  type.isValid(value, {
    errorHook: (path, any, t) => {
      errors.push({ field: [field, ...path].join('.'), rule: 'avro', message: `${JSON.stringify(any) ?? 'undefined'} is not a valid ${t.typeName}` })
    }
  })
  if (errors.length > 0) throw invalidInput(errors)
}

/** A value for the record: each field's default where it has one, otherwise a plain example of its type. */
export function sampleOf (type: avro.Type): unknown {
  const t = type as avro.Type & { fields?: Array<{ name: string, type: avro.Type, defaultValue: () => unknown }>, symbols?: string[], itemsType?: avro.Type, valuesType?: avro.Type, types?: avro.Type[], size?: number }
  switch (type.typeName) {
    case 'record': case 'error': {
      const out: Record<string, unknown> = {}
      for (const f of t.fields ?? []) {
        const d = f.defaultValue()
        out[f.name] = d !== undefined ? d : sampleOf(f.type)
      }
      return out
    }
    case 'string': return 'exemplo'
    case 'int': case 'long': return 1
    case 'float': case 'double': return 1.5
    case 'boolean': return true
    case 'null': return null
    case 'bytes': return Buffer.from('exemplo')
    case 'fixed': return Buffer.alloc(t.size ?? 0)
    case 'enum': return t.symbols?.[0]
    case 'array': return [sampleOf(t.itemsType!)]
    case 'map': return { chave: sampleOf(t.valuesType!) }
    case 'union:unwrapped': return sampleOf(t.types![0]!)
    case 'union:wrapped': return { [t.types![0]!.branchName!]: sampleOf(t.types![0]!) }
    default: return null
  }
}

const fieldNames = (schema: unknown): string[] => ((schema as { fields?: Array<{ name: string }> }).fields ?? []).map(f => f.name)

/**
 * How a consumer on `reader` sees a record written with `writer` (Avro schema resolution): the
 * reader's fields the writer lacks take their defaults, the writer's fields the reader lacks are dropped.
 * `error` when the reader cannot read the writer at all (avsc's reason).
 */
export function resolveRecord (payload: Buffer, writerSchema: unknown, readerSchema: unknown): { writer: unknown, reader: unknown, error: string | null, defaulted: string[], dropped: string[] } {
  const writerType = avro.Type.forSchema(writerSchema as avro.Schema)
  const readerType = avro.Type.forSchema(readerSchema as avro.Schema)
  const writer = writerType.fromBuffer(payload)
  const w = fieldNames(writerSchema)
  const r = fieldNames(readerSchema)
  try {
    const resolver = readerType.createResolver(writerType)
    return { writer, reader: readerType.fromBuffer(payload, resolver), error: null, defaulted: r.filter(n => !w.includes(n)), dropped: w.filter(n => !r.includes(n)) }
  } catch (err) {
    return { writer, reader: null, error: (err as Error).message, defaulted: [], dropped: [] }
  }
}

/** What the registry's verdict means, in pt-BR, for the level and the causes it named. */
export function readVerdict (compatible: boolean, level: Level, latest: number, causes: Cause[]): string {
  const transitive = level.endsWith('_TRANSITIVE')
  const against = transitive ? 'todas as versões registradas' : `a versão ${latest} (a última)`
  const base = level.replace('_TRANSITIVE', '')
  const rule = base === 'BACKWARD'
    ? `um consumidor com a versão proposta precisa ler as mensagens escritas com ${against}`
    : base === 'FORWARD'
      ? `um consumidor ainda com ${against} precisa ler as mensagens escritas com a versão proposta`
      : `as duas coisas: a versão proposta lê ${against}, e ${transitive ? 'todas elas leem' : 'ela lê'} a proposta`
  if (compatible) {
    const order = base === 'BACKWARD'
      ? 'Atualize primeiro os consumidores, depois os produtores.'
      : base === 'FORWARD' ? 'Atualize primeiro os produtores; os consumidores podem vir depois.' : 'Produtores e consumidores podem ser atualizados em qualquer ordem.'
    return `Compatível com ${level}: ${rule}, e consegue. ${order}`
  }
  const named = causes.length > 0 ? ` O registry aponta: ${causes.map(c => `${c.description} (${c.context})`).join(', ')}.` : ''
  return `Incompatível com ${level}: ${rule}, e não consegue.${named} Registrar esta versão seria recusado (HTTP 409) e nada mudaria no subject.`
}

/**
 * The lab's writes to the registry (the Confluent API on SCHEMA_REGISTRY_URL): config, compatibility
 * check, registration and deletion of lab subjects, and schemas by id. Reads of versions go through RegistryBrowser.
 */
export class LabRegistry {
  private readonly base: string

  /** `login`: the gateway's principal (KAFKA_AUTH=scram), which the registry lets write the lab's subjects. */
  constructor (url: string, private readonly login: RegistryLogin | null = null, private readonly timeoutMs = 10_000) {
    this.base = url.replace(/\/+$/, '')
  }

  private async call (method: string, path: string, body?: unknown, base = this.base): Promise<RegistryAnswer> {
    let res: Response
    try {
      res = await fetch(base + path, {
        method,
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json', ...registryAuthHeaders(this.login), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {})
      })
    } catch (err) {
      throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `schema registry at ${this.base} is not reachable: ${(err as Error).message}`, 502)
    }
    const text = await res.text()
    let json: unknown = text
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      // Not JSON: kept as text.
    }
    return { status: res.status, body: json }
  }

  private unexpected (what: string, a: RegistryAnswer): ShopError {
    return new ShopError('SHOP_ERR_UPSTREAM', `schema registry answered ${a.status} to ${what}: ${JSON.stringify(a.body).slice(0, 300)}`, 502)
  }

  async compatibility (subject: string): Promise<Level> {
    const a = await this.call('GET', `/config/${encodeURIComponent(subject)}?defaultToGlobal=true`)
    const level = (a.body as { compatibilityLevel?: string } | null)?.compatibilityLevel
    if (a.status === 404) {
      const global = await this.call('GET', '/config')
      return ((global.body as { compatibilityLevel?: Level } | null)?.compatibilityLevel ?? 'BACKWARD')
    }
    if (a.status !== 200 || typeof level !== 'string') throw this.unexpected(`the config of ${subject}`, a)
    return level as Level
  }

  async setCompatibility (subject: string, level: Level): Promise<void> {
    const a = await this.call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level })
    if (a.status !== 200) throw this.unexpected(`setting ${subject}'s compatibility to ${level}`, a)
  }

  /**
   * The Confluent compatibility check, its answer as it came (Apicurio's has no `messages`, even with
   * verbose=true). Against the latest version, or every version under a _TRANSITIVE rule: Apicurio's
   * `versions/latest` ignores transitivity (registration does not), and its `versions` checks all of them even without it.
   */
  async check (subject: string, schema: string, level: Level): Promise<RegistryAnswer & { path: string }> {
    const path = `/compatibility/subjects/${encodeURIComponent(subject)}/versions${level.endsWith('_TRANSITIVE') ? '' : '/latest'}?verbose=true`
    return { ...await this.call('POST', path, { schemaType: 'AVRO', schema }), path }
  }

  /**
   * Which fields break the rule: Apicurio's Confluent API answers only `is_compatible`, but its own API
   * names them in a dry run of the registration (nothing is stored). [] when that API is not there.
   */
  async causes (subject: string, schema: string): Promise<Cause[]> {
    const root = this.base.replace(/\/apis\/ccompat\/v\d+$/, '')
    const a = await this.call('POST', `/apis/registry/v3/groups/default/artifacts/${encodeURIComponent(subject)}/versions?dryRun=true`, { content: { content: schema, contentType: 'application/json' } }, root).catch(() => null)
    const causes = (a?.body as { causes?: unknown } | null)?.causes
    return Array.isArray(causes) ? causes.filter((c): c is Cause => typeof c?.description === 'string').map(c => ({ description: c.description, context: String(c.context ?? '') })) : []
  }

  /** Registers a version: its id, or the registry's refusal as it came. */
  async register (subject: string, schema: string): Promise<{ id: number } | { refused: RegistryAnswer }> {
    const a = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schemaType: 'AVRO', schema })
    if (a.status === 200) return { id: (a.body as { id: number }).id }
    if (a.status === 409 || a.status === 422) return { refused: a }
    throw this.unexpected(`registering a version of ${subject}`, a)
  }

  async schemaById (id: number): Promise<unknown> {
    const a = await this.call('GET', `/schemas/ids/${id}`)
    if (a.status !== 200) throw this.unexpected(`schema id ${id}`, a)
    return JSON.parse((a.body as { schema: string }).schema)
  }

  /** Deletes a subject: the soft delete, then the permanent one, as the Confluent API asks. */
  async deleteSubject (subject: string): Promise<boolean> {
    const path = `/subjects/${encodeURIComponent(subject)}`
    const soft = await this.call('DELETE', path)
    if (soft.status === 404) return false
    if (soft.status !== 200) throw this.unexpected(`deleting ${subject}`, soft)
    await this.call('DELETE', `${path}?permanent=true`)
    return true
  }
}
