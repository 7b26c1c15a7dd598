import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { connect } from '@vitrine/service-kit'
import { loadSettings } from '../../src/settings.ts'
import { freePort, readPid, removePid, spawnDetached, stopGroup, tailLog } from '../../src/proc.ts'
import { javaBin } from '../../src/kafka-node.ts'
import { ensureDatabase } from '../../src/postgres-host.ts'
import { CDC_TABLES, cdcNames, connectReady, connectUrl, connectorState, dropCdcSlot, prepareCdcTables, prepareConnect, registerCdcConnector } from '../../src/streams-connect.ts'
import { LITE_SKIP, components } from '../../src/stack.ts'
import { cleanup, deleteTopicsIfPresent, readTopic, testAdmin, testEnv, waitFor } from '../../src/testing/stack-env.ts'

// Change data capture for real: a private Kafka Connect worker (its own port, group and internal
// topics) on the shared Kafka and PostgreSQL, Debezium reading the test's own copies of the
// customers and products tables through a replication slot of its own, dropped at the end.

interface DebeziumEvent { op: 'r' | 'c' | 'u' | 'd', before: { tier?: string } | null, after: { customer_id: string, tier: string, name: string } | null }

test('a customer\'s tier changed in PostgreSQL arrives on customers.cdc as a Debezium update with the old and the new tier', { timeout: 150_000 }, async t => {
  const env = testEnv()
  const scope = { prefix: env.prefix, schemaSuffix: env.schemaSuffix }
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-connect-'))
  // The shared Kafka and PostgreSQL; only the worker's REST port is private.
  const s = loadSettings({ stateDir, connectPort: await freePort() })
  const admin = testAdmin(t)
  const customerId = `cliente-${env.id}`

  // The role needs REPLICATION (a stack started before this change lacks it; `up` grants it).
  assert.equal(await ensureDatabase(s.pgPort), true)
  const sql = connect(env.databaseUrl, 'public', 2)
  cleanup(t, async () => { await sql.end({ timeout: 5 }) })
  cleanup(t, async () => {
    for (const base of ['checkout', 'inventory']) await sql.unsafe(`drop schema if exists "${base}${env.schemaSuffix}" cascade`)
  })
  await prepareCdcTables(s, scope)
  const customers = `"checkout${env.schemaSuffix}".customers`
  await sql.unsafe(`insert into ${customers} (customer_id, name, tier) values ($1, 'Cliente do teste', 'bronze')`, [customerId])

  const topics = [...CDC_TABLES.map(c => env.prefix + c.topic), ...['configs', 'offsets', 'status'].map(n => `${env.prefix}connect.${n}`), `${env.prefix}connect.heartbeat.${env.prefix}cdc`]
  cleanup(t, async () => { await deleteTopicsIfPresent(admin, topics) })
  cleanup(t, async () => {
    // The worker gone, the slot is free to drop: nothing of this test keeps WAL.
    assert.equal(await dropCdcSlot(s, scope), true, `replication slot ${cdcNames(scope).slot} still active`)
  })
  cleanup(t, async () => {
    const pid = readPid(stateDir, 'connect')
    if (pid !== undefined) await stopGroup(pid, 20_000)
    removePid(stateDir, 'connect')
    rmSync(stateDir, { recursive: true, force: true })
  })

  const { command, args } = prepareConnect(s, javaBin(s), env.prefix)
  spawnDetached(stateDir, 'connect', command, args, { cwd: stateDir })
  await waitFor(`Kafka Connect on ${connectUrl(s)} (log: ${join(stateDir, 'logs/connect.log')})`, async () => await connectReady(s), 90_000, 500)
    .catch((err: Error) => { throw new Error(`${err.message}\n${tailLog(stateDir, 'connect', 30)}`) })

  await registerCdcConnector(s, scope)
  // Idempotent: registering again changes nothing and does not fail.
  await registerCdcConnector(s, scope)
  await waitFor('the Debezium connector and its task RUNNING', async () => {
    const state = await connectorState(s, scope)
    if (state?.tasks.includes('FAILED')) throw new Error(`task failed: ${tailLog(stateDir, 'connect', 30)}`)
    return state?.connector === 'RUNNING' && state.tasks.length === 1 && state.tasks[0] === 'RUNNING'
  }, 60_000, 500)

  const topic = `${env.prefix}customers.cdc`
  const events = async (until: (e: DebeziumEvent[]) => boolean): Promise<DebeziumEvent[]> => {
    const parse = (records: readonly { key: string | null, value: Buffer | null }[]): DebeziumEvent[] => records
      .filter(r => r.value !== null)
      .map(r => JSON.parse(r.value!.toString('utf8')) as DebeziumEvent)
      .filter(e => (e.after ?? e.before as DebeziumEvent['after'])?.customer_id === customerId)
    return parse(await readTopic(env.brokers, topic, records => until(parse(records)), 60_000))
  }
  // The snapshot (op "r") or, had the slot started first, the insert (op "c"): the customer as bronze.
  // Connect creates the topic with the first record: until then there is nothing to read.
  const first = await waitFor(`an event for ${customerId} on ${topic}`, async () => {
    const found = await events(e => e.length > 0)
    return found.length > 0 && found
  }, 60_000, 1000)
  assert.ok(first[0]!.op === 'r' || first[0]!.op === 'c', `first event op ${first[0]!.op}`)
  assert.equal(first[0]!.after?.tier, 'bronze')

  await sql.unsafe(`update ${customers} set tier = 'gold', updated_at = now() where customer_id = $1`, [customerId])
  const all = await events(e => e.some(x => x.op === 'u'))
  const update = all.find(e => e.op === 'u')
  assert.ok(update, `no update event for ${customerId} on ${topic}: ${JSON.stringify(all)}`)
  assert.equal(update.after?.tier, 'gold')
  assert.equal(update.after?.name, 'Cliente do teste')
  // REPLICA IDENTITY FULL: the event also says what the tier was.
  assert.equal(update.before?.tier, 'bronze')
})

test('LITE=1: Flink and Kafka Connect are skipped with the reason, and a replication slot no one holds is dropped with its publication', async t => {
  const lite = loadSettings({ lite: true })
  const skipped = components(lite).filter(c => c.missing === LITE_SKIP).map(c => c.name).sort()
  assert.deepEqual(skipped, ['connect', 'flink'])
  assert.deepEqual(components(loadSettings({ lite: false })).filter(c => c.missing === LITE_SKIP), [])

  const env = testEnv()
  const scope = { prefix: env.prefix, schemaSuffix: env.schemaSuffix }
  const { slot, publication } = cdcNames(scope)
  assert.equal(await ensureDatabase(lite.pgPort), true)
  const sql = connect(env.databaseUrl, 'public', 1)
  cleanup(t, async () => { await sql.end({ timeout: 5 }) })
  cleanup(t, async () => { await sql`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${slot}` })
  // What a connector that ran and then stopped for good leaves behind.
  await sql`select pg_create_logical_replication_slot(${slot}, 'pgoutput')`
  await sql.unsafe(`create publication ${publication}`)
  assert.equal(await dropCdcSlot(lite, scope), true)
  assert.equal((await sql`select 1 from pg_replication_slots where slot_name = ${slot}`).length, 0)
  assert.equal((await sql`select 1 from pg_publication where pubname = ${publication}`).length, 0)
})
