import { test } from 'node:test'
import assert from 'node:assert/strict'
import { partitionOf, readTopicNow } from '@vitrine/service-kit'
import type { PartitionsLabAddResult, PartitionsLabSendResult, PartitionsLabState } from '../../src/wire.ts'
import { gatewayHarness } from './helper.ts'

// The partitions lab's routes against the shared broker: every partition and offset they answer
// is checked against the records the broker holds, every prediction against murmur2.

const h = gatewayHarness()
const BASE = '/api/lab/particoes/topics'

async function api (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await h.app.inject({ method: method as 'GET', url: path, ...(body !== undefined ? { payload: body as object } : {}) })
  return { status: res.statusCode, body: res.body ? res.json() : null }
}

function fieldRule (body: any): [string, string] {
  return [body.errors?.[0]?.field, body.errors?.[0]?.rule]
}

test('a lab topic: created, records land where the broker says and murmur2 predicts, partitions added show the keys that move, deleted', { timeout: 60_000 }, async (t) => {
  const name = `aula-${h.env.id}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)
  const topic = `${h.env.prefix}lab.particoes.${name}`
  t.after(async () => { await h.app.kafkaConsole.deleteTopic(topic).catch(() => {}) })

  const created = await api('POST', BASE, { name, partitions: 3 })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.deepEqual(created.body, { name, topic, partitions: 3 })
  assert.equal((await api('POST', BASE, { name, partitions: 3 })).body.code, 'SHOP_ERR_TOPIC_EXISTS')
  const listed = await api('GET', BASE)
  assert.equal(listed.status, 200)
  assert.equal(listed.body.maxPartitions, 12)
  assert.deepEqual(listed.body.topics.find((x: { topic: string }) => x.topic === topic), { name, topic, partitions: 3 })

  // Keyed records: the delivery report's partition is murmur2's; the same key twice, the same partition.
  const keys = ['cliente-1', 'cliente-2', 'cliente-3', 'cliente-4', 'cliente-5', 'cliente-6', 'cliente-1', null, null, null, null, null, null]
  const sent = await api('POST', `${BASE}/${name}/messages`, { keys })
  assert.equal(sent.status, 200, JSON.stringify(sent.body))
  const result = sent.body as PartitionsLabSendResult
  assert.equal(result.partitions, 3)
  assert.equal(result.sent.length, keys.length)
  result.sent.forEach((r, i) => {
    assert.equal(r.key, keys[i])
    assert.equal(r.predicted, keys[i] === null ? null : partitionOf(keys[i]!, 3), `prediction of ${String(keys[i])}`)
    if (r.key !== null) assert.equal(r.partition, r.predicted, `${r.key}: the broker's partition is murmur2's`)
  })
  assert.ok(new Set(result.sent.map(r => r.partition)).size > 1, 'six keys over three partitions are spread')

  // What the broker stores is what the lab answered (partition and offset of each record).
  const stored = await readTopicNow(h.env.brokers, topic)
  assert.equal(stored.length, keys.length)
  for (const r of result.sent) assert.ok(stored.some(s => s.partition === r.partition && s.offset === r.offset && s.key === r.key && s.value?.toString() === r.value), `${String(r.key)} at p${r.partition}#${r.offset} stored`)

  const state = (await api('GET', `${BASE}/${name}`)).body as PartitionsLabState
  assert.equal(state.partitions, 3)
  assert.equal(state.records.length, keys.length)
  assert.ok(state.records.every(r => r.key === null || r.predicted === r.partition))
  assert.deepEqual(state.keys.find(k => k.key === 'cliente-1'), { key: 'cliente-1', partitions: [partitionOf('cliente-1', 3)], last: partitionOf('cliente-1', 3), now: partitionOf('cliente-1', 3) })

  // Growing the topic: a key moves when murmur2 mod 7 differs from where its records are.
  assert.deepEqual(fieldRule((await api('POST', `${BASE}/${name}/partitions`, { partitions: 3 })).body), ['body.partitions', 'minimum'])
  const grown = await api('POST', `${BASE}/${name}/partitions`, { partitions: 7 })
  assert.equal(grown.status, 200, JSON.stringify(grown.body))
  const add = grown.body as PartitionsLabAddResult
  assert.deepEqual([add.before, add.after], [3, 7])
  const distinct = [...new Set(keys.filter((k): k is string => k !== null))]
  assert.deepEqual(add.keys.map(k => k.key).sort(), distinct.sort())
  for (const k of add.keys) assert.deepEqual(k, { key: k.key, from: partitionOf(k.key, 3), to: partitionOf(k.key, 7), moved: partitionOf(k.key, 3) !== partitionOf(k.key, 7) })
  assert.ok(add.keys.some(k => k.moved), 'some of six keys change partition from 3 to 7')

  // After the change, a moved key's new record goes to its new partition (the lab's producer sees the 7 partitions).
  const moved = add.keys.find(k => k.moved)!
  const again = (await api('POST', `${BASE}/${name}/messages`, { keys: [moved.key] })).body as PartitionsLabSendResult
  assert.equal(again.partitions, 7)
  assert.deepEqual([again.sent[0]!.partition, again.sent[0]!.predicted], [moved.to, moved.to])
  const after = (await api('GET', `${BASE}/${name}`)).body as PartitionsLabState
  assert.deepEqual(after.keys.find(k => k.key === moved.key)!.partitions, [moved.from, moved.to].sort((a, b) => a - b), 'the key now has records in two partitions')
  // Old records keep the prediction made with the count they were sent with (the lab-partitions header).
  assert.ok(after.records.every(r => r.key === null || r.predicted === r.partition))

  assert.equal((await api('DELETE', `${BASE}/${name}`)).status, 204)
  assert.equal((await api('GET', `${BASE}/${name}`)).body.code, 'SHOP_ERR_TOPIC_NOT_FOUND')
})

