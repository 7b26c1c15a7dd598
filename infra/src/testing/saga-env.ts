import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import Kafka from 'node-rdkafka'
import { TOPICS, registryAuthHeaders } from '@vitrine/contracts'
import { sleep } from '@vitrine/service-kit/time'
import { connect, envKafkaSecurity, errorsPlugin, migrate, serverOptions } from '@vitrine/service-kit'
import type { Db, ServiceConfig, Tx } from '@vitrine/service-kit'
import { loadSettings, bootstrapServers, databaseUrl, registryUrl } from '../settings.ts'
import { createAdmin, effectiveSpec } from '../topics.ts'
import { prefixOnlyAcls } from '../security/acls.ts'
import { applyAcls, revokeAcls } from '../security/apply.ts'
import { adoptAdminLogin, kafkaLoginEnv } from '../security/client-login.ts'
import { TEST_AUTH } from './auth.ts'

// Helpers for broker-backed tests: every test runs on its own prefixed copy of the catalog's
// topics, its own consumer groups and its own database schemas, against the real stack.

export interface TestEnv {
  id: string
  prefix: string
  groupSuffix: string
  schemaSuffix: string
  brokers: string
  registryUrl: string
  databaseUrl: string
}

export function testEnv (): TestEnv {
  const s = loadSettings()
  // On a KAFKA_AUTH=scram stack the test's own clients (topics, readers, producers) log in as the admin, as every tool does.
  adoptAdminLogin(s)
  const id = randomUUID().slice(0, 8)
  return {
    id,
    prefix: `t${id}.`,
    groupSuffix: `-t${id}`,
    schemaSuffix: `_t${id}`,
    brokers: process.env.KAFKA_BROKERS ?? bootstrapServers(s),
    registryUrl: registryUrl(s),
    databaseUrl: databaseUrl(s)
  }
}

/** Environment variables that point a service at the test's topics, groups and schemas. */
export function serviceEnv (env: TestEnv, extra: Record<string, string | number> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: env.brokers,
    SCHEMA_REGISTRY_URL: env.registryUrl,
    DATABASE_URL: env.databaseUrl,
    TOPIC_PREFIX: env.prefix,
    KAFKA_GROUP_SUFFIX: env.groupSuffix,
    DB_SCHEMA_SUFFIX: env.schemaSuffix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Tests place orders with the payment triggers (pay-ok, fail-payment), and at rates a class never reaches.
    TEACHING_MODE: '1',
    RATE_LIMIT_MAX: '1000000',
    // The test process's key, and HTTP_AUTH=jwt only when the run asks for it (testing/auth.ts).
    HTTP_AUTH: TEST_AUTH.HTTP_AUTH,
    HTTP_JWT_SECRET: TEST_AUTH.HTTP_JWT_SECRET,
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)]))
  }
}

/** A service's Kafka login on the stack in the environment (its own principal with KAFKA_AUTH=scram; nothing on PLAINTEXT): for serviceEnv's extra. */
export function serviceKafkaLogin (service: string): Record<string, string> {
  return kafkaLoginEnv(loadSettings(), service)
}

export async function createCatalogTopics (env: TestEnv): Promise<string[]> {
  const admin = createAdmin(env.brokers, 'vitrine-test')
  const brokers = (await admin.metadata({ topics: [] })).brokers.size
  try {
    const names: string[] = []
    for (const t of TOPICS) {
      const want = effectiveSpec(t, brokers)
      await admin.createTopics({ topics: [env.prefix + t.name], partitions: want.partitions, replicas: want.replicationFactor, configs: Object.entries(want.config).map(([name, value]) => ({ name, value })) })
      names.push(env.prefix + t.name)
    }
    // KAFKA_AUTH=scram: each service's principal gets the catalog's ACLs on the test's prefixed copy
    // (acls.ts prefixOnlyAcls); deleteTestTopics revokes them.
    if (loadSettings().kafkaAuth === 'scram') await applyAcls(admin, prefixOnlyAcls(env.prefix))
    return names
  } finally {
    await admin.close()
  }
}

/**
 * Removes the registry subjects of a test's prefixed topics: the catalog's by name (the registry lists
 * at most 1000 subjects, so a busy one may not show them) and any other listed under the prefix.
 * A soft delete, then the permanent one, as Confluent's API asks.
 */
export async function deleteTestSubjects (env: TestEnv): Promise<void> {
  const base = env.registryUrl.replace(/\/$/, '')
  const listed = await fetch(`${base}/subjects`).then(async r => await r.json() as string[]).catch(() => [] as string[])
  const names = new Set([...TOPICS.filter(t => t.schema !== null).map(t => `${env.prefix}${t.name}-value`), ...listed.filter(x => x.startsWith(env.prefix))])
  for (const name of names) {
    const url = `${base}/subjects/${encodeURIComponent(name)}`
    // As the test's login (admin on a KAFKA_AUTH=scram stack: testEnv adopts it).
    const soft = await fetch(url, { method: 'DELETE', headers: registryAuthHeaders() }).catch(() => undefined)
    if (soft?.ok) await fetch(`${url}?permanent=true`, { method: 'DELETE', headers: registryAuthHeaders() }).catch(() => undefined)
  }
}

