import { test } from 'node:test'
import assert from 'node:assert/strict'
import { priceOrder, requestHash } from '../../src/orders.ts'
import type { ShopError } from '@vitrine/service-kit'

const limits = { MAX_ITEMS: 3, MAX_QUANTITY: 10 }
const catalog = new Map([['a', { priceCents: 10, active: true }], ['b', { priceCents: 1999, active: true }], ['old', { priceCents: 500, active: false }]])

test('each item is priced from the catalog, and the total is computed on the server in cents', () => {
  const { items, totalCents } = priceOrder({ customerId: 'c', items: [{ productId: 'a', quantity: 3 }, { productId: 'b', quantity: 1 }] }, limits, catalog)
  assert.deepEqual(items, [{ productId: 'a', quantity: 3, unitPriceCents: 10 }, { productId: 'b', quantity: 1, unitPriceCents: 1999 }])
  assert.equal(totalCents, 30 + 1999)
})

function rejects (body: Parameters<typeof priceOrder>[0], code: string, field: string, rule: string): void {
  assert.throws(() => priceOrder(body, limits, catalog), (err: ShopError) => {
    const errors = (err.details as { errors: Array<{ field: string, rule: string }> }).errors
    assert.deepEqual(errors.map(e => [e.field, e.rule]), [[field, rule]])
    assert.equal(err.code, code)
    assert.equal(err.statusCode, 400)
    return true
  })
}

test('configured limits are enforced with the field named', () => {
  rejects({ customerId: 'c', items: Array.from({ length: 4 }, () => ({ productId: 'a', quantity: 1 })) }, 'SHOP_ERR_VALIDATION', 'body.items', 'maxItems')
  rejects({ customerId: 'c', items: [{ productId: 'a', quantity: 11 }] }, 'SHOP_ERR_VALIDATION', 'body.items.0.quantity', 'maximum')
})

test('a product missing from the catalog, or inactive, is refused naming the item and the product', () => {
  rejects({ customerId: 'c', items: [{ productId: 'a', quantity: 1 }, { productId: 'nope', quantity: 1 }] }, 'SHOP_ERR_UNKNOWN_PRODUCT', 'body.items.1.productId', 'unknownProduct')
  rejects({ customerId: 'c', items: [{ productId: 'old', quantity: 1 }] }, 'SHOP_ERR_INACTIVE_PRODUCT', 'body.items.0.productId', 'inactiveProduct')
  assert.throws(() => priceOrder({ customerId: 'c', items: [{ productId: 'nope', quantity: 1 }] }, limits, catalog), /nope/)
})

test('the idempotency hash covers what the client sent (not the price it was charged)', () => {
  const body = { customerId: 'c', items: [{ productId: 'a', quantity: 1 }] }
  assert.equal(requestHash(body, 'choreography'), requestHash({ ...body }, 'choreography'))
  assert.notEqual(requestHash(body, 'choreography'), requestHash(body, 'orchestration'))
  assert.notEqual(requestHash(body, 'choreography'), requestHash({ ...body, items: [{ productId: 'a', quantity: 2 }] }, 'choreography'))
  assert.notEqual(requestHash(body, 'choreography'), requestHash({ ...body, customerId: 'd' }, 'choreography'))
})
