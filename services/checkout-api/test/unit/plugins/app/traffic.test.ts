import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pickItem } from '../../../../src/plugins/app/traffic.ts'

const products = [
  { id: 'sold-out', priceCents: 100, available: 0 },
  { id: 'few', priceCents: 100, available: 2 },
  { id: 'many', priceCents: 100, available: 500 }
]

test('ordinary generated orders only go to products that can fill them', () => {
  for (let n = 0; n < 30; n++) {
    const { product, quantity } = pickItem(products, n, false, 100)
    assert.ok(product.available >= quantity, `order ${n}: ${quantity} of ${product.id} (available ${product.available})`)
  }
})

test('a deliberate out-of-stock order asks the scarcest product for one unit more than it has', () => {
  assert.deepEqual(pickItem(products.slice(1), 7, true, 100), { product: products[1], quantity: 3 })
})

test('with nothing in stock the orders still go out (and fail at inventory, as they should)', () => {
  const { product } = pickItem([products[0]!], 1, false, 100)
  assert.equal(product.id, 'sold-out')
})
