import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SERVICES } from '../../src/services.ts'
import { TOPICS, topic, writersOf } from '../../src/topics.ts'

// The rules of the catalog that the types alone do not enforce.

test('every topic but the shared retry and dead-letter topics has exactly one writing service', () => {
  for (const t of TOPICS) {
    const writers = writersOf(t)
    if (t.kind === 'retry' || t.kind === 'dead-letter') assert.ok(writers.length >= 1, `${t.name} has no writer`)
    else assert.equal(writers.length, 1, `${t.name} is written by ${writers.join(', ')}`)
  }
})

test('writers and readers are services that exist, and every topic is read by someone', () => {
  const known = new Set<string>(SERVICES)
  for (const t of TOPICS) {
    for (const w of writersOf(t)) assert.ok(known.has(w), `${t.name}: unknown writer ${w}`)
    assert.ok(t.readers.length > 0, `${t.name} has no reader`)
    for (const r of t.readers) assert.ok(known.has(r), `${t.name}: unknown reader ${r}`)
  }
})

test('topic names are unique', () => {
  const names = TOPICS.map(t => t.name)
  assert.equal(new Set(names).size, names.length)
})

test('saga topics are keyed by orderId, so all of an order\'s events stay on one partition', () => {
  for (const t of TOPICS) if (t.kind !== 'retry' && t.kind !== 'dead-letter' && t.name !== 'products.catalog' && t.name !== 'sales.totals' && !writersOf(t).includes('streams') && !writersOf(t).includes('connect')) assert.equal(t.key, 'orderId', t.name)
  assert.equal(topic('orders.new').partitions, 3)
})

test('the product catalog is compacted and keyed by productId, written by inventory alone', () => {
  const c = topic('products.catalog')
  assert.equal(c.key, 'productId')
  assert.equal(c.config['cleanup.policy'], 'compact', 'compaction keeps the newest product record per key for ever')
  assert.equal(c.config['retention.ms'], undefined)
  assert.deepEqual(writersOf(c), ['inventory'])
  assert.ok(c.readers.includes('checkout-api'))
})

test('the sales totals are compacted, keyed by the counter, on one partition, written by sales-counter alone', () => {
  const t = topic('sales.totals')
  assert.equal(t.key, 'counter')
  assert.equal(t.partitions, 1, 'one running total, in order')
  assert.equal(t.config['cleanup.policy'], 'compact', 'its last record is the counter\'s whole state')
  assert.deepEqual(writersOf(t), ['sales-counter'])
  assert.ok(t.readers.includes('sales-counter'), 'the counter restores itself from its own output')
})

test('the stream jobs\' outputs are written by streams alone; the tables among them are compacted, the windows\' facts are not', () => {
  const outputs = TOPICS.filter(t => writersOf(t).includes('streams'))
  assert.deepEqual(outputs.map(t => t.name).sort(), ['streams.enriched-orders', 'streams.live-kpis', 'streams.order-kpis', 'streams.revenue-by-tier', 'streams.top-products'])
  for (const t of outputs) assert.deepEqual(writersOf(t), ['streams'], t.name)
  assert.equal(topic('streams.live-kpis').config['cleanup.policy'], 'compact', 'upsert-kafka: the newest record per bucket is its value')
  assert.equal(topic('streams.revenue-by-tier').config['cleanup.policy'], 'compact')
  assert.equal(topic('streams.order-kpis').config['cleanup.policy'], 'delete', 'one record per window, never updated')
  assert.equal(topic('streams.enriched-orders').key, 'orderId')
})

test('the CDC topics are written by Kafka Connect alone, compacted (the newest record per row is its state), in Debezium\'s JSON (no Avro schema), read by the stream jobs', () => {
  const cdc = TOPICS.filter(t => writersOf(t).includes('connect'))
  assert.deepEqual(cdc.map(t => t.name).sort(), ['customers.cdc', 'products.cdc'])
  for (const t of cdc) {
    assert.equal(t.config['cleanup.policy'], 'compact', t.name)
    assert.equal(t.schema, null, t.name)
    assert.deepEqual(t.readers, ['streams'], t.name)
  }
  assert.equal(topic('customers.cdc').key, 'customerId')
  assert.equal(topic('products.cdc').key, 'productId')
})
