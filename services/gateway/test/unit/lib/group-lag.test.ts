import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lagOf, readsFromEarliest } from '../../../src/lib/kafka-console.ts'
import { isRegistryOwned } from '../../../src/lib/topic-validation.ts'

test('lag: end − committed; with no commit, 0 on an empty partition, end − start for a group that reads from the earliest offset, else unknown', () => {
  assert.equal(lagOf(7, 0, 10, false), 3)
  assert.equal(lagOf(12, 0, 10, false), 0, 'never negative')
  assert.equal(lagOf(null, 0, 0, false), 0, 'never written')
  assert.equal(lagOf(null, 40, 40, false), 0, 'everything deleted by retention')
  assert.equal(lagOf(null, 4, 10, true), 6, 'earliest: every retained record is still to read')
  assert.equal(lagOf(null, 4, 10, false), null, 'a foreign group may start at the end (latest): not made up')
})

test('Vitrine\'s own groups read from the earliest offset; others are not assumed to', () => {
  for (const g of ['payment', 'checkout-api', 'checkout-api-catalog', 'notification-t1a2b3c4', 'sales-counter']) assert.equal(readsFromEarliest(g), true, g)
  for (const g of ['console-consumer-123', 'apicurio-registry-abc', 'gateway', 'lab-group']) assert.equal(readsFromEarliest(g), false, g)
})

test('the Schema Registry\'s own topics and groups are recognised by name or prefix', () => {
  for (const n of ['kafkasql-journal', 'kafkasql-snapshots', 'apicurio-registry-x1', 'kafkasql-consumer-7']) assert.equal(isRegistryOwned(n), true, n)
  assert.equal(isRegistryOwned('_schemas', ['_schemas']), true)
  for (const n of ['orders.new', 'apicurio', 'my-kafkasql-copy']) assert.equal(isRegistryOwned(n), false, n)
})
