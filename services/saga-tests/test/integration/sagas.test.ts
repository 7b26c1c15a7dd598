import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { HEADERS } from '@vitrine/contracts'
import type { SagaMode } from '@vitrine/contracts'
import { Saga, WITH_ORCHESTRATOR, orchestrated, orderBody, recordsOf, settle } from '../../src/index.ts'
import type { SagaOptions } from '../../src/index.ts'

// Each saga scenario written once and run in both modes, each run on its own topics, groups and
// schemas. What both modes must show is asserted for both; what only one mode writes (the
// choreography's events, the orchestrator's commands and replies) is asserted per mode. The
// invariants (settle) are checked after every scenario. Orchestration-only cases: orchestration.test.ts.

interface Mode {
  name: SagaMode
  /** The choreography needs no orchestrator; the orchestrated saga runs every service. */
  services?: SagaOptions['services']
  body: (customerId: string, items: Array<{ productId: string, quantity: number }>) => Record<string, unknown>
}

const MODES: Mode[] = [
  // The default mode (SAGA_MODE_DEFAULT) is the choreography: its orders carry no mode.
  { name: 'choreography', body: (customerId, items) => orderBody(customerId, items) },
  { name: 'orchestration', services: WITH_ORCHESTRATOR, body: orchestrated }
]

async function start (t: TestContext, mode: Mode, env?: SagaOptions['env']): Promise<Saga> {
  const saga = await Saga.start({ ...(mode.services ? { services: mode.services } : {}), ...(env ? { env } : {}) })
  t.after(() => saga.close())
  return saga
}

