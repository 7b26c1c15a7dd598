import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import postgres from 'postgres'
import { topicsReadBy } from '@vitrine/contracts'
import type { ServiceName } from '@vitrine/contracts'
import { appSettings, startApps, stopApp } from '../../../src/apps.ts'
import { groupLag } from '../../../src/bench/load.ts'
import { ControlPlane } from '../../../src/control/plane.ts'
import type { ActionResult, ResetReport } from '../../../src/control/plane.ts'
import controlApp, { controlServerOptions } from '../../../src/control/app.ts'
import { SHOP_SCHEMAS, isStateTopic } from '../../../src/control/reset.ts'
import { freePort, isAlive } from '../../../src/proc.ts'
import { createAdmin } from '../../../src/topics.ts'
import { createCatalogTopics, deleteTestTopics, serviceEnv, sharedSettings, testEnv, waitFor } from '../../../src/testing/index.ts'

// The control plane on its own copy of the shop: the saga's services as processes on free ports,
// a pid/log folder of their own, and the test's topic prefix, group suffix and schema suffix. The
// shared stack (Kafka, PostgreSQL, registry) is only used, never started, stopped or reset.

const SERVICES = ['inventory', 'payment', 'notification', 'checkout-api'] as const
const SEED: Record<string, number> = { prod_1: 1000, prod_2: 500, prod_3: 5000, prod_4: 200, prod_5: 300, prod_6: 5 }

const stack = sharedSettings()
const env = testEnv()
const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-control-'))
let plane: ControlPlane
let api: FastifyInstance
let sql: postgres.Sql
const urls: Record<string, string> = {}

const schema = (service: string): string => `"${SHOP_SCHEMAS[service]}${env.schemaSuffix}"`

async function json<T = any> (url: string, init: RequestInit = {}): Promise<{ status: number, body: T }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
  return { status: res.status, body: await res.json() as T }
}

async function order (i: number): Promise<string | undefined> {
  try {
    const res = await json<{ orderId: string }>(`${urls['checkout-api']}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: `ctl-${i}-pay-ok`, items: [{ productId: 'prod_3', quantity: 1 }] })
    })
    return res.status === 202 ? res.body.orderId : undefined
  } catch {
    return undefined
  }
}

async function count (table: string): Promise<number> {
  const [row] = await sql.unsafe(`select count(*)::int as n from ${table}`)
  return row!.n as number
}

async function catalogSynced (): Promise<void> {
  await waitFor('checkout-api\'s catalog replica', async () => {
    const [r] = await sql.unsafe(`select count(*)::int as behind from ${schema('inventory')}.products p
      left join ${schema('checkout-api')}.catalog_products c on c.product_id = p.id where c.version is null or c.version < p.version`)
    return r!.behind === 0
  }, 60_000, 200)
}

before(async () => {
  await createCatalogTopics(env)
  const ports: Record<string, number> = {}
  for (const name of [...SERVICES, 'control', 'inventory-2']) ports[name] = await freePort()
  for (const name of SERVICES) urls[name] = `http://127.0.0.1:${ports[name]}`
  const apps = appSettings(stack, {
    stateDir,
    ports,
    only: SERVICES,
    env: serviceEnv(env, { PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 0, PAYMENT_FAILURE_RATE: 0, ORDER_DEADLINE_MS: 120_000, LOG_LEVEL: 'warn' })
  })
  plane = new ControlPlane({ stack, apps })
  api = Fastify(controlServerOptions('silent')).withTypeProvider<TypeBoxTypeProvider>()
  await api.register(controlApp, { plane })
  sql = postgres(env.databaseUrl, { max: 2, onnotice: () => {} })
  await startApps(stack, {}, apps)
  await catalogSynced()
})

after(async () => {
  await api?.close()
  for (const name of [...SERVICES, 'inventory-2']) await stopApp(plane.settings.apps, name).catch(() => {})
  rmSync(stateDir, { recursive: true, force: true })
  await deleteTestTopics(env).catch(() => {})
  const admin = createAdmin(env.brokers, 'vitrine-test')
  try {
    const existing = new Set((await admin.listGroups()).keys())
    const mine = SERVICES.map(s => s + env.groupSuffix).filter(g => existing.has(g))
    if (mine.length > 0) await admin.deleteGroups({ groups: mine }).catch(() => {})
  } finally {
    await admin.close().catch(() => {})
  }
  for (const service of Object.keys(SHOP_SCHEMAS)) await sql?.unsafe(`drop schema if exists ${schema(service)} cascade`).catch(() => {})
  await sql?.end({ timeout: 5 })
})

test('status lists the stack, the test\'s services with their pids and ports, and bad names get the SHOP_ERR body', async () => {
  const res = await api.inject({ method: 'GET', url: '/components' })
  assert.equal(res.statusCode, 200)
  const rows = res.json().components as Array<{ name: string, kind: string, alive: boolean, pid: number | null, ports: Array<{ port: number, listening: boolean }> }>
  assert.ok(rows.some(r => r.name === 'kafka-1' && r.kind === 'stack'))
  for (const name of SERVICES) {
    const r = rows.find(r => r.name === name)
    assert.ok(r?.alive && r.pid !== null, `${name} is alive with a pid`)
    assert.equal(r.ports[0]!.port, Number(new URL(urls[name]!).port))
    assert.equal(r.ports[0]!.listening, true)
  }
  const unknown = await api.inject({ method: 'POST', url: '/components/nope/restart' })
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().code, 'SHOP_ERR_COMPONENT_NOT_FOUND')
  const badAction = await api.inject({ method: 'POST', url: '/components/inventory/explode' })
  assert.equal(badAction.statusCode, 400)
  assert.equal(badAction.json().code, 'SHOP_ERR_VALIDATION')
  assert.ok(badAction.json().errors.some((e: { field: string }) => e.field.startsWith('params.action')))
})

