import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readAllNow } from '@vitrine/infra/testing/saga'
import { Saga, orderBody } from '../../src/index.ts'

// POST /orders refuses bad input with the field and the rule named, and writes nothing when it does.
// Inventory runs too: it publishes the seeded catalog that checkout-api prices orders from.
let saga: Saga
before(async () => { saga = await Saga.start({ services: ['inventory', 'checkout-api'] }) })
after(async () => { await saga.close() })

async function outboxCount (): Promise<number> {
  const [r] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('checkout-api')}.outbox`)
  return r!.n as number
}

const good = (): Record<string, unknown> => orderBody('cliente-1', [{ productId: 'prod_1', quantity: 2 }])

const cases: Array<[string, unknown, number, string, string]> = [
  ['missing customerId', { items: [{ productId: 'prod_1', quantity: 1 }] }, 400, 'body.customerId', 'required'],
  ['missing items', { customerId: 'c' }, 400, 'body.items', 'required'],
  ['empty items', { customerId: 'c', items: [] }, 400, 'body.items', 'minItems'],
  ['zero quantity', orderBody('c', [{ productId: 'prod_1', quantity: 0 }]), 400, 'body.items.0.quantity', 'minimum'],
  ['negative quantity', orderBody('c', [{ productId: 'prod_1', quantity: -3 }]), 400, 'body.items.0.quantity', 'minimum'],
  ['fractional quantity', orderBody('c', [{ productId: 'prod_1', quantity: 1.5 }]), 400, 'body.items.0.quantity', 'type'],
  ['quantity over the limit', orderBody('c', [{ productId: 'prod_1', quantity: 101 }]), 400, 'body.items.0.quantity', 'maximum'],
  ['a price set by the client', { customerId: 'c', items: [{ productId: 'prod_1', quantity: 1, price: 0.01 }] }, 400, 'body.items.0.price', 'additionalProperties'],
  ['a price beside the items', { ...orderBody('c', [{ productId: 'prod_1', quantity: 1 }]), price: 0.01 }, 400, 'body.price', 'additionalProperties'],
  ['too many items', orderBody('c', Array.from({ length: 21 }, () => ({ productId: 'prod_1', quantity: 1 }))), 400, 'body.items', 'maxItems'],
  ['a status set by the client', { ...orderBody('c', [{ productId: 'prod_1', quantity: 1 }]), status: 'confirmed' }, 400, 'body.status', 'additionalProperties'],
  ['a total set by the client', { ...orderBody('c', [{ productId: 'prod_1', quantity: 1 }]), totalAmount: 1 }, 400, 'body.totalAmount', 'additionalProperties'],
  ['an unknown item field', { customerId: 'c', items: [{ productId: 'prod_1', quantity: 1, discount: 5 }] }, 400, 'body.items.0.discount', 'additionalProperties'],
  ['an unknown mode', { ...orderBody('c', [{ productId: 'prod_1', quantity: 1 }]), mode: 'telepathy' }, 400, 'body.mode', 'enum']
]

for (const [name, body, status, field, rule] of cases) {
  test(`POST /orders with ${name} → ${status} naming ${field} (${rule}), nothing written`, async () => {
    const before = await outboxCount()
    const res = await saga.placeOrder(body)
    assert.equal(res.status, status)
    assert.equal(res.body.code, 'SHOP_ERR_VALIDATION')
    const hit = (res.body.errors ?? res.body.details?.errors ?? []).find((e: { field: string, rule: string }) => e.field === field)
    assert.ok(hit, `an error names ${field}: ${JSON.stringify(res.body)}`)
    assert.equal(hit.rule, rule)
    assert.equal(await outboxCount(), before, 'no event produced')
  })
}

test('malformed JSON → 400, nothing written', async () => {
  const before = await outboxCount()
  const res = await saga.request('checkout-api', 'POST', '/orders', undefined, { 'content-type': 'application/json' })
  assert.equal(res.status, 400)
  const res2 = await saga.running.get('checkout-api')!.request('POST', '/orders', '{"customerId": "c", "items": [', { 'content-type': 'application/json' })
  assert.equal(res2.status, 400)
  assert.equal(res2.body.code, 'SHOP_ERR_BAD_REQUEST')
  assert.equal(await outboxCount(), before)
})

test('a body over the limit → 413, nothing written', async () => {
  const before = await outboxCount()
  const huge = { customerId: 'c', items: [{ productId: 'x'.repeat(70_000), quantity: 1 }] }
  const res = await saga.placeOrder(huge)
  assert.equal(res.status, 413)
  assert.equal(res.body.code, 'SHOP_ERR_BODY_TOO_LARGE')
  assert.equal(await outboxCount(), before)
})

test('the same Idempotency-Key twice → one order, one orders.new event', async () => {
  const key = randomUUID()
  const first = await saga.placeOrder(good(), { 'idempotency-key': key })
  const second = await saga.placeOrder(good(), { 'idempotency-key': key })
  assert.equal(first.status, 202)
  assert.equal(second.status, 200)
  assert.equal(second.headers['idempotent-replayed'], 'true')
  assert.equal(second.body.orderId, first.body.orderId)
  const events = (await readAllNow(saga.env.brokers, saga.env.prefix + 'orders.new')).filter(r => r.key === first.body.orderId)
  assert.equal(events.length, 1)
  const conflict = await saga.placeOrder(orderBody('cliente-1', [{ productId: 'prod_1', quantity: 1 }]), { 'idempotency-key': key })
  assert.equal(conflict.status, 422)
  assert.equal(conflict.body.code, 'SHOP_ERR_IDEMPOTENCY_MISMATCH')
  assert.ok(!JSON.stringify(conflict.body).includes(first.body.orderId), 'a mismatch never names the other order')
})

test('a valid order → 202 with the orderId, a Location, the total computed by the server from the catalog', async () => {
  const res = await saga.placeOrder(orderBody('c', [{ productId: 'prod_1', quantity: 3 }, { productId: 'prod_2', quantity: 1 }]))
  assert.equal(res.status, 202)
  assert.equal(res.headers.location, `/orders/${res.body.orderId}`)
  assert.equal(res.body.totalCents, 3 * 4990 + 3500, 'the seed\'s prices: prod_1 R$ 49,90, prod_2 R$ 35,00')
  const view = await saga.request('checkout-api', 'GET', res.headers.location!)
  assert.equal(view.status, 200)
  assert.equal(view.body.status, 'pending')
  assert.equal(view.body.history[0].topic, 'orders.new')
  assert.equal((await saga.request('checkout-api', 'GET', `/orders/${randomUUID()}`)).status, 404)
})
