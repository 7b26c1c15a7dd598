import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import Kafka from 'node-rdkafka'
import { sharedSettings, testInstructorHeaders, waitFor } from '@vitrine/infra/testing'
import type { GroupDetail } from '../../src/lib/kafka-console.ts'
import type { AclList } from '../../src/wire.ts'
import { gatewayHarness } from './helper.ts'

const h = gatewayHarness()

async function produceTo (brokers: string, topic: string, perPartition: number[]): Promise<void> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': brokers, dr_cb: true }, {})
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  producer.setPollInterval(10)
  const total = perPartition.reduce((a, b) => a + b, 0)
  try {
    await new Promise<void>((resolve, reject) => {
      let n = 0
      producer.on('delivery-report', err => {
        if (err) reject(err)
        else if (++n === total) resolve()
      })
      perPartition.forEach((count, partition) => {
        for (let i = 0; i < count; i++) producer.produce(topic, partition, Buffer.from(`p${partition}-${i}`), `k${i}`, Date.now())
      })
    })
  } finally {
    await new Promise<void>(resolve => producer.disconnect(() => resolve()))
  }
}

test('a consumer group shows its member, its assignment, the committed offset and the lag of each partition', async (t) => {
  const topic = `lag-${randomUUID()}`
  // Partition 2 stays empty and is never committed: its lag is 0 whatever the group's offset reset.
  await h.app.kafkaConsole.createTopic({ name: topic, partitions: 3, replicationFactor: 1 })
  t.after(async () => { await h.app.kafkaConsole.deleteTopic(topic).catch(() => {}) })
  // 10 records on partition 0, 5 on partition 1.
  await waitFor('topic ready', async () => (await h.app.kafkaConsole.describeTopic(topic)).partitionDetails.every(p => p.leader >= 0), 15_000)
  await produceTo(h.env.brokers, topic, [10, 5, 0])

  const group = `lag-group-${randomUUID()}`
  const consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': h.env.brokers, 'group.id': group, 'client.id': 'lag-demo-client', 'enable.auto.commit': false }, { 'auto.offset.reset': 'earliest' })
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  t.after(async () => {
    await new Promise<void>(resolve => consumer.disconnect(() => resolve()))
    await h.app.kafkaConsole.admin.deleteGroups({ groups: [group] }).catch(() => {})
  })
  consumer.subscribe([topic])
  await waitFor('partitions assigned', async () => {
    await new Promise(resolve => consumer.consume(10, () => resolve(null)))
    return consumer.assignments().length === 3
  }, 20_000)
  const counts = await waitFor('watermarks', async () => {
    const w0 = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => consumer.queryWatermarkOffsets(topic, 0, 5000, (e, w) => (e ? reject(e) : resolve(w))))
    const w1 = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => consumer.queryWatermarkOffsets(topic, 1, 5000, (e, w) => (e ? reject(e) : resolve(w))))
    return w0.highOffset + w1.highOffset === 15 ? [w0.highOffset, w1.highOffset] as const : undefined
  })
  // Committed: 2 records short of the end on partition 0, all of partition 1.
  consumer.commitSync([{ topic, partition: 0, offset: counts[0] - 2 }, { topic, partition: 1, offset: counts[1] }])

  const list = await h.app.inject({ method: 'GET', url: '/api/groups' })
  const groups = list.json().groups as Array<{ id: string, internal: boolean }>
  assert.equal(groups.find(g => g.id === group)?.internal, false, 'listed, not as one of the registry\'s')
  // The shared registry (Apicurio's kafkasql storage) reads its journal in apicurio-<uuid> groups: behind the "internos" filter.
  const registry = groups.filter(g => g.id.startsWith('apicurio-'))
  assert.ok(registry.length > 0 && registry.every(g => g.internal), JSON.stringify(registry.slice(0, 3)))

  const detail = await waitFor('group described with its member', async () => {
    const r = await h.app.inject({ method: 'GET', url: `/api/groups/${group}` })
    const g = r.json() as GroupDetail
    return r.statusCode === 200 && g.members.length === 1 && g.partitions.length === 3 ? g : undefined
  }, 20_000)
  assert.equal(detail.state, 'STABLE')
  assert.equal(detail.members[0]!.clientId, 'lag-demo-client')
  assert.deepEqual(detail.members[0]!.assignments, [{ topic, partitions: [0, 1, 2] }])
  assert.deepEqual(detail.partitions.map(p => ({ partition: p.partition, committed: p.committed, end: p.end, lag: p.lag, member: p.member })), [
    { partition: 0, committed: counts[0] - 2, end: counts[0], lag: 2, member: 'lag-demo-client' },
    { partition: 1, committed: counts[1], end: counts[1], lag: 0, member: 'lag-demo-client' },
    { partition: 2, committed: null, end: 0, lag: 0, member: 'lag-demo-client' }
  ])
  assert.equal(detail.totalLag, 2)
})

test('an unknown group is 404', async () => {
  const r = await h.app.inject({ method: 'GET', url: `/api/groups/none-${randomUUID()}` })
  assert.equal(r.statusCode, 404)
  assert.equal(r.json().code, 'SHOP_ERR_GROUP_NOT_FOUND')
})

test('GET /api/acls answers what the broker holds: without an authorizer (KAFKA_AUTH=none) it says so in pt-BR and how to turn it on; with one, the ACLs by principal', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/api/acls', headers: testInstructorHeaders() })
  assert.equal(res.statusCode, 200, res.body)
  const body = res.json() as AclList
  if (sharedSettings().kafkaAuth === 'none') {
    // The broker's own answer (SECURITY_DISABLED), not a guess from our settings.
    assert.equal(body.authorizer, false)
    assert.deepEqual(body.principals, [])
    assert.match(body.note ?? '', /não tem autorizador/)
    assert.match(body.note ?? '', /KAFKA_AUTH=scram make demo/)
    assert.match(body.note ?? '', /runbooks\/07-seguranca\.md/)
  } else {
    assert.equal(body.authorizer, true)
    const checkout = body.principals.find(p => p.principal === 'checkout-api')
    assert.ok(checkout?.acls.some(a => a.resource === 'TOPIC' && a.name === 'orders.confirmed' && a.operation === 'WRITE' && a.permission === 'ALLOW'), JSON.stringify(checkout))
    assert.equal(body.total, body.principals.reduce((n, p) => n + p.acls.length, 0))
  }
})
