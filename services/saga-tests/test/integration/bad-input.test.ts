import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readAllNow, readTopic } from '@vitrine/infra/testing/saga'
import { Saga, orderBody } from '../../src/index.ts'

// Bad input through the real services (database, broker, registry): each is a 400 naming the field
// and the rule, in the one SHOP_ERR_* body, and none of it reaches a topic. The inject tests beside
// each service check the same rules without a database; this one checks nothing is produced.
let saga: Saga
before(async () => { saga = await Saga.start({ services: ['inventory', 'checkout-api'] }) })
after(async () => { await saga.close() })

type Err = { field: string, rule: string }
function assertNamed (res: { status: number, body: any }, field: string, rule: string, what: string): void {
  assert.equal(res.status, 400, `${what} → ${res.status} ${JSON.stringify(res.body)}`)
  assert.match(res.body.code, /^SHOP_ERR_/, what)
  assert.ok((res.body.errors as Err[] | undefined)?.some(e => e.field === field && e.rule === rule), `${what}: no error names ${field} (${rule}) in ${JSON.stringify(res.body)}`)
}

test('rejected orders, ids and product changes are 400s with field and rule, and nothing of them reaches orders.new', async () => {
  const rawOrder = async (quantity: string): Promise<{ status: number, body: any }> =>
    await saga.running.get('checkout-api')!.request('POST', '/orders', `{"customerId":"cliente-ruim","items":[{"productId":"prod_1","quantity":${quantity}}]}`, { 'content-type': 'application/json' })
  for (const quantity of ['"2"', 'true', '[2]', '1e400']) assertNamed(await rawOrder(quantity), 'body.items.0.quantity', 'type', `quantity ${quantity}`)

  assertNamed(await saga.request('checkout-api', 'GET', '/orders/%00'), 'params.id', 'noControlCharacters', 'GET /orders/%00')
  assertNamed(await saga.request('inventory', 'GET', '/reservations/%00'), 'params.orderId', 'noControlCharacters', 'GET /reservations/%00')
  assertNamed(await saga.request('inventory', 'POST', '/products', { id: 'p-nul', name: 'Caf\u0000e', priceCents: 100, stock: 1 }), 'body.name', 'noControlCharacters', 'NUL in a product name')
  assertNamed(await saga.request('inventory', 'POST', '/products', { id: 'p-bell', name: 'Sino\u0007', priceCents: 100, stock: 1 }), 'body.name', 'pattern', 'BEL in a product name')
  const products = await saga.sql.unsafe(`select id from ${saga.schema('inventory')}.products where id in ('p-nul', 'p-bell')`)
  assert.equal(products.length, 0, 'a refused product was stored')

  // One good order after all of that: once it is on orders.new, anything produced before it would be too (the outbox keeps order).
  const good = await saga.placeOrder(orderBody('cliente-bom', [{ productId: 'prod_1', quantity: 1 }]))
  assert.equal(good.status, 202, JSON.stringify(good.body))
  const topic = saga.env.prefix + 'orders.new'
  await readTopic(saga.env.brokers, topic, rs => rs.some(r => r.key === good.body.orderId))
  const records = await readAllNow(saga.env.brokers, topic)
  assert.deepEqual(records.map(r => r.key), [good.body.orderId], 'only the good order was produced')
  // Likewise a good product after the refused ones: once checkout-api's replica has it, it is on products.catalog.
  const okProduct = await saga.product(1)
  const catalog = await readAllNow(saga.env.brokers, saga.env.prefix + 'products.catalog')
  assert.ok(catalog.some(r => r.key === okProduct), 'the good product is on products.catalog')
  assert.deepEqual(catalog.filter(r => r.key === 'p-nul' || r.key === 'p-bell').map(r => r.key), [], 'a refused product was published')
})

test('restocks that would overflow the stock column are a 400 naming body.quantity; the stock is unchanged', async () => {
  const id = await saga.product(5)
  const inventory = saga.schema('inventory')
  // Close to the cap without two thousand restocks: the ledger does not matter in this throw-away schema.
  await saga.sql.unsafe(`update ${inventory}.products set stock_quantity = 999999990 where id = $1`, [id])
  const over = await saga.request('inventory', 'POST', `/products/${id}/restock`, { quantity: 1_000_000 })
  assertNamed(over, 'body.quantity', 'maximum', 'restock past the cap')
  assert.match(over.body.errors[0].message, /<= 10\b/)
  const [row] = await saga.sql.unsafe(`select stock_quantity from ${inventory}.products where id = $1`, [id])
  assert.equal(row!.stock_quantity, 999_999_990)
  const fits = await saga.request('inventory', 'POST', `/products/${id}/restock`, { quantity: 10 })
  assert.equal(fits.status, 200, JSON.stringify(fits.body))
  assert.equal(fits.body.stock, 1_000_000_000)
  assertNamed(await saga.request('inventory', 'POST', `/products/${id}/restock`, { quantity: 1 }), 'body.quantity', 'maximum', 'restock at the cap')
  assert.equal((await saga.request('inventory', 'POST', '/products/nao-existe/restock', { quantity: 1 })).status, 404)
})
