import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { registryAuthHeaders, registryClientArgs, subjectOf, wireSchemaId } from '@vitrine/contracts'
import { readTopicNow } from '@vitrine/service-kit'
import { produceOne, recreateTopic } from './lab.ts'
import { defineExercise } from './types.ts'
import type { CheckResult, ExerciseContext } from './types.ts'

// Exercise 8: evolve a schema with old consumers still running. The setup registers v1 of a lab
// subject (the registry's compatibility is BACKWARD for every subject) and writes one v1 record;
// the student registers a v2 through the registry's REST API, writes a record with it and reads it
// as a v1 consumer would (ex08-avro.ts), then sees an incompatible change refused (409). The check
// reads the registry and the topic: a later version that v1 data can be read with, fields added
// with defaults, a record written with the latest version. The refusal itself is for discussion.

const TOPIC = 'ex08.clientes'

/** v1 of the lab's customer record: what the "old consumer" keeps reading with. */
export const CLIENTE_V1 = {
  type: 'record',
  name: 'Cliente',
  namespace: 'vitrine.exercicios',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'nome', type: 'string' }
  ]
} as const

export const ex08Topic = (ctx: Pick<ExerciseContext, 'topicPrefix'>): string => ctx.topicPrefix + TOPIC
export const ex08Subject = (ctx: Pick<ExerciseContext, 'topicPrefix'>): string => subjectOf(ex08Topic(ctx))

interface AvroField { name: string, type: unknown, default?: unknown }
interface Version { version: number, id: number, schema: string }

const base = (ctx: ExerciseContext): string => ctx.registryUrl.replace(/\/$/, '')

async function versions (ctx: ExerciseContext, subject: string): Promise<number[] | undefined> {
  const res = await fetch(`${base(ctx)}/subjects/${encodeURIComponent(subject)}/versions`, { signal: AbortSignal.timeout(5_000) })
  if (res.status === 404) return undefined
  if (!res.ok) throw new Error(`registry answered ${res.status} for ${subject}'s versions`)
  return (await res.json() as number[]).sort((a, b) => a - b)
}

async function version (ctx: ExerciseContext, subject: string, v: number | 'latest'): Promise<Version> {
  const res = await fetch(`${base(ctx)}/subjects/${encodeURIComponent(subject)}/versions/${v}`, { signal: AbortSignal.timeout(5_000) })
  if (!res.ok) throw new Error(`registry answered ${res.status} for ${subject} version ${v}`)
  return await res.json() as Version
}

const fieldsOf = (schema: string): AvroField[] => (JSON.parse(schema) as { fields?: AvroField[] }).fields ?? []

/** The new schema reads data written with the old one (BACKWARD), by avsc's own schema resolution. */
async function readsOld (registry: SchemaRegistry, newer: number, older: number): Promise<string | null> {
  const reader = await registry.getSchema(newer) as unknown as { createResolver: (writer: unknown) => unknown }
  const writer = await registry.getSchema(older)
  try {
    reader.createResolver(writer)
    return null
  } catch (err) {
    return (err as Error).message
  }
}

export default defineExercise({
  n: 8,
  slug: '08-evolucao-de-schema',
  title: 'Evoluir um schema com consumidores antigos no ar',
  concepts: ['schema-registry', 'produtores', 'consumidores'],
  setup: async (ctx) => {
    const topic = ex08Topic(ctx)
    const subject = ex08Subject(ctx)
    const admin = ctx.admin()
    try {
      const brokers = (await admin.metadata({ topics: [] })).brokers.size
      await recreateTopic(admin, topic, { partitions: 1, replicas: Math.min(3, brokers) })
    } finally {
      await admin.close().catch(() => {})
    }
    // Every version of an earlier attempt goes (soft delete, then for good), then v1 alone again.
    const url = `${base(ctx)}/subjects/${encodeURIComponent(subject)}`
    // As the exercises' principal (KAFKA_AUTH=scram): the registry lets the writer of an ex* topic change its subjects.
    const soft = await fetch(url, { method: 'DELETE', headers: registryAuthHeaders(ctx.registryLogin) })
    if (soft.ok) await fetch(`${url}?permanent=true`, { method: 'DELETE', headers: registryAuthHeaders(ctx.registryLogin) })
    const registry = new SchemaRegistry(registryClientArgs(ctx.registryUrl, ctx.registryLogin))
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(CLIENTE_V1) }, { subject })
    await produceOne(ctx.brokers, topic, 'cliente-1', await registry.encode(id, { id: 'cliente-1', nome: 'Ana' }), ctx.security)
  },
  check: async (ctx): Promise<CheckResult> => {
    const topic = ex08Topic(ctx)
    const subject = ex08Subject(ctx)
    const missing: string[] = []
    const seen: string[] = []
    const listed = await versions(ctx, subject)
    if (!listed) return { done: false, missing: [`o assunto ${subject} não existe no registry: rode \`make exercicio N=8\` para prepará-lo`], seen }
    seen.push(`assunto ${subject}: versões ${listed.join(', ')}`)
    const first = await version(ctx, subject, listed[0]!)
    const latest = await version(ctx, subject, 'latest')
    if (listed.length < 2) {
      missing.push(`o assunto ${subject} só tem a v1: registre uma v2 compatível (um campo novo com valor padrão) com POST /subjects/${subject}/versions`)
    } else {
      const old = new Set(fieldsOf(first.schema).map(f => f.name))
      const added = fieldsOf(latest.schema).filter(f => !old.has(f.name))
      const noDefault = added.filter(f => !('default' in f))
      const registry = new SchemaRegistry({ host: ctx.registryUrl })
      const refusal = await readsOld(registry, latest.id, first.id)
      seen.push(`v${latest.version} (id ${latest.id}) acrescenta ${added.map(f => `${f.name}${'default' in f ? ` (padrão ${JSON.stringify(f.default)})` : ' (sem padrão)'}`).join(', ') || 'nenhum campo'}`)
      if (refusal !== null) missing.push(`a v${latest.version} não lê dados gravados com a v1 (não é BACKWARD): ${refusal}`)
      if (added.length === 0) missing.push(`a v${latest.version} não acrescenta nenhum campo à v1: a evolução pedida é um campo novo com valor padrão`)
      if (noDefault.length > 0) missing.push(`campo(s) novo(s) sem valor padrão na v${latest.version}: ${noDefault.map(f => f.name).join(', ')}`)
    }

    const records = await readTopicNow(ctx.brokers, topic, 5_000, ctx.security)
    const byId = new Map<number | null, number>()
    for (const r of records) byId.set(wireSchemaId(r.value), (byId.get(wireSchemaId(r.value)) ?? 0) + 1)
    seen.push(`${topic}: ${records.length} registro(s)${[...byId].map(([id, n]) => `, ${n} com o schema ${id ?? 'nenhum (não Avro)'}`).join('')}`)
    if (listed.length >= 2 && !byId.has(latest.id)) missing.push(`nenhum registro em ${topic} foi escrito com a v${latest.version} (schema id ${latest.id}): produza um com ela`)
    return { done: missing.length === 0, missing, seen }
  }
})
