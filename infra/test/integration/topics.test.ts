import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigResourceTypes } from '@platformatic/kafka'
import type { TopicSpec } from '@vitrine/contracts'
import { TOPICS, topic } from '@vitrine/contracts'
import { CatalogError, applyCatalog, effectiveSpec } from '../../src/topics.ts'
import { sleep } from '../../src/proc.ts'
import { cleanup, createTestTopic, deleteTopicsIfPresent, sharedSettings, testAdmin, uniqueName } from '../../src/testing/stack-env.ts'

// `make up` applied contracts/src/topics.ts to the broker; these tests read the broker back.

/** A catalog entry for a throw-away topic, shaped like orders.new. */
function testSpec (name: string, changes: Partial<TopicSpec> = {}): TopicSpec {
  return { ...topic('orders.new'), name, replicationFactor: 1, config: { 'cleanup.policy': 'delete', 'retention.ms': '3600000' }, ...changes }
}

test('every catalog topic is on the broker with the partitions, replication and configs of the catalog', async t => {
  const s = sharedSettings()
  const admin = testAdmin(t, s)
  const names = TOPICS.map(spec => spec.name)
  const meta = await admin.metadata({ topics: names, forceUpdate: true })
  const described = await admin.describeConfigs({ resources: names.map(name => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name })) })
  for (const spec of TOPICS) {
    const want = effectiveSpec(spec, s.brokers)
    const onBroker = meta.topics.get(spec.name)
    assert.ok(onBroker, `${spec.name} is missing on the broker`)
    assert.equal(onBroker.partitionsCount, want.partitions, `${spec.name} partitions`)
    for (const p of onBroker.partitions) assert.equal(p.replicas.length, want.replicationFactor, `${spec.name} replication`)
    const configs = new Map((described.find(d => d.resourceName === spec.name)?.configs ?? []).map(c => [c.name, c.value]))
    for (const [key, value] of Object.entries(want.config)) assert.equal(configs.get(key), value, `${spec.name} ${key}`)
  }
})

test('applying the catalog creates a missing topic once, then finds it conforming', async t => {
  const s = sharedSettings()
  const admin = testAdmin(t, s)
  const name = uniqueName('test-catalog')
  cleanup(t, async () => { await deleteTopicsIfPresent(admin, [name]) })
  const spec = testSpec(name)

  const first = await applyCatalog(admin, [spec], s.brokers)
  assert.deepEqual(first, { created: [name], unchanged: [], drift: [], widened: [] })
  const second = await applyCatalog(admin, [spec], s.brokers)
  assert.deepEqual(second, { created: [], unchanged: [name], drift: [], widened: [] })
  const meta = await admin.metadata({ topics: [name], forceUpdate: true })
  assert.equal(meta.topics.get(name)?.partitionsCount, 3)
})

test('a topic whose partitions and configs differ from the catalog is reported as drift and left as it is', async t => {
  const s = sharedSettings()
  const admin = testAdmin(t, s)
  // A longer retention than the catalog's: shortening it would delete records, so it is only reported.
  const name = await createTestTopic(t, admin, { prefix: 'test-drift', partitions: 2, config: { 'retention.ms': '7200000' } })

  const report = await applyCatalog(admin, [testSpec(name)], s.brokers)
  assert.deepEqual(report.created, [])
  assert.deepEqual(report.unchanged, [])
  assert.deepEqual(report.widened, [])
  assert.deepEqual(report.drift.sort((a, b) => a.key.localeCompare(b.key)), [
    { topic: name, key: 'config.retention.ms', expected: '3600000', actual: '7200000' },
    { topic: name, key: 'partitions', expected: '3', actual: '2' }
  ])
  // Reported, never silently changed.
  const meta = await admin.metadata({ topics: [name], forceUpdate: true })
  assert.equal(meta.topics.get(name)?.partitionsCount, 2)
})

test('a retention the catalog widens is applied to the existing topic (a retry tier made when tiers kept one day)', async t => {
  const s = sharedSettings()
  const admin = testAdmin(t, s)
  const name = await createTestTopic(t, admin, { prefix: 'test-widen', partitions: 3, config: { 'retention.ms': '60000' } })

  const report = await applyCatalog(admin, [testSpec(name)], s.brokers)
  assert.deepEqual(report.widened, [{ topic: name, key: 'config.retention.ms', expected: '3600000', actual: '60000' }])
  assert.deepEqual(report.drift, [])
  assert.deepEqual(report.unchanged, [name])
  // The broker applies a config change asynchronously: read it back until it shows (bounded).
  let value: string | null | undefined
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(200)) {
    const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: ['retention.ms'] }] })
    value = described?.configs.find(c => c.name === 'retention.ms')?.value
    if (value === '3600000') break
  }
  assert.equal(value, '3600000')
})

test('an invalid catalog entry fails with a message naming the topic and the key, and creates nothing', async t => {
  const s = sharedSettings()
  const admin = testAdmin(t, s)
  const cases: Array<{ changes: Partial<TopicSpec>, key: string }> = [
    { changes: { config: { 'retention.msec': '1000' } }, key: 'config.retention.msec' },
    { changes: { partitions: 0 }, key: 'partitions' },
    { changes: { partitions: -3 }, key: 'partitions' }
  ]
  for (const { changes, key } of cases) {
    const name = uniqueName('test-invalid')
    cleanup(t, async () => { await deleteTopicsIfPresent(admin, [name]) })
    // A valid entry first: a bad catalog must be refused as a whole, before anything is created.
    const valid = uniqueName('test-valid')
    cleanup(t, async () => { await deleteTopicsIfPresent(admin, [valid]) })
    await assert.rejects(applyCatalog(admin, [testSpec(valid), testSpec(name, changes)], s.brokers), (err: unknown) => {
      assert.ok(err instanceof CatalogError, `expected a CatalogError, got ${String(err)}`)
      assert.equal(err.code, 'SHOP_ERR_CATALOG_INVALID')
      assert.match(err.message, new RegExp(`topic "${name}": ${key.replace(/\./g, '\\.')} `))
      return true
    })
    const existing = await admin.listTopics()
    assert.ok(!existing.includes(name) && !existing.includes(valid), `${key}: a topic was created from an invalid catalog`)
  }
})