/**
 * Removes what a test created on the shared stack: its prefixed topics, its consumer groups (named
 * with its group suffix; they would otherwise show on the console's groups page) and its registry subjects.
 * Call it after the test's consumers have closed: a group with members cannot be deleted.
 */
export async function deleteTestTopics (env: TestEnv): Promise<void> {
  const admin = createAdmin(env.brokers, 'vitrine-test')
  try {
    const mine = (await admin.listTopics()).filter(t => t.startsWith(env.prefix))
    if (mine.length > 0) await admin.deleteTopics({ topics: mine })
    if (loadSettings().kafkaAuth === 'scram') await revokeAcls(admin, prefixOnlyAcls(env.prefix))
    // A member that just left may still be counted for a moment: retry briefly before giving up.
    let groups: string[] = []
    for (let attempt = 0; attempt < 10; attempt++) {
      groups = [...(await admin.listGroups()).keys()].filter(g => g.endsWith(env.groupSuffix) || g.includes(`${env.groupSuffix}-`))
      if (groups.length === 0) break
      await admin.deleteGroups({ groups }).catch(() => {})
      await sleep(300)
    }
    if (groups.length > 0) throw new Error(`consumer groups of test ${env.id} could not be deleted: ${groups.join(', ')}`)
  } finally {
    await admin.close()
  }
  await deleteTestSubjects(env)
}

/**
 * Drops the test's own schema of each base name (`<base><schemaSuffix>`), on a connection of its own:
 * for after() hooks that run once the app that used them has closed its pool.
 */
export async function dropTestSchemas (env: TestEnv, bases: string[]): Promise<void> {
  const sql = connect(env.databaseUrl, 'public', 1)
  try {
    for (const base of bases) await sql.unsafe(`drop schema if exists "${base}${env.schemaSuffix}" cascade`)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

export interface RoutesOnSchema { app: FastifyInstance, sql: Db, schema: string, close: () => Promise<void> }

/**
 * A service's routes on the kit's options and error handler and a real PostgreSQL schema of the
 * test's own (`<service>_t…`, migrated from `migrations`), with no broker: for route tests that need
 * real rows. close() drops the schema; so does a set-up that fails half-way.
 */
export async function routesOnTestSchema (env: TestEnv, service: string, routes: FastifyPluginAsync, migrations: URL): Promise<RoutesOnSchema> {
  const schema = `${service}${env.schemaSuffix}`
  const sql = connect(env.databaseUrl, schema, 2)
  let app: FastifyInstance | undefined
  const close = async (): Promise<void> => {
    await app?.close()
    await sql.unsafe(`drop schema if exists "${schema}" cascade`)
    await sql.end({ timeout: 5 })
  }
  try {
    await migrate(sql, schema, fileURLToPath(migrations))
    app = Fastify(serverOptions(service, { LOG_LEVEL: 'silent' } as ServiceConfig))
    await app.register(errorsPlugin)
    // As the service's own plugins decorate them; a route that needs neither ignores them.
    app.decorate('sql', sql)
    app.decorate('tx', async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => await sql.begin(fn) as T)
    await app.register(routes)
    await app.ready()
    return { app, sql, schema, close }
  } catch (err) {
    await close().catch(() => {})
    throw err
  }
}

// Reading what services wrote to Kafka goes through kit's one reader: readTopic follows a topic from
// its first record until a condition holds, readAllNow reads what it holds now.
export type { StoredRecord as ReadRecord } from '@vitrine/service-kit'
export { readTopic, readTopicNow as readAllNow } from '@vitrine/service-kit'

export async function waitFor<T> (what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    await sleep(everyMs)
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
}

/**
 * True once `group` has committed, on every partition of `topic`, the offset just past the last
 * record: it has consumed everything. (A consumer that joins no group can read another group's
 * committed offsets.)
 */
export async function groupCaughtUp (brokers: string, group: string, topic: string): Promise<boolean> {
  const c = new Kafka.KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': group, 'enable.auto.commit': false, ...envKafkaSecurity() }, {})
  await new Promise<void>((resolve, reject) => c.connect({ timeout: 10_000 }, err => (err ? reject(err) : resolve())))
  try {
    const meta = await new Promise<Kafka.Metadata>((resolve, reject) => c.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))))
    const partitions = meta.topics.find(t => t.name === topic)?.partitions.map(p => p.id) ?? []
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) => c.committed(partitions.map(partition => ({ topic, partition })), 5000, (err, tp) => (err ? reject(err) : resolve(tp))))
    for (const p of partitions) {
      const w = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => c.queryWatermarkOffsets(topic, p, 5000, (err, o) => (err ? reject(err) : resolve(o))))
      const at = committed.find(x => x.partition === p)?.offset ?? -1
      if (w.highOffset > 0 && at < w.highOffset) return false
    }
    return true
  } finally {
    await new Promise<void>(resolve => c.disconnect(() => resolve()))
  }
}