test('a restart and a real SIGKILL crash of inventory under traffic lose no order', async () => {
  const ids: string[] = []
  const refused: number[] = []
  const traffic = { running: true }
  const sending = (async () => {
    for (let i = 0; traffic.running; i++) {
      const id = await order(i)
      if (id) ids.push(id)
      else refused.push(i)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  })()
  try {
    await waitFor('some orders before the restart', async () => ids.length >= 10, 30_000)
    const restart = await api.inject({ method: 'POST', url: '/components/inventory/restart' })
    assert.equal(restart.statusCode, 200, restart.body)
    const r = restart.json() as ActionResult
    assert.ok(r.previousPid !== null && r.component.pid !== null && r.component.pid !== r.previousPid, 'a new inventory process')
    assert.equal(isAlive(r.previousPid), false, 'the old inventory process is gone')
    assert.equal(r.component.alive, true)

    const before = ids.length
    await waitFor('orders after the restart', async () => ids.length >= before + 10, 30_000)
    const kill = await api.inject({ method: 'POST', url: '/components/inventory/kill' })
    assert.equal(kill.statusCode, 200, kill.body)
    const k = kill.json() as ActionResult
    assert.equal(k.component.alive, false, 'killed')
    assert.equal(k.component.ports[0]!.listening, false, 'nothing of it listens any more')
    assert.equal(isAlive(k.previousPid!), false)
    await new Promise(resolve => setTimeout(resolve, 1000))
    const start = await api.inject({ method: 'POST', url: '/components/inventory/start' })
    assert.equal(start.statusCode, 200, start.body)
    assert.equal((start.json() as ActionResult).component.alive, true)
    const afterCrash = ids.length
    await waitFor('orders after the crash', async () => ids.length >= afterCrash + 10, 30_000)
  } finally {
    traffic.running = false
    await sending
  }
  // checkout-api took every order (inventory is behind Kafka, not in the order's path).
  assert.deepEqual(refused, [])
  const statuses = await waitFor('every order to finish', async () => {
    const rows = await sql.unsafe(`select status, count(*)::int as n from ${schema('checkout-api')}.orders where id = any($1) group by status`, [ids])
    const by = Object.fromEntries(rows.map(r => [r.status as string, r.n as number]))
    return by.pending ? undefined : by
  }, 120_000, 500)
  assert.deepEqual(statuses, { confirmed: ids.length }, `all ${ids.length} orders confirmed`)
  const check = await json<{ consistent: boolean }>(`${urls.inventory}/stock/check`)
  assert.equal(check.body.consistent, true)
})

test('a second copy of inventory joins its consumer group and leaves it again', async () => {
  const group = 'inventory' + env.groupSuffix
  const admin = createAdmin(env.brokers, 'vitrine-test')
  const members = async (): Promise<number> => (await admin.describeGroups({ groups: [group] })).get(group)?.members.size ?? 0
  try {
    const listed = (await api.inject({ method: 'GET', url: '/components/inventory-2' })).json()
    assert.equal(listed.alive, false, 'not started until asked for')
    assert.equal(listed.copyOf, 'inventory')
    assert.equal(await members(), 1)
    const start = await api.inject({ method: 'POST', url: '/components/inventory-2/start' })
    assert.equal(start.statusCode, 200, start.body)
    assert.equal((start.json() as ActionResult).component.alive, true)
    await waitFor('two members in inventory\'s group', async () => await members() === 2, 30_000, 250)
    const stop = await api.inject({ method: 'POST', url: '/components/inventory-2/stop' })
    assert.equal(stop.statusCode, 200, stop.body)
    await waitFor('one member again', async () => await members() === 1, 30_000, 250)
  } finally {
    await admin.close().catch(() => {})
  }
})

test('reset: no order left, stock back to the seed, the shop\'s groups at the end (lag 0), the shop works again', async () => {
  const ordersBefore = await count(`${schema('checkout-api')}.orders`)
  assert.ok(ordersBefore > 0, 'the previous test left orders to reset')

  const res = await api.inject({ method: 'POST', url: '/reset' })
  assert.equal(res.statusCode, 200, res.body)
  const report = res.json() as ResetReport
  assert.deepEqual([...report.stopped].sort(), [...SERVICES].sort())
  assert.equal(report.tables.find(t => t.table === 'orders')?.rows, ordersBefore)

  for (const table of ['orders', 'outbox', 'processed_events']) {
    assert.equal(await count(`${schema('checkout-api')}.${table}`), 0, `checkout.${table} is empty`)
  }
  for (const [service, table] of [['payment', 'payments'], ['inventory', 'reservations'], ['notification', 'notifications']] as const) {
    assert.equal(await count(`${schema(service)}.${table}`), 0, `${service}.${table} is empty`)
  }
  const products = (await json<{ products: Array<{ id: string, stock: number, reserved: number }> }>(`${urls.inventory}/products`)).body.products
  for (const [id, stock] of Object.entries(SEED)) {
    const p = products.find(p => p.id === id)
    assert.equal(p?.stock, stock, `${id} back to its seed stock`)
    assert.equal(p?.reserved, 0)
  }
  assert.equal((await json<{ consistent: boolean }>(`${urls.inventory}/stock/check`)).body.consistent, true)

  const admin = createAdmin(env.brokers, 'vitrine-test')
  try {
    const groups = SERVICES.map(s => ({ group: s + env.groupSuffix, topics: topicsReadBy(s as ServiceName).filter(t => !isStateTopic(t.name)).map(t => env.prefix + t.name) }))
    const lag = await groupLag(admin, groups)
    for (const g of groups) assert.equal(lag[g.group], 0, `${g.group} has no lag`)
    for (const g of report.groups) assert.equal(g.lag, 0)
  } finally {
    await admin.close()
  }

  // The catalog survived: a new order is priced and confirmed.
  const id = await order(10_000)
  assert.ok(id, 'checkout-api takes an order after the reset')
  await waitFor('the new order to be confirmed', async () => {
    const [row] = await sql.unsafe(`select status from ${schema('checkout-api')}.orders where id = $1`, [id])
    return row?.status === 'confirmed'
  }, 60_000, 300)
})
