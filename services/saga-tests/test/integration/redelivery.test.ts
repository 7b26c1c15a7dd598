import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { HEADERS } from '@vitrine/contracts'
import { EventProducer } from '@vitrine/service-kit'
import { groupCaughtUp, readAllNow, readTopic, waitFor } from '@vitrine/infra/testing/saga'
import { Saga, orderBody, settle, violations } from '../../src/index.ts'

test('a poison message on orders.new lands in orders.dlq with its origin, and the orders after it on the same partition still complete', async (t) => {
  const saga = await Saga.start()
  const raw = new EventProducer(saga.env.brokers, 'poison-test', pino({ level: 'silent' }))
  await raw.connect()
  t.after(async () => { await raw.close(); await saga.close() })
  const p = await saga.product(100)
  // Poison every partition, so whatever partition the next orders land on has one before them.
  const poisons = await Promise.all([0, 1, 2].map(async n => await raw.send({ topic: saga.env.prefix + 'orders.new', key: `veneno-${n}`, value: Buffer.from(`{"not":"avro ${n}"}`), headers: { [HEADERS.sagaMode]: 'choreography' } })))
  const ids = await saga.placeOrders(Array.from({ length: 6 }, (_, i) => orderBody(`depois-do-veneno-${i}`, [{ productId: p, quantity: 1 }])))
  const statuses = await saga.waitTerminal(ids)
  assert.ok([...statuses.values()].every(s => s.status === 'confirmed'))
  assert.deepEqual(await settle(saga, ids), [])

  const dlq = await readTopic(saga.env.brokers, saga.env.prefix + 'orders.dlq', rs => rs.filter(r => r.key?.startsWith('veneno-') && r.headers[HEADERS.failedBy]?.startsWith('payment/')).length >= 3, 20_000)
  for (const poison of poisons) {
    const dead = dlq.find(r => r.headers[HEADERS.failedBy]?.startsWith('payment/') && Number(r.headers[HEADERS.originalPartition]) === poison.partition && Number(r.headers[HEADERS.originalOffset]) === poison.offset)
    assert.ok(dead, `poison at partition ${poison.partition} offset ${poison.offset} is in the DLQ`)
    assert.equal(dead.headers[HEADERS.originalTopic], saga.env.prefix + 'orders.new')
    assert.ok(dead.headers[HEADERS.error])
    assert.equal(dead.headers[HEADERS.attempts], '0', 'not retried: it can never decode')
  }
})

test('a redelivered event (same eventId) changes nothing: payments.approved twice reserves once', async (t) => {
  const saga = await Saga.start()
  const raw = new EventProducer(saga.env.brokers, 'dup-test', pino({ level: 'silent' }))
  await raw.connect()
  t.after(async () => { await raw.close(); await saga.close() })
  const p = await saga.product(10)
  const [id] = await saga.placeOrders([orderBody('duplicado', [{ productId: p, quantity: 2 }])])
  await saga.waitTerminal([id!])
  assert.deepEqual(await settle(saga, [id!]), [])
  const approved = (await readAllNow(saga.env.brokers, saga.env.prefix + 'payments.approved')).filter(r => r.key === id)
  assert.equal(approved.length, 1)
  // Deliver the very same record again, twice, as a consumer restart would.
  for (let i = 0; i < 2; i++) await raw.send({ topic: saga.env.prefix + 'payments.approved', key: id!, value: approved[0]!.value!, headers: approved[0]!.headers })
  await waitFor('inventory to consume the duplicates', async () => await groupCaughtUp(saga.env.brokers, `inventory${saga.env.groupSuffix}`, saga.env.prefix + 'payments.approved'), 15_000)
  // Checked in the databases only: the topic now holds the copies this test injected.
  assert.deepEqual(await violations(saga, [id!]), [])
  const product = (await saga.request('inventory', 'GET', `/products/${p}`)).body
  assert.equal(product.stock, 8, 'sold once')
  const [moves] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('inventory')}.stock_movements where order_id = $1 and movement_type = 'reserve'`, [id!])
  assert.equal(moves!.n, 1)
})
