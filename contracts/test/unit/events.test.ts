import assert from 'node:assert/strict'
import { test } from 'node:test'
import avro from 'avsc'
import type { AvroTopicValues, Item } from '../../src/events.ts'
import { latestSchema } from '../../src/schemas.ts'
import { TOPICS, findTopic } from '../../src/topics.ts'

// One typed sample per topic: the compiler checks it against events.ts, avsc against the latest .avsc.
const base = { eventId: 'e-1', orderId: 'o-1', occurredAt: 1_760_000_000_000 }
const items: Item[] = [{ productId: 'p-1', quantity: 2 }]

const samples: { [T in keyof AvroTopicValues]: AvroTopicValues[T] } = {
  'products.catalog': { eventId: 'e-1', productId: 'p-1', name: 'Camiseta Kafka', priceCents: 4990, currency: 'BRL', active: true, version: 3, occurredAt: 1_760_000_000_000 },
  'orders.new': { ...base, customerId: 'c-1', items: [{ productId: 'p-1', quantity: 2, unitPriceCents: 1990 }], totalCents: 3980, currency: 'BRL', deadlineAt: 1_760_000_030_000, channel: 'web' },
  'payments.requested': { ...base, paymentId: 'pay-1', customerId: 'c-1', amountCents: 3980 },
  'payments.approved': { ...base, paymentId: 'pay-1', customerId: 'c-1', amountCents: 3980, items },
  'payments.failed': { ...base, paymentId: 'pay-1', customerId: 'c-1', reason: 'cartão recusado' },
  'payments.refunded': { ...base, paymentId: 'pay-1', customerId: 'c-1', amountCents: 3980, reason: 'sem estoque' },
  'inventory.reserved': { ...base, customerId: 'c-1', items },
  'inventory.failed': { ...base, customerId: 'c-1', reason: 'sem estoque', productId: null, requested: 2, available: 0 },
  'inventory.released': { ...base, customerId: 'c-1', items, reason: 'pedido falhou' },
  'orders.confirmed': { ...base, customerId: 'c-1', totalCents: 3980 },
  'sales.totals': { eventId: 'e-1', counter: 'totals', orders: 12, revenueCents: 47_760, mode: 'EXACTLY_ONCE', positions: [{ partition: 0, offset: 7 }], instanceId: 'main', occurredAt: 1_760_000_000_000 },
  'orders.failed': { ...base, customerId: 'c-1', reason: 'PAYMENT_DECLINED', detail: null },
  'notifications.sent': { ...base, customerId: 'c-1', kind: 'ORDER_CONFIRMED', channels: ['email', 'sms'] },
  'payments.commands': { ...base, command: 'CHARGE', customerId: 'c-1', amountCents: 3980, items, reason: null },
  'payments.replies': { ...base, command: 'REFUND', outcome: 'NOTHING_TO_REFUND', paymentId: 'pay-1', reason: 'nada a estornar' },
  'inventory.commands': { ...base, command: 'RESERVE', customerId: 'c-1', items, reason: null },
  'inventory.replies': { ...base, command: 'RESERVE', outcome: 'FAILED', reason: 'sem estoque', productId: 'p-1' },
  'orders.commands': { ...base, command: 'FAIL', reason: 'TIMEOUT', detail: 'prazo de 30s esgotado' },
  'streams.order-kpis': { windowStart: 1_760_000_040_000, windowEnd: 1_760_000_100_000, orders: 3, revenueCents: 11940, avgTicketCents: 3980, uniqueCustomers: 2 },
  'streams.top-products': { windowStart: 1_760_000_040_000, windowEnd: 1_760_000_100_000, rank: 1, productId: 'p-1', quantity: 5, orders: 2, revenueCents: 9950 },
  'streams.live-kpis': { bucketStart: 1_760_000_100_000, orders: 3, revenueCents: 11940, avgTicketCents: 3980, uniqueCustomers: 2 },
  'streams.enriched-orders': { orderId: 'o-1', customerId: 'c-1', customerName: 'Ana', customerTier: 'gold', productId: 'p-1', productName: null, quantity: 2, unitPriceCents: 1990, catalogPriceCents: null, lineCents: 3980, occurredAt: 1_760_000_000_000 },
  'streams.revenue-by-tier': { tier: 'gold', orders: 2, revenueCents: 7960, avgTicketCents: 3980 }
}

function typeOf (topic: string): avro.Type {
  const schema = findTopic(topic)?.schema
  assert.ok(schema, `${topic} has no Avro schema in the catalog`)
  return avro.Type.forSchema(latestSchema(schema) as avro.Schema)
}

/** The paths avsc rejects, so a failure says which field is wrong. */
function invalidPaths (type: avro.Type, value: unknown): string[] {
  const paths: string[] = []
  // noUndeclaredFields: a field the TypeScript type has and the schema lacks would be silently dropped.
  type.isValid(value, { noUndeclaredFields: true, errorHook: path => paths.push(path.join('.') || '(root)') })
  return paths
}

test('every topic with an Avro schema has a TypeScript type in events.ts, and no type lacks a topic', () => {
  const withSchema = TOPICS.filter(t => t.schema !== null).map(t => t.name).sort()
  assert.deepEqual(Object.keys(samples).sort(), withSchema)
})

test('a typed sample of each topic is valid for its latest schema and survives a round trip', () => {
  for (const [topic, sample] of Object.entries(samples)) {
    const type = typeOf(topic)
    assert.deepEqual(invalidPaths(type, sample), [], `${topic}: fields rejected by the schema`)
    // Decoded records are class instances; compare their plain fields.
    assert.deepEqual(JSON.parse(JSON.stringify(type.fromBuffer(type.toBuffer(sample)))), sample, `${topic}: round trip`)
  }
})

test('the check can fail: a sample with a missing field or a wrong type is rejected, naming the field', () => {
  const type = typeOf('orders.new')
  const { customerId: _dropped, ...missing } = samples['orders.new']
  assert.deepEqual(invalidPaths(type, missing), ['customerId'])
  assert.deepEqual(invalidPaths(type, { ...samples['orders.new'], totalCents: '3980' }), ['totalCents'])
  assert.deepEqual(invalidPaths(typeOf('notifications.sent'), { ...samples['notifications.sent'], kind: 'SHIPPED' }), ['kind'])
  assert.notDeepEqual(invalidPaths(type, { ...samples['orders.new'], shippingCents: 990 }), [], 'a field the schema lacks was accepted')
})
