import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MESSAGES } from '../../src/notify.ts'

test('each outcome has its channels and a pt-BR message naming the order', () => {
  assert.deepEqual(MESSAGES.ORDER_CONFIRMED.channels, ['email', 'sms', 'push'])
  assert.match(MESSAGES.ORDER_CONFIRMED.text('o-1'), /o-1 foi confirmado/)
  assert.match(MESSAGES.ORDER_FAILED.text('o-2', 'payment_failed'), /o-2.*payment_failed/)
  assert.match(MESSAGES.OUT_OF_STOCK.text('o-3', 'prod_6'), /sem estoque: prod_6/)
})