for (const mode of MODES) {
  test(`${mode.name}: 200 orders, no payment failures, ample stock: all confirmed, stock down by exactly what was ordered, one notification each`, async (t) => {
    const saga = await start(t, mode)
    const a = await saga.product(10_000)
    const b = await saga.product(10_000)
    const bodies = Array.from({ length: 200 }, (_, i) => mode.body(`cliente-${i}`, [{ productId: a, quantity: 1 + (i % 3) }, ...(i % 2 === 0 ? [{ productId: b, quantity: 2 }] : [])]))
    const ids = await saga.placeOrders(bodies)
    const statuses = await saga.waitTerminal(ids, 120_000)
    assert.deepEqual([...statuses.values()].filter(s => s.status !== 'confirmed'), [], 'every order confirmed')
    assert.deepEqual(await settle(saga, ids), [])

    const orderedA = bodies.reduce((s, _b, i) => s + 1 + (i % 3), 0)
    const orderedB = 100 * 2
    const pa = (await saga.request('inventory', 'GET', `/products/${a}`)).body
    const pb = (await saga.request('inventory', 'GET', `/products/${b}`)).body
    assert.equal(pa.stock, 10_000 - orderedA)
    assert.equal(pb.stock, 10_000 - orderedB)
    assert.equal(pa.reserved + pb.reserved, 0, 'every reservation became a sale')

    const sent = await recordsOf(saga, 'notifications.sent', ids)
    assert.equal(new Set(sent.map(r => r.rec.key)).size, 200, 'one notifications.sent per order')
    if (mode.name === 'choreography') {
      assert.equal(sent.length, 200, 'exactly one notifications.sent per order')
    } else {
      // The saga ran through the orchestrator's commands, not the choreography's events.
      const charges = (await recordsOf(saga, 'payments.commands', ids)).filter(r => r.value.command === 'CHARGE')
      assert.equal(new Set(charges.map(r => r.rec.key)).size, 200, 'one CHARGE per order')
      assert.equal((await recordsOf(saga, 'payments.approved', ids)).length, 0, 'no choreography event for orchestrated orders')
      assert.equal((await recordsOf(saga, 'inventory.reserved', ids)).length, 0)
      const confirms = await recordsOf(saga, 'orders.commands', ids)
      assert.ok(confirms.every(r => r.value.command === 'CONFIRM' && r.rec.headers[HEADERS.producer] === 'orchestrator'))
    }
  })

  test(`${mode.name}: every payment fails: all orders failed, no stock moved, nothing refunded because nothing was charged`, async (t) => {
    const saga = await start(t, mode, { payment: { PAYMENT_FAILURE_RATE: 1 } })
    const p = await saga.product(100)
    const ids = await saga.placeOrders(Array.from({ length: 30 }, (_, i) => mode.body(`cliente-${i}`, [{ productId: p, quantity: 1 }])))
    const statuses = await saga.waitTerminal(ids)
    assert.ok([...statuses.values()].every(s => s.status === 'failed' && s.reason === 'payment_failed'), 'all failed for payment')
    assert.deepEqual(await settle(saga, ids), [])
    const [moves] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('inventory')}.stock_movements where order_id = any($1)`, [ids])
    assert.equal(moves!.n, 0, 'no stock movement')
    if (mode.name === 'choreography') {
      assert.equal((await recordsOf(saga, 'payments.refunded', ids)).length, 0, 'no refund')
    } else {
      assert.equal((await recordsOf(saga, 'inventory.commands', ids)).length, 0, 'inventory never asked')
      assert.equal((await recordsOf(saga, 'payments.commands', ids)).filter(r => r.value.command === 'REFUND').length, 0, 'no REFUND commanded')
    }
    assert.equal((await saga.request('inventory', 'GET', `/products/${p}`)).body.available, 100)
  })

  test(`${mode.name}: K units and N > K concurrent orders for them: exactly K confirmed, the rest failed and refunded once each, stock never negative`, async (t) => {
    const saga = await start(t, mode)
    const K = 7
    const N = 25
    const p = await saga.product(K)
    const ids = await saga.placeOrders(Array.from({ length: N }, (_, i) => mode.body(`disputa-${i}`, [{ productId: p, quantity: 1 }])), N)
    const statuses = [...(await saga.waitTerminal(ids)).values()]
    assert.equal(statuses.filter(s => s.status === 'confirmed').length, K, 'exactly K confirmed')
    assert.ok(statuses.filter(s => s.status === 'failed').every(s => s.reason === 'inventory_failed'))
    assert.deepEqual(await settle(saga, ids), [])
    const product = (await saga.request('inventory', 'GET', `/products/${p}`)).body
    assert.deepEqual({ stock: product.stock, reserved: product.reserved, available: product.available }, { stock: 0, reserved: 0, available: 0 })
    const [refunded] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('payment')}.payments where order_id = any($1) and status = 'refunded'`, [ids])
    assert.equal(refunded!.n, N - K, 'every charged order that could not get stock was refunded')
    if (mode.name === 'choreography') {
      assert.equal((await recordsOf(saga, 'payments.refunded', ids)).length, N - K, 'one payments.refunded each')
    } else {
      const refunds = (await recordsOf(saga, 'payments.replies', ids)).filter(r => r.value.outcome === 'REFUNDED')
      assert.equal(new Set(refunds.map(r => r.value.eventId)).size, N - K, 'one REFUNDED reply each')
      assert.equal(new Set(refunds.map(r => r.rec.key)).size, N - K)
    }
  })

  test(`${mode.name}: an order past its deadline fails (deadline_exceeded) and its charge never happens (the teacher trigger slow-payment)`, async (t) => {
    const saga = await start(t, mode, { 'checkout-api': { ORDER_DEADLINE_MS: 1500 }, payment: { PAYMENT_SLOW_MS: 4000 } })
    const p = await saga.product(10)
    const [id] = await saga.placeOrders([mode.body('aluno-slow-payment', [{ productId: p, quantity: 1 }])])
    const statuses = await saga.waitTerminal([id!], 15_000)
    assert.deepEqual(statuses.get(id!), { status: 'failed', reason: 'deadline_exceeded' })
    // Past the slow payment's due time: it must have been cancelled, not charged.
    assert.deepEqual(await saga.paymentPastDue(id!, 4000), { status: 'cancelled' })
    assert.deepEqual(await settle(saga, [id!]), [])
    assert.equal((await saga.request('payment', 'GET', `/payments/${id!}`)).body.status, 'cancelled')
    if (mode.name === 'orchestration') {
      // The deadline bounds every step: orders.failed was caused by the orchestrator's FAIL, so
      // checkout-api's own sweeper left this order alone.
      const [fail] = (await recordsOf(saga, 'orders.commands', [id!])).filter(r => r.value.command === 'FAIL')
      const [failed] = await recordsOf(saga, 'orders.failed', [id!])
      assert.equal(failed!.rec.headers[HEADERS.causationId], fail!.value.eventId)
      assert.equal(failed!.rec.headers[HEADERS.sagaMode], 'orchestration')
    }
  })
}
