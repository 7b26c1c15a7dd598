import { test } from 'node:test'
import assert from 'node:assert/strict'
import { priceOrder } from '../../src/orders.ts'
import type { ShopError } from '@vitrine/service-kit'

const limits = { MAX_ITEMS: 3, MAX_QUANTITY: 10 }

test('the total is computed on the server, in cents, without float drift', () => {
  const { items, totalCents } = priceOrder({ customerId: 'c', items: [{ productId: 'a', quantity: 3, price: 0.1 }, { productId: 'b', quantity: 1, price: 19.99 }] }, limits)
  assert.deepEqual(items.map(i => i.unitPriceCents), [10, 1999])
  assert.equal(totalCents, 30 + 1999)
})

function rejects (body: Parameters<typeof priceOrder>[0], field: string, rule: string): void {
  assert.throws(() => priceOrder(body, limits), (err: ShopError) => {
    const errors = (err.details as { errors: Array<{ field: string, rule: string }> }).errors
    assert.deepEqual(errors.map(e => [e.field, e.rule]), [[field, rule]])
    assert.equal(err.statusCode, 400)
    return true
  })
}

test('configured limits and price precision are enforced with the field named', () => {
  rejects({ customerId: 'c', items: Array.from({ length: 4 }, () => ({ productId: 'a', quantity: 1, price: 1 })) }, 'body.items', 'maxItems')
  rejects({ customerId: 'c', items: [{ productId: 'a', quantity: 11, price: 1 }] }, 'body.items.0.quantity', 'maximum')
  rejects({ customerId: 'c', items: [{ productId: 'a', quantity: 1, price: 0.004 }] }, 'body.items.0.price', 'exclusiveMinimum')
  rejects({ customerId: 'c', items: [{ productId: 'a', quantity: 1, price: 2 }, { productId: 'b', quantity: 1, price: 2.345 }] }, 'body.items.1.price', 'multipleOf')
})
