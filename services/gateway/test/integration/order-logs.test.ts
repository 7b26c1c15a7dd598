import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { startExerciseShop } from '@vitrine/infra/testing/exercises'
import type { ExerciseShop } from '@vitrine/infra/testing/exercises'
import { waitFor } from '@vitrine/infra/testing'

// The services and the gateway as the supervisor runs them (a private ControlPlane on the test's own
// topics, groups, schemas, ports and state folder): each writes its log to <stateDir>/logs/<name>.log,
// and the gateway is told where by the supervisor (LOG_DIR), not by this test.

interface Line { time: string, service: string, level: string, msg: string, fields: Record<string, unknown> }
interface Logs { orderId: string, lines: Line[], truncated: boolean, logDir: { path: string, exists: boolean }, hint: string | null }

let shop: ExerciseShop
let gateway: string

before(async () => {
  shop = await startExerciseShop({ services: ['inventory', 'payment', 'notification', 'checkout-api', 'gateway'], env: { LOG_LEVEL: 'info' } })
  gateway = `http://127.0.0.1:${shop.plane.settings.apps.ports.gateway}`
})

after(async () => { await shop?.close() })

async function json<T> (path: string, init: RequestInit = {}): Promise<{ status: number, body: T }> {
  const res = await fetch(gateway + path, { ...init, signal: AbortSignal.timeout(10_000) })
  return { status: res.status, body: await res.json() as T }
}

async function placeOrder (customerId: string): Promise<string> {
  const res = await json<{ orderId: string }>('/api/shop/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId, items: [{ productId: 'prod_3', quantity: 1 }] })
  })
  assert.equal(res.status, 202, JSON.stringify(res.body))
  return res.body.orderId
}

test('an order\'s log lines: checkout-api, payment and inventory at least, in time order, none of another order', async () => {
  const [a, b] = [await placeOrder('logs-a-pay-ok'), await placeOrder('logs-b-pay-ok')]
  await waitFor('both orders confirmed', async () => {
    for (const id of [a, b]) if ((await json<{ status: string }>(`/api/shop/orders/${id}`)).body.status !== 'confirmed') return false
    return true
  }, 60_000, 250)
  const want = ['checkout-api', 'payment', 'inventory', 'notification']
  const logs = await waitFor(`lines of ${want.join(', ')} for order ${a}`, async () => {
    const res = await json<Logs>(`/api/orders/${a}/logs`)
    assert.equal(res.status, 200)
    return want.every(s => res.body.lines.some(l => l.service === s)) ? res.body : undefined
  }, 30_000, 250)
  assert.equal(logs.logDir.path, join(shop.plane.settings.apps.stateDir, 'logs'))
  assert.equal(logs.logDir.exists, true)
  const times = logs.lines.map(l => Date.parse(l.time))
  assert.deepEqual(times, [...times].sort((x, y) => x - y), 'in time order')
  const said = logs.lines.map(l => `${l.service}: ${l.msg}`)
  for (const step of ['checkout-api: order accepted', 'payment: charge requested', 'inventory: stock reserved', 'checkout-api: order finished']) {
    assert.ok(said.includes(step), `${step} in ${JSON.stringify(said)}`)
  }
  assert.ok(said.indexOf('checkout-api: order accepted') < said.indexOf('checkout-api: order finished'))
  // A consumer's lines name the record and the event it handles.
  const charge = logs.lines.find(l => l.msg === 'charge requested')!
  assert.equal(charge.fields.topic, 'orders.new')
  assert.equal(typeof charge.fields.offset, 'number')
  assert.match(String(charge.fields.eventId), /^[0-9a-f-]{36}$/)
  // ...and each outbox publish names where the event went.
  const published = logs.lines.find(l => l.service === 'payment' && l.msg === 'event published' && l.fields.topic === 'payments.approved')
  assert.ok(published, JSON.stringify(said))
  assert.equal(typeof published.fields.partition, 'number')
  assert.equal(typeof published.fields.offset, 'number')
  assert.ok(logs.lines.every(l => l.level === 'info' || l.level === 'warn' || l.level === 'error'))
  // The other order is in the same files, and none of its lines is here.
  assert.ok(!JSON.stringify(logs).includes(b), 'no line of the other order')
  const other = await json<Logs>(`/api/orders/${b}/logs`)
  assert.ok(other.body.lines.some(l => l.service === 'payment'), 'the other order has its own lines')
  assert.ok(!JSON.stringify(other.body).includes(a))
})

test('a bad order id is a 400 naming params.orderId; an unknown one is a 200 with no line', async () => {
  const bad = await json<{ code: string, errors: Array<{ field: string, rule: string }> }>('/api/orders/not%20an%20id/logs')
  assert.equal(bad.status, 400)
  assert.equal(bad.body.code, 'SHOP_ERR_VALIDATION')
  assert.ok(bad.body.errors.some(e => e.field === 'params.orderId' && e.rule === 'pattern'), JSON.stringify(bad.body))
  const none = await json<Logs>('/api/orders/00000000-0000-7000-8000-000000000000/logs')
  assert.equal(none.status, 200)
  assert.deepEqual(none.body.lines, [])
  assert.equal(none.body.logDir.exists, true)
})
