import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { TopicSerde } from '@vitrine/contracts'
import type { OrderCreated, Product } from '@vitrine/contracts'
import { readAllNow, waitFor } from '@vitrine/infra/testing/saga'
import { buildApp, loadConfig } from '@vitrine/service-kit'
import checkoutApp from '@vitrine/checkout-api'
import { CheckoutConfig } from '@vitrine/checkout-api/config'
import inventoryApp from '@vitrine/inventory'
import { InventoryConfig } from '@vitrine/inventory/config'
import { publishMissingProducts } from '@vitrine/inventory/products'
import { Saga, orderBody } from '../../src/index.ts'

// The catalog owns prices: inventory publishes products on products.catalog (compacted), checkout-api
// prices each order from its replica of that topic, and the client never sends a price.

async function decoded<T> (saga: Saga, topic: string): Promise<Array<{ key: string | null, value: T }>> {
  const serde = new TopicSerde(saga.env.registryUrl)
  const records = await readAllNow(saga.env.brokers, saga.env.prefix + topic)
  return await Promise.all(records.map(async r => ({ key: r.key, value: await serde.decode(r.value!) as T })))
}

async function outboxCount (saga: Saga): Promise<number> {
  const [r] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('checkout-api')}.outbox`)
  return r!.n as number
}

test('a price change between two orders: each order and its orders.new event carry the price of its time', async (t) => {
  const saga = await Saga.start({ services: ['inventory', 'checkout-api'] })
  t.after(() => saga.close())
  const p = await saga.product(100, 2500)

  const first = await saga.placeOrder(orderBody('cliente-a', [{ productId: p, quantity: 2 }]))
  assert.equal(first.status, 202, JSON.stringify(first.body))
  assert.equal(first.body.totalCents, 5000)

  const changed = await saga.request('inventory', 'PUT', `/products/${p}/price`, { priceCents: 3990 })
  assert.equal(changed.status, 200, JSON.stringify(changed.body))
  assert.equal(changed.body.priceCents, 3990)
  assert.equal(changed.body.version, 2)
  await saga.catalogSynced()

  const second = await saga.placeOrder(orderBody('cliente-b', [{ productId: p, quantity: 2 }]))
  assert.equal(second.status, 202, JSON.stringify(second.body))
  assert.equal(second.body.totalCents, 7980)

  const events = await waitFor('both orders.new events', async () => {
    const all = await decoded<OrderCreated>(saga, 'orders.new')
    const mine = [first.body.orderId, second.body.orderId].map(id => all.find(e => e.key === id)?.value)
    return mine.every(Boolean) ? mine as OrderCreated[] : undefined
  })
  assert.deepEqual(events.map(e => e.items.map(i => i.unitPriceCents)), [[2500], [3990]])
  assert.deepEqual(events.map(e => e.totalCents), [5000, 7980])
  // The order stored by checkout-api keeps its price too.
  assert.equal((await saga.request('checkout-api', 'GET', `/orders/${first.body.orderId}`)).body.items[0].unitPriceCents, 2500)

  // On the topic: the product's states in order, keyed by productId.
  const published = (await decoded<Product>(saga, 'products.catalog')).filter(r => r.key === p).map(r => [r.value.version, r.value.priceCents])
  assert.deepEqual(published, [[1, 2500], [2, 3990]])

  const same = await saga.request('inventory', 'PUT', `/products/${p}/price`, { priceCents: 3990 })
  assert.equal(same.body.version, 2, 'the same price again is not a change')
  for (const [body, field] of [[{ priceCents: 0 }, 'body.priceCents'], [{ priceCents: 10.5 }, 'body.priceCents'], [{ priceCents: 100, name: 'x' }, 'body.name'], [{}, 'body.priceCents']] as const) {
    const bad = await saga.request('inventory', 'PUT', `/products/${p}/price`, body)
    assert.equal(bad.status, 400, JSON.stringify(body))
    assert.equal(bad.body.code, 'SHOP_ERR_VALIDATION')
    assert.ok(JSON.stringify(bad.body).includes(field), `${JSON.stringify(body)} names ${field}: ${JSON.stringify(bad.body)}`)
  }
  assert.equal((await saga.request('inventory', 'PUT', '/products/nao-existe/price', { priceCents: 100 })).status, 404)
})

test('an unknown or inactive product → 400 naming it, before anything is written or produced', async (t) => {
  const saga = await Saga.start({ services: ['inventory', 'checkout-api'] })
  t.after(() => saga.close())
  const p = await saga.product(100, 1000)
  const off = await saga.product(100, 1000)
  const res = await saga.request('inventory', 'PUT', `/products/${off}/active`, { active: false })
  assert.equal(res.status, 200)
  assert.equal(res.body.active, false)
  await saga.catalogSynced()
  const before = await outboxCount(saga)

  const unknown = await saga.placeOrder(orderBody('c', [{ productId: p, quantity: 1 }, { productId: 'prod_fantasma', quantity: 1 }]))
  assert.equal(unknown.status, 400)
  assert.equal(unknown.body.code, 'SHOP_ERR_UNKNOWN_PRODUCT')
  assert.match(unknown.body.message, /prod_fantasma/)
  assert.equal(unknown.body.details.productId, 'prod_fantasma')
  assert.deepEqual(unknown.body.errors.map((e: { field: string, rule: string }) => [e.field, e.rule]), [['body.items.1.productId', 'unknownProduct']])

  const inactive = await saga.placeOrder(orderBody('c', [{ productId: off, quantity: 1 }]))
  assert.equal(inactive.status, 400)
  assert.equal(inactive.body.code, 'SHOP_ERR_INACTIVE_PRODUCT')
  assert.match(inactive.body.message, new RegExp(off))

  const [orders] = await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('checkout-api')}.orders`)
  assert.equal(orders!.n, 0, 'no order stored')
  assert.equal(await outboxCount(saga), before, 'nothing produced')
  assert.deepEqual(await readAllNow(saga.env.brokers, saga.env.prefix + 'orders.new'), [])

  // Active again: it can be ordered again, at its catalog price.
  await saga.request('inventory', 'PUT', `/products/${off}/active`, { active: true })
  await saga.catalogSynced()
  const ok = await saga.placeOrder(orderBody('c', [{ productId: off, quantity: 3 }]))
  assert.equal(ok.status, 202, JSON.stringify(ok.body))
  assert.equal(ok.body.totalCents, 3000)
})

