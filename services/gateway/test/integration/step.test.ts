import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildApp, buildRoutes, loadConfig } from '@vitrine/service-kit'
import { freePort } from '@vitrine/infra'
import { createCatalogTopics, deleteTestTopics, serviceEnv, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { testInstructorHeaders } from '@vitrine/infra/testing'
import checkoutApp from '@vitrine/checkout-api'
import { CheckoutConfig } from '@vitrine/checkout-api/config'
import paymentApp from '@vitrine/payment'
import { PaymentConfig } from '@vitrine/payment/config'
import inventoryApp from '@vitrine/inventory'
import { InventoryConfig } from '@vitrine/inventory/config'
import notificationApp from '@vitrine/notification'
import { NotificationConfig } from '@vitrine/notification/config'
import step from '../../src/routes/api/step.ts'
import type { GatewayConfigType } from '../../src/config.ts'

// /api/admin/step: the gateway turns the step mode on and off in every saga service, merges what
// they hold and releases one event per "next". Behind it, the choreography's four services in this
// process, each listening on its own port, on this test's topics, groups and schemas (the
// orchestrator is not started: it shows as not reachable, and the rest works without it).

const SERVICES = [
  { id: 'inventory', app: inventoryApp, schema: InventoryConfig, db: 'inventory' },
  { id: 'payment', app: paymentApp, schema: PaymentConfig, db: 'payment' },
  { id: 'notification', app: notificationApp, schema: NotificationConfig, db: 'notification' },
  { id: 'checkout-api', app: checkoutApp, schema: CheckoutConfig, db: 'checkout' }
] as const

const NOWHERE = 'http://127.0.0.1:9'
const nowhere = { CHECKOUT_API_URL: NOWHERE, PAYMENT_URL: NOWHERE, INVENTORY_URL: NOWHERE, NOTIFICATION_URL: NOWHERE, ORCHESTRATOR_URL: NOWHERE }

interface Held { service: string, group: string, topic: string, originTopic: string, partition: number, offset: number, key: string | null, summary: string }
interface State { on: boolean, services: Array<{ service: string, reachable: boolean, on: boolean }>, held: Held[], next: Held | null }

test('/api/admin/step: bad bodies are 400 naming body.mode; "next" with the mode off is 409; no service answering is reported, not a 500', async t => {
  const app = await buildRoutes(step, { config: nowhere as GatewayConfigType }, [])
  t.after(async () => { await app.close() })
  const refused: Array<[unknown, RegExp]> = [[undefined, /body/], [{}, /body\.mode/], [{ mode: 'maybe' }, /body\.mode/], [{ mode: 'on', extra: 1 }, /body(\.extra)?"/]]
  for (const [payload, field] of refused) {
    const res = await app.inject({ method: 'POST', url: '/admin/step', ...(payload !== undefined ? { payload: payload as object } : {}) })
    assert.equal(res.statusCode, 400, `${JSON.stringify(payload)} → ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.match(JSON.stringify(res.json().errors.map((e: { field: string }) => e.field)), field)
  }
  const state = await app.inject({ method: 'GET', url: '/admin/step' })
  assert.equal(state.statusCode, 200)
  assert.deepEqual(state.json().services.map((s: { reachable: boolean }) => s.reachable), [false, false, false, false, false])
  assert.equal(state.json().on, false)
  const on = await app.inject({ method: 'POST', url: '/admin/step', payload: { mode: 'on' } })
  assert.equal(on.statusCode, 502, on.body)
  assert.equal(on.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
  const next = await app.inject({ method: 'POST', url: '/admin/step/next' })
  assert.equal(next.statusCode, 409)
  assert.equal(next.json().code, 'SHOP_ERR_STEP_OFF')
})

test('/api/admin/step on a running saga: on everywhere, the placed order\'s orders.new held by payment, "next" releases it and payments.approved is held by inventory; off: the order is confirmed', { timeout: 120_000 }, async t => {
  const env = testEnv()
  const ports = new Map<string, number>()
  for (const s of SERVICES) ports.set(s.id, await freePort())
  const url = (id: string): string => `http://127.0.0.1:${ports.get(id)!}`
  const running: FastifyInstance[] = []
  t.after(async () => {
    for (const app of [...running].reverse().slice(0, -1)) await app.close().catch(() => {})
    const last = running[0]
    if (last) {
      for (const s of SERVICES) await last.sql.unsafe(`drop schema if exists "${s.db}${env.schemaSuffix}" cascade`).catch(() => {})
      await last.close().catch(() => {})
    }
    await deleteTestTopics(env).catch(() => {})
  })
  await createCatalogTopics(env)
  const common = { PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 0, PAYMENT_FAILURE_RATE: 0, DECISION_POLL_MS: 50, DEADLINE_SWEEP_MS: 200 }
  for (const s of SERVICES) {
    const app = await buildApp(s.id, s.app as never, loadConfig(s.schema, serviceEnv(env, { ...common, PORT: ports.get(s.id)! })) as never)
    running.push(app)
    await app.listen({ port: ports.get(s.id)!, host: '127.0.0.1' })
  }
  const config = { ...nowhere, CHECKOUT_API_URL: url('checkout-api'), PAYMENT_URL: url('payment'), INVENTORY_URL: url('inventory'), NOTIFICATION_URL: url('notification') } as GatewayConfigType
  const gateway = await buildRoutes(step, { config }, [])
  t.after(async () => { await gateway.close() })
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number, body: any }> => {
    // The instructor's token goes on to the services (ignored under HTTP_AUTH=none).
    const res = await gateway.inject({ method, url: path, headers: testInstructorHeaders(), ...(body !== undefined ? { payload: body as object } : {}) })
    return { status: res.statusCode, body: res.json() }
  }
  const service = async (method: string, id: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => {
    const res = await fetch(`${url(id)}${path}`, { method, headers: { ...testInstructorHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    return { status: res.status, body: await res.json().catch(() => null) }
  }
  const where = (s: State): string[] => s.held.map(h => `${h.originTopic}@${h.service}`)

  const product = `p-${env.id}-passo`
  assert.equal((await service('POST', 'inventory', '/products', { id: product, name: 'Produto do passo a passo', priceCents: 1000, stock: 5 })).status, 201)
  await waitFor('the product in checkout-api\'s replica', async () => {
    const [r] = await running[0]!.sql.unsafe(`select 1 from "checkout${env.schemaSuffix}".catalog_products where product_id = $1`, [product])
    return r !== undefined
  }, 20_000, 100)

  const on = await call('POST', '/admin/step', { mode: 'on' })
  assert.equal(on.status, 200, JSON.stringify(on.body))
  assert.equal(on.body.on, true)
  assert.deepEqual(on.body.services.map((s: { service: string, reachable: boolean, on: boolean }) => `${s.service}:${s.reachable}:${s.on}`), ['checkout-api:true:true', 'payment:true:true', 'inventory:true:true', 'notification:true:true', 'orchestrator:false:false'])

  const placed = await service('POST', 'checkout-api', '/orders', { customerId: 'cliente-passo', items: [{ productId: product, quantity: 1 }] })
  assert.equal(placed.status, 202, JSON.stringify(placed.body))
  const orderId = placed.body.orderId as string

  let state = await waitFor('orders.new held by payment', async () => {
    const s = (await call('GET', '/admin/step')).body as State
    return where(s).join() === 'orders.new@payment' ? s : undefined
  }, 20_000, 100)
  assert.equal(state.next?.key, orderId)
  assert.match(state.next!.summary, /1 item\(ns\), total R\$/)

  const next = await call('POST', '/admin/step/next')
  assert.equal(next.status, 200, JSON.stringify(next.body))
  assert.deepEqual({ topic: next.body.released.originTopic, key: next.body.released.key, offset: next.body.released.offset }, { topic: 'orders.new', key: orderId, offset: state.next!.offset })

  state = await waitFor('payments.approved held by inventory', async () => {
    const s = (await call('GET', '/admin/step')).body as State
    return where(s).join() === 'payments.approved@inventory' ? s : undefined
  }, 20_000, 100)
  assert.equal(state.next?.key, orderId)
  assert.equal((await service('GET', 'checkout-api', `/orders/${orderId}`)).body.status, 'pending', 'held: not confirmed yet')

  const off = await call('POST', '/admin/step', { mode: 'off' })
  assert.equal(off.status, 200)
  assert.equal(off.body.on, false)
  assert.deepEqual(off.body.held, [])
  await waitFor('the order confirmed once the mode is off', async () => (await service('GET', 'checkout-api', `/orders/${orderId}`)).body.status === 'confirmed' || undefined, 20_000, 100)
  const after = await call('POST', '/admin/step/next')
  assert.equal(after.status, 409, 'off: nothing to release')
})
