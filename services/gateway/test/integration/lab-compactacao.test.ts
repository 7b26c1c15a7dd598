import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readTopicNow } from '@vitrine/service-kit'
import { RETENTION_BYTES } from '../../src/lib/lab-compaction.ts'
import type { CompactionLabState } from '../../src/wire.ts'
import { gatewayHarness } from './helper.ts'

// The compaction lab's routes against the shared broker: the log they answer is checked against a
// read of the topic of our own, the settings against what the broker describes.

const h = gatewayHarness()
const BASE = '/api/lab/compactacao/topics'

async function api (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await h.app.inject({ method: method as 'GET', url: path, ...(body !== undefined ? { payload: body as object } : {}) })
  return { status: res.statusCode, body: res.body ? res.json() : null }
}

const fields = (body: any): string[] => (body.errors ?? []).map((e: { field: string }) => e.field)
const shortName = (suffix: string): string => `${suffix}-${h.env.id}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)

test('a compacted lab topic: created with the cleaner settings, keys written, overwritten and deleted (a tombstone), the log answered is the topic\'s, deleted', { timeout: 60_000 }, async (t) => {
  const name = shortName('c')
  const topic = `${h.env.prefix}lab.compactacao.${name}`
  t.after(async () => { await h.app.kafkaConsole.deleteTopic(topic).catch(() => {}) })

  const created = await api('POST', BASE, { name, policy: 'compact' })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.deepEqual(created.body, { name, topic, policy: 'compact' })
  assert.equal((await api('POST', BASE, { name, policy: 'compact' })).body.code, 'SHOP_ERR_TOPIC_EXISTS')
  assert.ok((await api('GET', BASE)).body.topics.some((x: { topic: string, policy: string }) => x.topic === topic && x.policy === 'compact'))

  const written = []
  for (const [key, value] of [['k1', 'a'], ['k1', 'b'], ['k2', 'x'], ['k2', null]] as const) {
    const w = await api('POST', `${BASE}/${name}/records`, { key, value })
    assert.equal(w.status, 200, JSON.stringify(w.body))
    written.push(w.body)
  }
  assert.deepEqual(written.map(w => w.offset), [0, 1, 2, 3])

  const state = (await api('GET', `${BASE}/${name}`)).body as CompactionLabState
  assert.equal(state.policy, 'compact')
  assert.equal(state.configs['cleanup.policy'], 'compact')
  assert.equal(state.configs['min.cleanable.dirty.ratio'], '0.01')
  assert.equal(state.configs['segment.ms'], '1000')
  assert.ok(state.broker['log.cleaner.backoff.ms'] !== undefined, 'the broker\'s cleaner backoff is shown')
  assert.equal(state.high, 4)
  assert.ok(state.sizeBytes !== null && state.sizeBytes > 0, `the partition has bytes on disk (${state.sizeBytes})`)
  const stored = await readTopicNow(h.env.brokers, topic, 15_000)
  assert.deepEqual(state.records.map(r => [r.offset, r.key, r.value]), stored.map(r => [r.offset, r.key, r.value === null ? null : r.value.toString()]))
  assert.deepEqual(state.records.map(r => [r.key, r.value]), [['k1', 'a'], ['k1', 'b'], ['k2', 'x'], ['k2', null]])

  assert.equal((await api('DELETE', `${BASE}/${name}`)).status, 204)
  assert.equal((await api('GET', `${BASE}/${name}`)).status, 404)
})

test('a retention lab topic: delete policy with retention.ms; the earliest offset is the broker\'s low watermark', { timeout: 60_000 }, async (t) => {
  const name = shortName('r')
  const topic = `${h.env.prefix}lab.compactacao.${name}`
  t.after(async () => { await h.app.kafkaConsole.deleteTopic(topic).catch(() => {}) })
  assert.equal((await api('POST', BASE, { name, policy: 'delete' })).status, 201)
  for (const v of ['1', '2', '3']) assert.equal((await api('POST', `${BASE}/${name}/records`, { key: 'k', value: v })).status, 200)
  const state = (await api('GET', `${BASE}/${name}`)).body as CompactionLabState
  assert.equal(state.policy, 'delete')
  assert.equal(state.configs['retention.ms'], '10000')
  assert.equal(state.low, 0)
  assert.equal(state.high, 3)
  assert.deepEqual(state.records.map(r => r.value), ['1', '2', '3'])

  // The deletion itself (10 s of retention, then the broker's check) is waited for in test/full/lab-compactacao-retention.test.ts.
})

test('a size retention lab topic: retention.bytes and no time limit; count writes a burst; the segments are the partition\'s files and add up to its size', { timeout: 60_000 }, async (t) => {
  const name = shortName('s')
  const topic = `${h.env.prefix}lab.compactacao.${name}`
  t.after(async () => { await h.app.kafkaConsole.deleteTopic(topic).catch(() => {}) })
  const created = await api('POST', BASE, { name, policy: 'size' })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.equal(created.body.policy, 'size')
  assert.ok((await api('GET', BASE)).body.topics.some((x: { topic: string, policy: string }) => x.topic === topic && x.policy === 'size'), 'listed as size retention (the broker\'s retention.bytes)')

  const burst = await api('POST', `${BASE}/${name}/records`, { key: 'k', value: 'a', count: 10 })
  assert.equal(burst.status, 200, JSON.stringify(burst.body))
  assert.equal(burst.body.offset, 9, 'the answer is the burst\'s last record')
  const state = (await api('GET', `${BASE}/${name}`)).body as CompactionLabState
  assert.equal(state.policy, 'size')
  assert.deepEqual(state.configs, { 'cleanup.policy': 'delete', 'segment.ms': '1000', 'retention.ms': '-1', 'retention.bytes': String(RETENTION_BYTES) })
  assert.deepEqual([state.low, state.high], [0, 10])
  assert.equal(state.records.length, 10)
  // One segment (a burst is written in well under segment.ms), whose file is what DescribeLogDirs counts.
  assert.equal(state.segments?.length, 1, JSON.stringify(state.segments))
  assert.equal(state.segments[0]!.baseOffset, 0)
  assert.equal(state.segments[0]!.sizeBytes, state.sizeBytes)
  // The size lesson needs a burst to be less than retention.bytes and two bursts to be at least it (lib/lab-compaction.ts).
  assert.ok(state.sizeBytes! < RETENTION_BYTES && 2 * state.sizeBytes! >= RETENTION_BYTES, `a burst of ten is ${state.sizeBytes} bytes against retention.bytes ${RETENTION_BYTES}`)
})

test('bad input: 400 naming the field and the rule; an unknown lab topic 404', async () => {
  const bad = await api('POST', BASE, { name: 'Nome Ruim', policy: 'compact' })
  assert.equal(bad.status, 400)
  assert.deepEqual(fields(bad.body), ['body.name'])
  const policy = await api('POST', BASE, { name: 'ok', policy: 'forever' })
  assert.equal(policy.status, 400)
  assert.ok(fields(policy.body).every(f => f === 'body.policy'), JSON.stringify(policy.body))
  const noKey = await api('POST', `${BASE}/ok/records`, { value: 'a' })
  assert.equal(noKey.status, 400)
  assert.deepEqual(fields(noKey.body), ['body.key'])
  const emptyKey = await api('POST', `${BASE}/ok/records`, { key: '', value: 'a' })
  assert.equal(emptyKey.status, 400)
  assert.deepEqual(fields(emptyKey.body), ['body.key'])
  const noValue = await api('POST', `${BASE}/ok/records`, { key: 'k' })
  assert.equal(noValue.status, 400)
  assert.deepEqual(fields(noValue.body), ['body.value'])
  for (const [count, rule] of [[0, 'minimum'], [101, 'maximum'], [1.5, 'type']] as const) {
    const bad = await api('POST', `${BASE}/ok/records`, { key: 'k', value: 'a', count })
    assert.equal(bad.status, 400, `count ${count}`)
    assert.deepEqual(bad.body.errors.map((e: { field: string, rule: string }) => [e.field, e.rule]), [['body.count', rule]])
  }
  const missing = await api('GET', `${BASE}/nao-existe`)
  assert.equal(missing.status, 404)
  assert.equal(missing.body.code, 'SHOP_ERR_TOPIC_NOT_FOUND')
  assert.equal((await api('POST', `${BASE}/nao-existe/records`, { key: 'k', value: 'v' })).status, 404)
})
