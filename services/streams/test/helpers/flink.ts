import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { TopicName, TopicSerde } from '@vitrine/contracts'
import { connect, partitionOf, readTopic, readTopicNow } from '@vitrine/service-kit'
import type { Db } from '@vitrine/service-kit'
import { cdcNames, connectReady, connectorState, dropCdcSlot, ensureDatabase, freePort, javaBin, loadSettings, prepareCdcTables, prepareConnect, readPid, registerCdcConnector, removePid, spawnDetached, sqlGatewayUrl, stopGroup, tailLog, up } from '@vitrine/infra'
import type { CdcScope, StackSettings } from '@vitrine/infra'
import { cleanup, freeBrokerBase, isolatedSettings, testAdmin, waitFor } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import { jobRestUrl } from '../../src/submit.ts'
import type { SqlParams } from '../../src/sql.ts'

export interface TestFlink { gatewayUrl: string, restUrls: string[], stateDir: string }

/**
 * A Flink of the test's own (one JVM, its SQL Gateway on a free port; stopped after the test) that
 * reads and writes the shared broker and registry. STREAMS_TEST_FLINK=<gateway url>,<first ui port>
 * points the tests at one already running instead (while writing them).
 */
export async function privateFlink (t: TestContext): Promise<TestFlink> {
  const given = process.env.STREAMS_TEST_FLINK
  if (given) {
    const [gatewayUrl, ui] = given.split(',')
    return { gatewayUrl: gatewayUrl!, restUrls: uiUrls(Number(ui)), stateDir: process.env.STREAMS_TEST_FLINK_STATE ?? '' }
  }
  const s = isolatedSettings(t, await freeBrokerBase())
  await up(s, { only: ['flink'], catalog: false })
  return { gatewayUrl: sqlGatewayUrl(s), restUrls: uiUrls(s.flinkUiPort), stateDir: s.stateDir }
}

const uiUrls = (first: number): string[] => Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${first + i}`)

/**
 * A test's jobs checkpoint every 2 s instead of 10: a result shows up (its Kafka transaction commits)
 * at the next checkpoint, so each wait for an output is shorter.
 */
export const TEST_JOB_CONFIG = { 'execution.checkpointing.interval': '2s' }

/** The SQL's parameters for a test's own topics and groups, on the shared broker and registry. */
export function sqlParams (env: TestEnv): SqlParams {
  return {
    TOPIC_PREFIX: env.prefix,
    KAFKA_BROKERS: env.brokers,
    SCHEMA_REGISTRY_URL: env.registryUrl,
    GROUP_SUFFIX: env.groupSuffix,
    CDC_CUSTOMERS_TOPIC: `${env.prefix}customers.cdc`,
    CDC_PRODUCTS_TOPIC: `${env.prefix}products.cdc`,
    CDC_SCHEMA_INCLUDE: 'false'
  }
}

/** A random order id that lands on `partition` of a topic with `partitions` partitions (the producer's key hash). */
export function orderIdOn (partition: number, partitions = 3): string {
  let id = randomUUID()
  while (partitionOf(id, partitions) !== partition) id = randomUUID()
  return id
}

/**
 * How many records a job's source table has handed on so far: the write-records of the job vertex
 * whose name starts with `Source: <table>[` (Flink's REST, refreshed every metrics.fetcher.update-interval).
 */
export async function sourceRecordsOut (restUrls: readonly string[], jobId: string, table: string): Promise<number> {
  const url = await jobRestUrl(restUrls, jobId)
  if (!url) return 0
  const res = await fetch(`${url}/jobs/${jobId}`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined)
  if (!res?.ok) return 0
  const body = await res.json() as { vertices?: Array<{ name: string, metrics?: { 'write-records'?: number } }> }
  const vertex = body.vertices?.find(v => v.name.startsWith(`Source: ${table}[`))
  return vertex?.metrics?.['write-records'] ?? 0
}

/** Waits until the job's source `table` has handed on at least `count` records (it has read them from Kafka). */
export async function waitSourceRead (restUrls: readonly string[], jobId: string, table: string, count: number, timeoutMs = 60_000): Promise<number> {
  return await waitFor(`the job's source ${table} to read ${count} record(s)`, async () => {
    const n = await sourceRecordsOut(restUrls, jobId, table)
    return n >= count && n
  }, timeoutMs, 500)
}

