import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mergeItems } from '../../src/stock.ts'

test('the same product twice is reserved once with the quantities added, in a fixed lock order', () => {
  assert.deepEqual(mergeItems([{ productId: 'b', quantity: 1 }, { productId: 'a', quantity: 2 }, { productId: 'b', quantity: 3 }]), [{ productId: 'a', quantity: 2 }, { productId: 'b', quantity: 4 }])
})
