import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { waitFor } from '@vitrine/infra/testing'
import type { TopicDetail, TopicSummary } from '../../src/lib/kafka-console.ts'
import { gatewayHarness } from './helper.ts'

const h = gatewayHarness()

async function api (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await h.app.inject({ method: method as 'GET', url: path, ...(body !== undefined ? { payload: body as object } : {}) })
  return { status: res.statusCode, body: res.body ? res.json() : null }
}

test('the topic list shows every topic with partitions, replication and message counts; catalog topics are marked and protected', async () => {
  const { status, body } = await api('GET', '/api/topics')
  assert.equal(status, 200)
  assert.ok(body.brokers >= 1)
  const mine = (body.topics as TopicSummary[]).find(t => t.name === h.env.prefix + 'orders.new')
  assert.ok(mine, 'the prefixed catalog topic is listed')
  assert.equal(mine.catalog, true)
  assert.equal(mine.kind, 'event')
  assert.equal(mine.partitions, 3)
  assert.equal(mine.protected, 'catalog')
  assert.ok((body.topics as TopicSummary[]).some(t => t.name === '__consumer_offsets' && t.internal && t.partitions > 0))
  // The registry's storage (Apicurio's kafkasql) sits behind the same "internos" filter as Kafka's own topics.
  const journal = (body.topics as TopicSummary[]).find(t => t.name === 'kafkasql-journal')
  assert.ok(journal, 'the shared registry keeps its schemas in kafkasql-journal')
  assert.equal(journal.internal, true)
  assert.equal(journal.protected, 'registry')
  // What a new topic gets: the brokers' default.replication.factor (the stack sets it to the broker count).
  assert.equal(body.defaultReplicationFactor, Math.min(body.brokers, 3))
})

test('a topic created without a replication factor gets the cluster\'s default', async (t) => {
  const name = `aula-rf-${randomUUID()}`
  t.after(async () => { await h.app.kafkaConsole.deleteTopic(name).catch(() => {}) })
  const rf = (await api('GET', '/api/topics')).body.defaultReplicationFactor as number
  const created = await api('POST', '/api/topics', { name, partitions: 1 })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.equal(created.body.replicationFactor, rf)
  const detail = await waitFor('topic metadata', async () => {
    const r = await api('GET', `/api/topics/${name}`)
    return r.status === 200 && (r.body as TopicDetail).partitionDetails.every(p => p.leader >= 0) ? r.body as TopicDetail : undefined
  }, 15_000)
  assert.equal(detail.partitionDetails[0]!.replicas.length, rf)
})

test('create a topic with configs → 201, it exists with its partitions, leader and ISR; again → 409; delete → 204, then 404', async (t) => {
  const name = `aula-${randomUUID()}`
  t.after(async () => { await h.app.kafkaConsole.deleteTopic(name).catch(() => {}) })
  const created = await api('POST', '/api/topics', { name, partitions: 4, replicationFactor: 1, configs: { 'retention.ms': '3600000', 'cleanup.policy': 'delete' } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.equal(created.body.name, name)
  assert.equal(created.body.partitions, 4)

  const detail = await waitFor('topic metadata', async () => {
    const r = await api('GET', `/api/topics/${name}`)
    return r.status === 200 && (r.body as TopicDetail).partitionDetails.every(p => p.leader >= 0) ? r.body as TopicDetail : undefined
  }, 15_000)
  assert.equal(detail.partitionDetails.length, 4)
  for (const p of detail.partitionDetails) {
    assert.equal(p.replicas.length, 1)
    assert.deepEqual(p.isr, p.replicas)
    assert.equal(p.low, 0)
    assert.equal(p.high, 0)
  }
  const retention = detail.configs.find(c => c.name === 'retention.ms')
  assert.deepEqual(retention && { value: retention.value, source: retention.source }, { value: '3600000', source: 'topic' })
  assert.equal(detail.protected, null)

  const again = await api('POST', '/api/topics', { name, partitions: 1, replicationFactor: 1 })
  assert.equal(again.status, 409)
  assert.equal(again.body.code, 'SHOP_ERR_TOPIC_EXISTS')

  const deleted = await api('DELETE', `/api/topics/${name}`)
  assert.equal(deleted.status, 204)
  await waitFor('topic gone', async () => (await api('GET', `/api/topics/${name}`)).status === 404, 15_000)
  assert.equal((await api('DELETE', `/api/topics/${name}`)).status, 404)
})

test('bad requests name the field: schema rules, cluster rules (replication above the brokers), unknown configs', async () => {
  const shape = await api('POST', '/api/topics', { name: 'tem espaço', partitions: 0, replicationFactor: 1, extra: true })
  assert.equal(shape.status, 400)
  const fields = (shape.body.errors as Array<{ field: string }>).map(e => e.field).sort()
  assert.deepEqual(fields, ['body.extra', 'body.name', 'body.partitions'])

  const brokers = (await api('GET', '/api/topics')).body.brokers as number
  const cluster = await api('POST', '/api/topics', { name: `aula-${randomUUID()}`, partitions: 1, replicationFactor: brokers + 1, configs: { 'retention.ms': 'sempre', 'foo.bar': '1' } })
  assert.equal(cluster.status, 400)
  assert.equal(cluster.body.code, 'SHOP_ERR_VALIDATION')
  assert.deepEqual((cluster.body.errors as Array<{ field: string }>).map(e => e.field).sort(), ['body.configs.foo.bar', 'body.configs.retention.ms', 'body.replicationFactor'])

  const badParam = await api('GET', '/api/topics/n%C3%A3o-v%C3%A1lido')
  assert.equal(badParam.status, 400)
  assert.equal(badParam.body.errors[0].field, 'params.name')
  assert.equal((await api('GET', `/api/topics/missing-${randomUUID()}`)).status, 404)
})

test('catalog, internal and registry topics cannot be deleted from the console', async () => {
  const catalog = await api('DELETE', `/api/topics/${h.env.prefix}orders.new`)
  assert.equal(catalog.status, 409)
  assert.equal(catalog.body.code, 'SHOP_ERR_TOPIC_PROTECTED')
  const internal = await api('DELETE', '/api/topics/__consumer_offsets')
  assert.equal(internal.status, 409)
  assert.ok((await h.app.kafkaConsole.topicNames()).includes(h.env.prefix + 'orders.new'), 'still there')
})

test('the catalog is served for the flow graph', async () => {
  const { status, body } = await api('GET', '/api/catalog')
  assert.equal(status, 200)
  assert.equal(body.prefix, h.env.prefix)
  const approved = body.topics.find((t: { name: string }) => t.name === 'payments.approved')
  assert.deepEqual(approved.writers, ['payment'])
  assert.ok(approved.readers.includes('inventory'))
})
