import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { HEADERS } from '@vitrine/contracts'
import type { InventoryFailed, OrderCreated, PaymentReply, Product } from '@vitrine/contracts'
import { outcomeOf, toLiveEvent } from '../../../src/lib/live-event.ts'
import { localDecoder, record, schemaIdFor, wire } from '../../helper.ts'

const orderId = randomUUID()
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v))
const created: OrderCreated = { eventId: randomUUID(), orderId, customerId: 'c-1', items: [{ productId: 'p-1', quantity: 2, unitPriceCents: 1500 }], totalCents: 3000, currency: 'BRL', deadlineAt: 1_700_000_030_000, channel: 'web', occurredAt: 1_700_000_000_000 }

test('a record becomes an event with its coordinates, saga headers, schema id and decoded value', async () => {
  const headers = { [HEADERS.eventType]: 'orders.new', [HEADERS.correlationId]: 'corr-1', [HEADERS.causationId]: 'cause-1', [HEADERS.sagaMode]: 'orchestration', [HEADERS.producer]: 'checkout-api' }
  const e = await toLiveEvent(record('tx1.orders.new', wire('orders.new', created), { partition: 2, offset: 41, key: Buffer.from(orderId), timestamp: 1_700_000_000_123, headerMap: headers }), 'tx1.', localDecoder)
  assert.equal(e.id, 'orders.new/2/41')
  assert.equal(e.topic, 'orders.new', 'the deployment prefix is removed')
  assert.equal(e.kind, 'event')
  assert.equal(e.partition, 2)
  assert.equal(e.offset, 41)
  assert.equal(e.key, orderId)
  assert.equal(e.timestamp, 1_700_000_000_123)
  assert.equal(e.correlationId, 'corr-1')
  assert.equal(e.causationId, 'cause-1')
  assert.equal(e.mode, 'orchestration')
  assert.equal(e.producer, 'checkout-api')
  assert.equal(e.eventType, 'orders.new')
  assert.equal(e.schemaId, schemaIdFor('orders.new'))
  assert.deepEqual(plain(e.value), created)
  assert.equal(e.orderId, orderId)
  assert.equal(e.eventId, created.eventId)
  assert.equal(e.outcome, 'started')
  assert.equal(e.decodeError, null)
  assert.equal(e.origin, null)
  assert.ok(e.size > 5)
})

test('a value that is not in the wire format is shown with its coordinates and the reason, not dropped', async () => {
  const e = await toLiveEvent(record('orders.new', Buffer.from('{"json":true}'), { offset: 7, key: 'order-x' }), '', localDecoder)
  assert.equal(e.value, null)
  assert.match(e.decodeError ?? '', /wire format/)
  assert.equal(e.schemaId, null)
  assert.equal(e.offset, 7)
  assert.equal(e.orderId, 'order-x', 'the key still tells which order it belongs to')
})

test('an unknown schema id or a broken body reports the decoder\'s error', async () => {
  const bad = Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2, 3])
  const e = await toLiveEvent(record('orders.new', bad), '', localDecoder)
  assert.equal(e.schemaId, 0x7f7f)
  assert.match(e.decodeError ?? '', /unknown schema id 32639/)
  const empty = await toLiveEvent(record('orders.new', null), '', localDecoder)
  assert.equal(empty.decodeError, 'record has no value')
})

test('a dead-lettered record carries its origin and the original event', async () => {
  const failed: InventoryFailed = { eventId: randomUUID(), orderId, customerId: 'c', reason: 'out_of_stock', productId: 'p-1', requested: 5, available: 1, occurredAt: 1 }
  const headers = {
    [HEADERS.originalTopic]: 'tx1.inventory.failed',
    [HEADERS.originalPartition]: '1',
    [HEADERS.originalOffset]: '99',
    [HEADERS.error]: 'Error: boom',
    [HEADERS.attempts]: '4',
    [HEADERS.failedBy]: 'payment/payment'
  }
  const e = await toLiveEvent(record('tx1.orders.dlq', wire('inventory.failed', failed), { key: orderId, headerMap: headers }), 'tx1.', localDecoder)
  assert.equal(e.topic, 'orders.dlq')
  assert.equal(e.kind, 'dead-letter')
  assert.equal(e.outcome, 'dead-letter')
  assert.deepEqual(e.origin, { topic: 'inventory.failed', partition: 1, offset: 99, error: 'Error: boom', attempts: 4, failedBy: 'payment/payment' })
  assert.deepEqual(plain(e.value), failed)
})

test('outcomes: success, failure, compensation by topic, and by the value for commands and replies', () => {
  assert.equal(outcomeOf('orders.confirmed', {}), 'success')
  assert.equal(outcomeOf('payments.approved', {}), 'success')
  assert.equal(outcomeOf('payments.failed', {}), 'failure')
  assert.equal(outcomeOf('orders.failed', {}), 'failure')
  assert.equal(outcomeOf('payments.refunded', {}), 'compensation')
  assert.equal(outcomeOf('inventory.released', {}), 'compensation')
  assert.equal(outcomeOf('payments.requested', {}), 'progress')
  assert.equal(outcomeOf('orders.retry.5s', {}), 'retry')
  const reply = (outcome: PaymentReply['outcome']): Partial<PaymentReply> => ({ command: 'CHARGE', outcome })
  assert.equal(outcomeOf('payments.replies', reply('APPROVED')), 'success')
  assert.equal(outcomeOf('payments.replies', reply('DECLINED')), 'failure')
  assert.equal(outcomeOf('payments.replies', reply('REFUNDED')), 'compensation')
  assert.equal(outcomeOf('inventory.commands', { command: 'RESERVE' }), 'progress')
  assert.equal(outcomeOf('inventory.commands', { command: 'RELEASE' }), 'compensation')
  assert.equal(outcomeOf('payments.commands', { command: 'REFUND' }), 'compensation')
  assert.equal(outcomeOf('orders.commands', { command: 'CONFIRM' }), 'success')
  assert.equal(outcomeOf('orders.commands', { command: 'FAIL' }), 'failure')
  assert.equal(outcomeOf('not.in.catalog', {}), 'unknown')
})

test('a saga-mode header outside the two modes is not passed on as a mode', async () => {
  const e = await toLiveEvent(record('orders.new', wire('orders.new', created), { headerMap: { [HEADERS.sagaMode]: 'telepathy' } }), '', localDecoder)
  assert.equal(e.mode, null)
  assert.equal(e.headers[HEADERS.sagaMode], 'telepathy', 'the raw header is still shown')
})

test('a products.catalog record is keyed by productId and belongs to no order', async () => {
  const product: Product = { eventId: randomUUID(), productId: 'prod_1', name: 'Camiseta Kafka', priceCents: 4990, currency: 'BRL', active: true, version: 2, occurredAt: 1 }
  const e = await toLiveEvent(record('products.catalog', wire('products.catalog', product), { key: 'prod_1' }), '', localDecoder)
  assert.equal(e.key, 'prod_1')
  assert.equal(e.orderId, null, 'not an order: it must not appear in the order index')
  assert.deepEqual(plain(e.value), product)
})