/** The newest value of each key of an upsert (compacted) output topic, decoded with its contracts schema. */
export async function newestByKey<T> (env: TestEnv, serde: TopicSerde, topic: TopicName): Promise<Map<string, T>> {
  const newest = new Map<string, T>()
  for (const r of await readTopicNow(env.brokers, env.prefix + topic, 10_000)) {
    if (r.key === null) continue
    if (r.value === null) newest.delete(r.key)
    else newest.set(r.key, await serde.decode(r.value, topic) as T)
  }
  return newest
}

export interface TestConnect {
  settings: StackSettings
  scope: CdcScope
  /** The test's own copy of checkout-api's customers table ("checkout<suffix>".customers). */
  customersTable: string
  sql: Db
}

/**
 * A Kafka Connect worker of the test's own (its REST port, group and internal topics under the test's
 * prefix) on the shared Kafka and PostgreSQL, with the Debezium connector on the test's own copies of
 * the customers and products tables and its own replication slot. `seed` runs on those tables before
 * the connector starts, so its rows arrive as the snapshot. Everything is removed when the test ends.
 */
export async function privateConnect (t: TestContext, env: TestEnv, seed: (sql: Db, customersTable: string) => Promise<void>): Promise<TestConnect> {
  const scope = { prefix: env.prefix, schemaSuffix: env.schemaSuffix }
  const stateDir = mkdtempSync(join(tmpdir(), 'streams-connect-'))
  const s = loadSettings({ stateDir, connectPort: await freePort() })
  const sql = connect(env.databaseUrl, 'public', 2)
  const admin = testAdmin(t)
  cleanup(t, async () => { await sql.end({ timeout: 5 }) })
  cleanup(t, async () => {
    for (const base of ['checkout', 'inventory']) await sql.unsafe(`drop schema if exists "${base}${env.schemaSuffix}" cascade`)
  })
  cleanup(t, async () => {
    // The worker gone, its slot is free to drop (PostgreSQL may need a moment to see the walsender leave).
    await waitFor(`replication slot ${cdcNames(scope).slot} dropped`, async () => await dropCdcSlot(s, scope), 20_000, 500)
    await admin.deleteGroups({ groups: [`${env.prefix}connect`] }).catch(() => {})
  })
  cleanup(t, async () => {
    const pid = readPid(stateDir, 'connect')
    if (pid !== undefined) await stopGroup(pid, 20_000)
    removePid(stateDir, 'connect')
    rmSync(stateDir, { recursive: true, force: true })
  })

  assert.equal(await ensureDatabase(s.pgPort), true)
  await prepareCdcTables(s, scope)
  const customersTable = `"checkout${env.schemaSuffix}".customers`
  await seed(sql, customersTable)
  const { command, args } = prepareConnect(s, javaBin(s), env.prefix)
  spawnDetached(stateDir, 'connect', command, args, { cwd: stateDir })
  await waitFor('Kafka Connect', async () => await connectReady(s), 120_000, 500)
    .catch((err: Error) => { throw new Error(`${err.message}\n${tailLog(stateDir, 'connect', 30)}`) })
  await registerCdcConnector(s, scope)
  await waitFor('the Debezium connector and its task RUNNING', async () => {
    const state = await connectorState(s, scope)
    if (state?.tasks.includes('FAILED')) throw new Error(`task failed: ${tailLog(stateDir, 'connect', 30)}`)
    return state?.connector === 'RUNNING' && state.tasks[0] === 'RUNNING'
  }, 90_000, 500)
  return { settings: s, scope, customersTable, sql }
}

/** A Debezium JSON event as Kafka Connect writes it here (no schema envelope). */
export interface DebeziumEvent<T> { op: 'r' | 'c' | 'u' | 'd', before: T | null, after: T | null, source: { ts_ms: number, snapshot?: string } }

/** Reads a CDC topic until `until` holds for its events; waits for Connect to create the topic with its first record. */
export async function cdcEvents<T> (env: TestEnv, topic: string, until: (events: Array<DebeziumEvent<T>>) => boolean, timeoutMs = 60_000): Promise<Array<DebeziumEvent<T>>> {
  const parse = (records: readonly { value: Buffer | null }[]): Array<DebeziumEvent<T>> =>
    records.filter(r => r.value !== null).map(r => JSON.parse(r.value!.toString('utf8')) as DebeziumEvent<T>)
  return await waitFor(`Debezium events on ${topic}`, async () => {
    const events = parse(await readTopic(env.brokers, env.prefix + topic, rs => until(parse(rs)), 5000).catch(() => []))
    return until(events) && events
  }, timeoutMs, 500)
}