test('the replica is built from the compacted topic: a fresh checkout-api (new group, empty table) prices orders with inventory down', async (t) => {
  const saga = await Saga.start({ services: ['inventory', 'checkout-api'] })
  let closeFresh = async (): Promise<void> => {}
  t.after(async () => {
    await closeFresh().catch(() => {})
    await saga.close()
  })
  const p = await saga.product(100, 1000)
  await saga.request('inventory', 'PUT', `/products/${p}/price`, { priceCents: 1500 })
  await saga.request('inventory', 'PUT', `/products/${p}/price`, { priceCents: 1234 })
  await saga.request('inventory', 'PUT', '/products/prod_6/active', { active: false })
  await saga.catalogSynced()
  const expected = (await saga.request('inventory', 'GET', '/products')).body.products.map((x: { id: string, priceCents: number, active: boolean, version: number }) => [x.id, x.priceCents, x.active, x.version])
  await saga.stopService('inventory')

  const suffix = `_f${randomUUID().slice(0, 6)}`
  const fresh = await buildApp('checkout-api', checkoutApp, loadConfig(CheckoutConfig, { ...saga.envFor('checkout-api'), KAFKA_GROUP_SUFFIX: `${saga.env.groupSuffix}-fresh`, DB_SCHEMA_SUFFIX: saga.env.schemaSuffix + suffix }) as never)
  closeFresh = async () => {
    await fresh.close()
    await saga.sql.unsafe(`drop schema if exists "checkout${saga.env.schemaSuffix}${suffix}" cascade`)
  }
  const replica = await waitFor('the fresh replica to hold every product', async () => {
    const res = await fresh.inject({ method: 'GET', url: '/catalog' })
    const products = res.json().products as Array<{ productId: string, priceCents: number, active: boolean, version: number }>
    return products.length === expected.length ? products : undefined
  })
  assert.deepEqual(replica.map(x => [x.productId, x.priceCents, x.active, x.version]), expected, 'the newest state of each product, old prices left behind')
  const order = await fresh.inject({ method: 'POST', url: '/orders', payload: orderBody('c', [{ productId: p, quantity: 2 }]) })
  assert.equal(order.statusCode, 202, order.body)
  assert.equal(order.json().totalCents, 2468)
  assert.equal((await fresh.inject({ method: 'POST', url: '/orders', payload: orderBody('c', [{ productId: 'prod_6', quantity: 1 }]) })).statusCode, 400)
})

test('at start inventory publishes what the topic lacks, and nothing when it is complete', async (t) => {
  const saga = await Saga.start({ services: ['inventory', 'checkout-api'] })
  t.after(() => saga.close())
  const count = async (): Promise<number> => (await readAllNow(saga.env.brokers, saga.env.prefix + 'products.catalog')).length
  const seeded = await waitFor('the seed on the topic', async () => { const n = await count(); return n >= 6 ? n : undefined })

  const inventory = await buildApp('inventory', inventoryApp, loadConfig(InventoryConfig, saga.envFor('inventory')) as never)
  t.after(() => inventory.close())
  assert.equal(await inventory.catalogCheck, 0, 'the check at start finds the topic complete')
  assert.equal(await publishMissingProducts(inventory, inventory.log as never), 0, 'and so does the next one')

  // A change that never reached the topic (made by hand in the database): published at the next check.
  await saga.sql.unsafe(`update ${saga.schema('inventory')}.products set price_cents = 777, version = version + 1 where id = 'prod_1'`)
  assert.equal(await publishMissingProducts(inventory, inventory.log as never), 1)
  await saga.catalogSynced()
  const [row] = await saga.sql.unsafe(`select price_cents from ${saga.schema('checkout-api')}.catalog_products where product_id = 'prod_1'`)
  assert.equal(Number(row!.price_cents), 777)
  assert.equal(await count(), seeded + 1)
})
