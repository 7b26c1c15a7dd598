import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import type { OrderCreated, RevenueByTier } from '@vitrine/contracts'
import { EventProducer } from '@vitrine/service-kit'
import { cleanup, createCatalogTopics, deleteTestTopics, testEnv, waitFor } from '@vitrine/infra/testing'
import { cancelJob, submitJobs } from '../../src/submit.ts'
import { cdcEvents, newestByKey, orderIdOn, privateConnect, privateFlink, sqlParams, TEST_JOB_CONFIG, waitSourceRead } from '../helpers/flink.ts'

// revenue_by_tier end to end, with a real tier change: a customer's tier is changed in PostgreSQL,
// Debezium (a Kafka Connect worker of the test's own) writes the change to customers.cdc, and the
// job (a Flink of the test's own) adds each order to the tier the customer had AT THE ORDER'S TIME
// (an event-time temporal join): orders placed before the change stay in the old tier, later ones
// go to the new. Both JVMs start together; everything else is the shared Kafka, registry and PostgreSQL.

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0)
const MIN = 60_000

const order = (customerId: string, totalCents: number, occurredAt: number, orderId: string = randomUUID()): OrderCreated =>
  ({ eventId: randomUUID(), orderId, customerId, items: [{ productId: 'prod_1', quantity: 1, unitPriceCents: totalCents }], totalCents, currency: 'BRL', deadlineAt: occurredAt + 30_000, channel: 'web', occurredAt })

/** What the test expects per tier, from its own list of orders and each customer's tier history. */
function revenueByTier (orders: OrderCreated[], tierAt: (customerId: string, at: number) => string): Record<string, RevenueByTier> {
  const out: Record<string, RevenueByTier> = {}
  for (const o of orders) {
    const tier = tierAt(o.customerId, o.occurredAt)
    const row = out[tier] ??= { tier, orders: 0, revenueCents: 0, avgTicketCents: 0 }
    row.orders += 1
    row.revenueCents += o.totalCents
    row.avgTicketCents = Math.floor(row.revenueCents / row.orders)
  }
  return out
}

