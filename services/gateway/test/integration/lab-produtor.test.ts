import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readTopicNow } from '@vitrine/service-kit'
import type { ProducerLabStateType as ProducerLabState, ProducerRunType as ProducerLabRun } from '../../src/schemas/lab-produtor.ts'
import { gatewayHarness } from './helper.ts'

// The producer lab's routes against the shared broker: what a run answers is checked against a read
// of the topic of our own (node-rdkafka, offsets and values), and the fault step's duplicates appear
// only without idempotence.

const h = gatewayHarness()
const BASE = '/api/lab/produtor/topics'

async function api (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await h.app.inject({ method: method as 'GET', url: path, ...(body !== undefined ? { payload: body as object } : {}) })
  return { status: res.statusCode, body: res.body ? res.json() : null }
}

const fields = (body: any): string[] => (body.errors ?? []).map((e: { field: string }) => e.field)
const shortName = (suffix: string): string => `${suffix}-${h.env.id}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)

async function run (name: string, body: Record<string, unknown>): Promise<ProducerLabRun> {
  const r = await api('POST', `${BASE}/${name}/runs`, body)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  return r.body as ProducerLabRun
}

test('acks 0/1/all, linger.ms 0 vs 40, and a dropped answer with and without idempotence: the runs answer what the broker stored', { timeout: 60_000 }, async (t) => {
  const name = shortName('p')
  const topic = `${h.env.prefix}lab.produtor.${name}`
  t.after(async () => { await h.app.kafkaConsole.deleteTopic(topic).catch(() => {}) })

  const created = await api('POST', BASE, { name })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.deepEqual(created.body, { name, topic })
  assert.equal((await api('POST', BASE, { name })).body.code, 'SHOP_ERR_TOPIC_EXISTS')
  assert.ok((await api('GET', BASE)).body.topics.some((x: { topic: string }) => x.topic === topic))

  // acks: every record stored; acks=0's reports name no offset, the others name the stored ones.
  const a0 = await run(name, { count: 50, acks: '0' })
  assert.equal(a0.delivered, 50)
  assert.equal(a0.knownOffsets, 0)
  assert.equal(a0.offsets, null)
  assert.ok(a0.reports.every(r => r.offset === null && r.rawOffset < 0), JSON.stringify(a0.reports.slice(0, 2)))
  assert.deepEqual([a0.stored.from, a0.stored.to, a0.stored.records], [0, 50, 50])
  const a1 = await run(name, { count: 50, acks: '1' })
  assert.deepEqual([a1.knownOffsets, a1.offsets], [50, { first: 50, last: 99 }])
  const all = await run(name, { count: 50, acks: 'all' })
  assert.deepEqual(all.offsets, { first: 100, last: 149 })
  assert.equal(all.config.acks, 'all')
  for (const r of [a0, a1, all]) assert.ok(r.elapsedMs > 0 && r.produceRequests !== null && r.produceRequests >= 1, JSON.stringify({ elapsed: r.elapsedMs, requests: r.produceRequests }))

  // linger.ms: records arriving every 2 ms go nearly one per batch with 0, several per batch with 40.
  const l0 = await run(name, { count: 40, acks: 'all', lingerMs: 0, spacingMs: 2 })
  const l40 = await run(name, { count: 40, acks: 'all', lingerMs: 40, spacingMs: 2 })
  for (const r of [l0, l40]) {
    assert.equal(r.stored.records, 40)
    assert.equal(r.stored.batches.reduce((n, b) => n + b.records, 0), 40, 'the batches hold every record of the run')
    assert.equal(r.produceRequests, r.stored.batchCount, 'one partition: one batch per Produce request')
  }
  assert.ok(l0.stored.batchCount > 2 * l40.stored.batchCount, `linger.ms 0: ${l0.stored.batchCount} batches, 40: ${l40.stored.batchCount}`)
  assert.ok(l40.stored.batchCount <= 6, `linger.ms 40 over ~80 ms of records: ${l40.stored.batchCount} batches`)

  // The dropped answer: without idempotence the batch is stored twice; with it, once.
  const off = await run(name, { count: 10, acks: 'all', lingerMs: 20, fault: true })
  assert.equal(off.proxy?.droppedResponses, 1)
  assert.ok((off.proxy?.produceRequests ?? 0) >= 2, JSON.stringify(off.proxy))
  assert.equal(off.delivered, 10)
  assert.equal(off.stored.records, 20, 'the retried batch was written again')
  assert.equal(off.duplicates.length, 10)
  assert.ok(off.stored.batches.every(b => b.producerId === -1 && b.baseSequence === -1))
  const on = await run(name, { count: 10, acks: 'all', lingerMs: 20, fault: true, idempotence: true })
  assert.equal(on.proxy?.droppedResponses, 1)
  assert.ok((on.proxy?.produceRequests ?? 0) >= 2, JSON.stringify(on.proxy))
  assert.equal(on.stored.records, 10, 'the broker recognised the retried batch')
  assert.deepEqual(on.duplicates, [])
  assert.equal(on.stored.batchCount, 1)
  assert.ok(on.stored.batches[0]!.producerId >= 0 && on.stored.batches[0]!.baseSequence === 0, JSON.stringify(on.stored.batches[0]))
  assert.deepEqual(on.offsets, { first: on.stored.from, last: on.stored.from + 9 }, 'the reports name the first write\'s offsets')

  // The state is the topic's: the same offsets and values as a reader of our own gets.
  const state = (await api('GET', `${BASE}/${name}`)).body as ProducerLabState
  const stored = await readTopicNow(h.env.brokers, topic, 15_000)
  assert.equal(state.high, stored.length)
  const p0 = (await h.app.kafkaReader.metadata(topic)).topics[0]!.partitions[0]!
  assert.deepEqual([state.replicas, state.isr], [p0.replicas!.length, p0.isrs!.length])
  assert.equal(state.batches.reduce((n, b) => n + b.records, 0), stored.length)
  const values = stored.map(r => r.value?.toString() ?? '')
  const twice = [...new Set(values.filter((v, i) => values.indexOf(v) !== i))].sort()
  assert.deepEqual(state.duplicates.map(d => d.value).sort(), twice)
  assert.deepEqual(twice, off.duplicates.map(d => d.value).sort())

  assert.equal((await api('DELETE', `${BASE}/${name}`)).status, 204)
  assert.equal((await api('GET', `${BASE}/${name}`)).status, 404)
})

test('bad input: 400 naming the field and the rule; an unknown lab topic 404', async () => {
  const bad = async (body: Record<string, unknown>, field: string): Promise<void> => {
    const r = await api('POST', `${BASE}/qualquer/runs`, body)
    assert.equal(r.status, 400, JSON.stringify(r.body))
    assert.ok(fields(r.body).length > 0 && fields(r.body).every(f => f === field), `${field}: ${JSON.stringify(r.body)}`)
  }
  await bad({ count: 10, acks: '2' }, 'body.acks')
  await bad({ count: 10, acks: 2 }, 'body.acks')
  await bad({ count: 0, acks: 'all' }, 'body.count')
  await bad({ count: 100000, acks: 'all' }, 'body.count')
  await bad({ count: 10, acks: 'all', lingerMs: 5000 }, 'body.lingerMs')
  await bad({ count: 10, acks: 'all', lingerMs: -1 }, 'body.lingerMs')
  await bad({ count: 10, acks: 'all', batchSize: 10 }, 'body.batchSize')
  await bad({ count: 10, acks: 'all', spacingMs: 500 }, 'body.spacingMs')
  await bad({ count: 5000, acks: 'all', spacingMs: 10 }, 'body.spacingMs')
  await bad({ count: 10, acks: '1', idempotence: true }, 'body.idempotence')
  await bad({ count: 10, acks: '0', fault: true }, 'body.fault')
  await bad({ acks: 'all' }, 'body.count')
  const rule = await api('POST', `${BASE}/qualquer/runs`, { count: 10, acks: '1', idempotence: true })
  assert.match(JSON.stringify(rule.body), /acks=all/)
  const name = await api('POST', BASE, { name: 'Nome Ruim' })
  assert.equal(name.status, 400)
  assert.deepEqual(fields(name.body), ['body.name'])
  const missing = await api('GET', `${BASE}/nao-existe`)
  assert.equal(missing.status, 404)
  assert.equal(missing.body.code, 'SHOP_ERR_TOPIC_NOT_FOUND')
  assert.equal((await api('POST', `${BASE}/nao-existe/runs`, { count: 1, acks: 'all' })).status, 404)
})
