import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readAllNow, waitFor } from '@vitrine/infra/testing/saga'
import { Saga, orderBody } from '../../src/index.ts'

// An Idempotency-Key belongs to the customer that sent it, and a key reused with another body is
// refused with 422 without naming the order that holds it, also when both requests race.

test('Idempotency-Key: scoped to the customer, a mismatch names no order, a race of two bodies gives one order and one 422', async (t) => {
  const saga = await Saga.start({ services: ['inventory', 'checkout-api'] })
  t.after(() => saga.close())
  const p = await saga.product(1000, 1000)

  // Two customers who happen to pick the same key each get their own order.
  const key = randomUUID()
  const ana = await saga.placeOrder(orderBody('ana', [{ productId: p, quantity: 1 }]), { 'idempotency-key': key })
  const bia = await saga.placeOrder(orderBody('bia', [{ productId: p, quantity: 1 }]), { 'idempotency-key': key })
  assert.equal(ana.status, 202)
  assert.equal(bia.status, 202, 'another customer\'s key is not a replay')
  assert.notEqual(bia.body.orderId, ana.body.orderId)
  const replay = await saga.placeOrder(orderBody('ana', [{ productId: p, quantity: 1 }]), { 'idempotency-key': key })
  assert.equal(replay.status, 200)
  assert.equal(replay.body.orderId, ana.body.orderId)

  // A price change between a request and its retry is not a different request.
  await saga.request('inventory', 'PUT', `/products/${p}/price`, { priceCents: 2000 })
  await saga.catalogSynced()
  const retried = await saga.placeOrder(orderBody('ana', [{ productId: p, quantity: 1 }]), { 'idempotency-key': key })
  assert.equal(retried.status, 200)
  assert.equal(retried.body.orderId, ana.body.orderId)
  assert.equal(retried.body.totalCents, 1000, 'the retry answers with the first order, at its price')

  const mismatch = await saga.placeOrder(orderBody('ana', [{ productId: p, quantity: 5 }]), { 'idempotency-key': key })
  assert.equal(mismatch.status, 422)
  assert.equal(mismatch.body.code, 'SHOP_ERR_IDEMPOTENCY_MISMATCH')
  assert.ok(!JSON.stringify(mismatch.body).includes(ana.body.orderId), `no order id in ${JSON.stringify(mismatch.body)}`)
  assert.equal(mismatch.headers.location, undefined)

  // The race: both requests pass the first lookup before either commits, many times over.
  const rounds = 15
  for (let i = 0; i < rounds; i++) {
    const k = randomUUID()
    const answers = await Promise.all([1, 2].map(async q => await saga.placeOrder(orderBody('corrida', [{ productId: p, quantity: q }]), { 'idempotency-key': k })))
    const statuses = answers.map(a => a.status).sort()
    assert.deepEqual(statuses, [202, 422], `round ${i}: ${JSON.stringify(answers.map(a => a.body))}`)
    const winner = answers.find(a => a.status === 202)!
    const loser = answers.find(a => a.status === 422)!
    assert.ok(!JSON.stringify(loser.body).includes(winner.body.orderId), 'the loser is not told the winner\'s order')
  }
  const [row] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('checkout-api')}.orders where customer_id = 'corrida'`)
  assert.equal(row!.n, rounds, 'one order per key')
  const [outbox] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('checkout-api')}.outbox where topic = 'orders.new'`)
  assert.equal(outbox!.n, rounds + 2, 'one orders.new per order, none for a replay or a 422')
  const created = await waitFor('the orders.new events on the topic', async () => {
    const records = await readAllNow(saga.env.brokers, saga.env.prefix + 'orders.new')
    return records.length >= rounds + 2 ? records : undefined
  })
  assert.equal(created.length, rounds + 2)
})