test('revenue_by_tier: a tier changed in PostgreSQL reaches Flink through Debezium; orders before the change keep the old tier, later ones get the new', { timeout: 300_000 }, async (t) => {
  const env = testEnv()
  const stateDir = mkdtempSync(join(tmpdir(), 'streams-test-'))
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = new EventProducer(env.brokers, 'streams-test', pino({ level: 'silent' }))
  const jobs: string[] = []
  // Registered first, so these run before the private Flink stops: cleanups run last registered first.
  cleanup(t, async () => {
    await deleteTestTopics(env)
    rmSync(stateDir, { recursive: true, force: true })
  })
  cleanup(t, async () => { await producer.close() })
  await createCatalogTopics(env)
  await producer.connect()

  const changing = `cliente-${env.id}-muda`
  const steady = `cliente-${env.id}-fixo`
  const stranger = `sem-cadastro-${env.id}`
  // Flink starts and takes the job while Kafka Connect starts and Debezium takes its snapshot.
  const [{ flink, jobId }, cdc] = await Promise.all([
    (async () => {
      const flink = await privateFlink(t)
      const [report] = await submitJobs({ gatewayUrl: flink.gatewayUrl, params: sqlParams(env), jobs: ['revenue_by_tier'], stateFile: join(stateDir, 'jobs.json'), restUrls: flink.restUrls, config: TEST_JOB_CONFIG })
      jobs.push(report!.jobId)
      cleanup(t, async () => { for (const id of jobs) await cancelJob(flink.restUrls, id) })
      return { flink, jobId: report!.jobId }
    })(),
    privateConnect(t, env, async (sql, table) => {
      await sql.unsafe(`insert into ${table} (customer_id, name, tier) values ($1, 'Cliente que muda', 'bronze'), ($2, 'Cliente fixo', 'silver')`, [changing, steady])
    })
  ])
  const send = async (os: OrderCreated[]): Promise<void> => {
    for (const o of os) await producer.send({ topic: env.prefix + 'orders.new', key: o.orderId, value: await serde.encode('orders.new', o), headers: {} })
  }

  // The snapshot: every row of the test's customers table (the migration's seeded customers and the
  // two above) as op "r". The job must have read them before any order arrives: the join answers for
  // an order only with the versions it has.
  const rows = (await cdc.sql.unsafe<Array<{ n: number }>>(`select count(*)::int as n from ${cdc.customersTable}`))[0]!.n
  const snapshot = await cdcEvents<{ customer_id: string, tier: string }>(env, 'customers.cdc', es => es.filter(e => e.op === 'r').length >= rows, 90_000)
  assert.equal(snapshot.find(e => e.after?.customer_id === changing)?.after?.tier, 'bronze')
  await waitSourceRead(flink.restUrls, jobId, 'customers', rows)

  // Before the change, at fixed times. One order per partition two minutes later moves the watermark past them.
  const before = [order(changing, 1200, T0 + 5_000), order(changing, 3450, T0 + 40_000), order(steady, 999, T0 + 20_000)]
  const flushBefore = [0, 1, 2].map(p => order(stranger, 100, T0 + 2 * MIN, orderIdOn(p)))
  await send([...before, ...flushBefore])
  const early = await waitFor('revenue_by_tier counts the orders placed before the change', async () => {
    const m = await newestByKey<RevenueByTier>(env, serde, 'streams.revenue-by-tier')
    return m.get('bronze')?.orders === 2 && m.get('silver')?.orders === 1 && m
  }, 90_000, 1000)
  assert.deepEqual({ ...early.get('bronze') }, { tier: 'bronze', orders: 2, revenueCents: 4650, avgTicketCents: 2325 })

  // The change, in PostgreSQL: Debezium's update event carries the old and the new tier and the commit time.
  await cdc.sql.unsafe(`update ${cdc.customersTable} set tier = 'gold', updated_at = now() where customer_id = $1`, [changing])
  const events = await cdcEvents<{ customer_id: string, tier: string }>(env, 'customers.cdc', es => es.some(e => e.op === 'u'), 60_000)
  const change = events.find(e => e.op === 'u')!
  assert.deepEqual([change.before?.tier, change.after?.tier, change.after?.customer_id], ['bronze', 'gold', changing])
  const changedAt = change.source.ts_ms
  assert.ok(changedAt > T0 + 2 * MIN, `the change's commit time ${changedAt} comes after the first orders`)
  await waitSourceRead(flink.restUrls, jobId, 'customers', rows + 1)

  // After the change, at fixed distances from its commit. The last three orders only move the
  // watermark: the join holds them until a later one passes them, so they are in no tier yet.
  const after = [order(changing, 7000, changedAt + 1_000), order(changing, 300, changedAt + 2_000), order(steady, 4321, changedAt + 1_500)]
  const flushAfter = [0, 1, 2].map(p => order(stranger, 100, changedAt + 10 * MIN, orderIdOn(p)))
  await send([...after, ...flushAfter])

  // The test's own count: a snapshot row holds since forever, a change from its commit on.
  const tierAt = (customerId: string, at: number): string => {
    if (customerId === changing) return at < changedAt ? 'bronze' : 'gold'
    return customerId === steady ? 'silver' : 'desconhecido'
  }
  const expected = revenueByTier([...before, ...flushBefore, ...after], tierAt)
  assert.deepEqual(Object.keys(expected).sort(), ['bronze', 'desconhecido', 'gold', 'silver'])
  let last = new Map<string, RevenueByTier>()
  await waitFor('revenue_by_tier counts the orders placed after the change', async () => {
    last = await newestByKey<RevenueByTier>(env, serde, 'streams.revenue-by-tier')
    return last.get('gold')?.orders === 2 && last.get('silver')?.orders === 2 && last.get('desconhecido')?.orders === 3
  }, 90_000, 1000).catch(() => {})
  assert.deepEqual(Object.fromEntries([...last].map(([k, v]) => [k, { ...v }])), expected)
})
