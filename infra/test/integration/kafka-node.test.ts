import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bootstrapServers } from '../../src/settings.ts'
import { kafkaTool } from '../../src/kafka-node.ts'
import { cleanup, consumeAndCommit, createTestTopic, openProducer, produceAll, sharedSettings, testAdmin, uniqueName } from '../../src/testing/stack-env.ts'

// The broker started by `make up`, seen through node-rdkafka and through Kafka's own CLI.

test('node-rdkafka: idempotent acks=all produce, consume back, one partition per key, offsets visible to ConsumerGroupCommand', { timeout: 120_000 }, async t => {
  const s = sharedSettings()
  const bootstrap = process.env.KAFKA_BROKERS ?? bootstrapServers(s)
  const admin = testAdmin(t, s)
  const topic = await createTestTopic(t, admin, { partitions: 3, replicationFactor: Math.min(3, s.brokers) })

  const producer = await openProducer(t, bootstrap)
  const keys = Array.from({ length: 8 }, (_, i) => `order-${i}`)
  // Each key is sent five times, interleaved with the others.
  const records = Array.from({ length: 5 }, (_, round) => keys.map(key => ({ key, value: `${key}#${round}` }))).flat()
  const deliveries = await produceAll(producer, topic, records)
  assert.equal(deliveries.length, records.length)

  const partitionOf = new Map<string, Set<number>>()
  for (const d of deliveries) partitionOf.set(d.key, (partitionOf.get(d.key) ?? new Set()).add(d.partition))
  for (const [key, partitions] of partitionOf) assert.equal(partitions.size, 1, `key ${key} landed on partitions ${[...partitions].join(', ')}`)
  // Eight keys over three partitions: the murmur2 partitioner must not put them all in one place.
  assert.ok(new Set(deliveries.map(d => d.partition)).size > 1, 'all keys landed on the same partition')

  const group = uniqueName('test-group')
  cleanup(t, async () => { await admin.deleteGroups({ groups: [group] }) })
  const consumed = await consumeAndCommit(bootstrap, group, topic, records.length)
  assert.deepEqual(consumed.map(c => c.value).sort(), records.map(r => r.value).sort())
  // Within a partition, a key's records come back in the order they were sent.
  for (const key of keys) assert.deepEqual(consumed.filter(c => c.key === key).map(c => c.value), records.filter(r => r.key === key).map(r => r.value))

  const expected = new Map<number, number>()
  for (const d of deliveries) expected.set(d.partition, Math.max(expected.get(d.partition) ?? 0, d.offset + 1))
  const r = await kafkaTool(s, 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', bootstrap, '--describe', '--group', group])
  assert.equal(r.exitCode, 0, r.stderr)
  const rows = describeRows(r.stdout).filter(row => row.TOPIC === topic)
  assert.equal(rows.length, 3, `expected one row per partition in:\n${r.stdout}`)
  for (const row of rows) {
    const partition = Number(row.PARTITION)
    const committed = expected.get(partition) ?? 0
    assert.equal(row['CURRENT-OFFSET'], committed === 0 ? '-' : String(committed), `committed offset of partition ${partition}`)
    assert.equal(row['LOG-END-OFFSET'], String(committed), `log end offset of partition ${partition}`)
  }
})

/** The table `ConsumerGroupCommand --describe` prints, as one object per row keyed by its header. */
function describeRows (stdout: string): Array<Record<string, string>> {
  const lines = stdout.split('\n').map(l => l.trim()).filter(Boolean)
  const headerAt = lines.findIndex(l => l.startsWith('GROUP'))
  if (headerAt < 0) return []
  const header = lines[headerAt]!.split(/\s+/)
  return lines.slice(headerAt + 1).map(l => Object.fromEntries(l.split(/\s+/).map((v, i) => [header[i] ?? String(i), v])))
}
