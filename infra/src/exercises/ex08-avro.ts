import { pathToFileURL } from 'node:url'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { subjectOf, wireSchemaId } from '@vitrine/contracts'
import { readTopicNow } from '@vitrine/service-kit'
import type { KafkaSecurity } from '@vitrine/service-kit'
import { EXERCISES_PRINCIPAL } from '../security/acls.ts'
import { principalSecurity } from '../security/client-login.ts'
import { bootstrapServers, loadSettings, registryUrl } from '../settings.ts'
import { produceOne } from './lab.ts'

// Exercise 8's Avro tool: Kafka's console tools write and read text, so the student writes a record
// with a chosen version of the lab subject's schema and reads the topic as a consumer still on
// another version would (the writer's schema comes from the id in each record, then is resolved
// into the reader's). On the demo: `node --import tsx infra/src/exercises/ex08-avro.ts ler 1`.

/** `security`: the Kafka login (the process's own when left out). */
export interface AvroLab { brokers: string, registryUrl: string, topic: string, security?: KafkaSecurity }

/** Writes `value` encoded with `version` of the topic's subject (Confluent wire format); returns the schema id used. */
export async function produceWith (lab: AvroLab, version: number | 'latest', key: string, value: unknown): Promise<{ id: number, offset: number }> {
  const registry = new SchemaRegistry({ host: lab.registryUrl })
  const id = await registry.getRegistryId(subjectOf(lab.topic), version)
  // Avro drops fields its schema lacks without a word; a student writing `email` with v1 must hear it.
  const fields = new Set(((await registry.getSchema(id)) as unknown as { fields?: Array<{ name: string }> }).fields?.map(f => f.name) ?? [])
  const unknown = typeof value === 'object' && value !== null ? Object.keys(value).filter(k => !fields.has(k)) : []
  if (unknown.length > 0) throw new Error(`campo(s) ${unknown.join(', ')} não existe(m) na versão ${String(version)} do schema (id ${id}); os campos dela são ${[...fields].join(', ')}`)
  const encoded = await registry.encode(id, value).catch((err: Error) => { throw new Error(`o registro não cabe na versão ${String(version)} do schema (id ${id}): ${err.message}`) })
  const delivered = await produceOne(lab.brokers, lab.topic, key, encoded, lab.security)
  return { id, offset: delivered.offset }
}

/** Every record of the topic read into `version`'s schema, as a consumer built with that version reads it. */
export async function readAs (lab: AvroLab, version: number | 'latest'): Promise<Array<{ offset: number, writerId: number | null, value: unknown }>> {
  const registry = new SchemaRegistry({ host: lab.registryUrl })
  const readerId = await registry.getRegistryId(subjectOf(lab.topic), version)
  const reader = await registry.getSchema(readerId)
  const out: Array<{ offset: number, writerId: number | null, value: unknown }> = []
  for (const r of await readTopicNow(lab.brokers, lab.topic, 5_000, lab.security)) {
    const writerId = wireSchemaId(r.value)
    const value = writerId === null ? null : await registry.decode(r.value!, { [SchemaType.AVRO]: { readerSchema: reader } })
    out.push({ offset: r.offset, writerId, value })
  }
  return out
}

const USAGE = `uso:
  node --import tsx infra/src/exercises/ex08-avro.ts produzir <versão|latest> '<registro em JSON>'
  node --import tsx infra/src/exercises/ex08-avro.ts ler <versão|latest>
(tópico ex08.clientes; TOPIC_PREFIX, KAFKA_BROKERS e SCHEMA_REGISTRY_URL mudam onde)`

async function main (args: string[]): Promise<number> {
  const [command, v, json] = args
  const version = v === 'latest' ? 'latest' : Number(v)
  if ((command !== 'produzir' && command !== 'ler') || (version !== 'latest' && !(Number.isInteger(version) && version > 0)) || (command === 'produzir' && json === undefined)) {
    console.error(USAGE)
    return 2
  }
  const s = loadSettings()
  // On a KAFKA_AUTH=scram stack the tool writes and reads as the exercises' principal: the ex* topics are its.
  const lab: AvroLab = { brokers: process.env.KAFKA_BROKERS ?? bootstrapServers(s), registryUrl: registryUrl(s), topic: `${process.env.TOPIC_PREFIX ?? ''}ex08.clientes`, security: principalSecurity(s, EXERCISES_PRINCIPAL) }
  if (command === 'produzir') {
    const value = JSON.parse(json!) as { id?: unknown }
    const { id, offset } = await produceWith(lab, version, String(value.id ?? 'sem-id'), value)
    console.log(`gravado em ${lab.topic} no offset ${offset} com o schema id ${id} (versão ${String(version)})`)
  } else {
    for (const r of await readAs(lab, version)) console.log(`offset ${r.offset} (escrito com o schema id ${r.writerId ?? '—'}) → ${JSON.stringify(r.value)}`)
  }
  return 0
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code }, (err: Error) => {
    // The registry's own message says why (an unknown version, a record the schema does not accept).
    console.error(`erro: ${err.message}`)
    process.exitCode = 1
  })
}