test('bad input: 400 naming the field and the rule; an unknown lab topic is 404', { timeout: 30_000 }, async () => {
  assert.deepEqual(fieldRule((await api('POST', BASE, { name: 'zero', partitions: 0 })).body), ['body.partitions', 'minimum'])
  const thousand = await api('POST', BASE, { name: 'mil', partitions: 1000 })
  assert.equal(thousand.status, 400)
  assert.equal(thousand.body.code, 'SHOP_ERR_VALIDATION')
  assert.deepEqual(fieldRule(thousand.body), ['body.partitions', 'maximum'])
  assert.deepEqual(fieldRule((await api('POST', BASE, { name: 'Com Espaço', partitions: 2 })).body), ['body.name', 'pattern'])
  assert.deepEqual(fieldRule((await api('POST', BASE, { partitions: 2 })).body), ['body.name', 'required'])
  const missing = `nao-existe-${h.env.id}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)
  assert.deepEqual(fieldRule((await api('POST', `${BASE}/${missing}/messages`, { keys: [] })).body), ['body.keys', 'minItems'])
  assert.deepEqual(fieldRule((await api('POST', `${BASE}/${missing}/messages`, { keys: [''] })).body), ['body.keys.0', 'minLength'])
  assert.deepEqual(fieldRule((await api('POST', `${BASE}/${missing}/partitions`, { partitions: 1000 })).body), ['body.partitions', 'maximum'])
  assert.deepEqual(fieldRule((await api('GET', `${BASE}/Mai%C3%BAscula`)).body), ['params.name', 'pattern'])
  for (const [method, path, body] of [['GET', `${BASE}/${missing}`], ['POST', `${BASE}/${missing}/messages`, { keys: ['a'] }], ['POST', `${BASE}/${missing}/partitions`, { partitions: 4 }], ['DELETE', `${BASE}/${missing}`]] as const) {
    const res = await api(method, path, body)
    assert.equal(res.status, 404, `${method} ${path}`)
    assert.equal(res.body.code, 'SHOP_ERR_TOPIC_NOT_FOUND')
  }
})
