import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { HEADERS, RETRY_TIERS, TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import { deleteTestSubjects, dropTestSchemas, readTopic, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer } from '../../src/index.ts'
import { createTopics, deleteTopics, kitServiceApp } from '../helpers/engine.ts'

// The fault toggles of one running service, set over HTTP and effective at once (no restart): a
// slowed handler, failed records through the retry topic to the DLQ, a paused consumer whose lag grows
// while another reason comes and goes, a statement timeout hitting a transaction; each shown in
// /health and cleared with one DELETE.
const env = testEnv()
const TOPICS = ['orders.confirmed', ...RETRY_TIERS.map(t => t.topic), 'orders.dlq']
const handled = new Map<string, number>()
let app: Awaited<ReturnType<typeof kitServiceApp>>
let raw: EventProducer
let serde: TopicSerde

before(async () => {
  await createTopics(env, TOPICS.map(name => ({ name })))
  app = await kitServiceApp(env, { name: 'kit-faults', service: 'notification', schema: 'kit_faults', vars: { RETRY_ATTEMPTS: 0, RETRY_BACKOFF_MS: 10, RETRY_TIER_DELAYS_MS: '200,200,200' } }, consumers => {
    consumers.add({ reader: 'notification', group: 'kit-faults', on: { 'orders.confirmed': async (event) => { handled.set(event.orderId, Date.now()) } } })
  })
  raw = new EventProducer(env.brokers, 'kit-faults-raw', pino({ level: 'silent' }))
  await raw.connect()
  serde = new TopicSerde(env.registryUrl, env.prefix)
})

after(async () => {
  await app?.close()
  await raw?.close()
  await dropTestSchemas(env, ['kit_faults'])
  await deleteTopics(env, TOPICS)
  await deleteTestSubjects(env)
})

/** Sends one orders.confirmed record; returns its order id and when it was acknowledged. */
async function send (): Promise<{ orderId: string, at: number }> {
  const orderId = randomUUID()
  const event: OrderConfirmed = { eventId: randomUUID(), orderId, customerId: 'c1', totalCents: 100, occurredAt: Date.now() }
  await raw.send({ topic: env.prefix + 'orders.confirmed', key: orderId, value: await serde.encode('orders.confirmed', event), headers: {} })
  return { orderId, at: Date.now() }
}

async function put (body: object): Promise<{ active: string[] }> {
  const res = await app.inject({ method: 'PUT', url: '/faults', payload: body })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

interface HealthBody { status: string, checks: Record<string, { status: string, detail?: string }>, faults?: { active: string[] } }
async function health (): Promise<HealthBody> {
  return (await app.inject({ url: '/health' })).json() as HealthBody
}

test('the first record flows with no toggle on', { timeout: 30_000 }, async () => {
  const h = await health()
  assert.deepEqual(h.faults?.active, [])
  assert.equal(h.checks.faults?.status, 'ok')
  const { orderId } = await send()
  await waitFor('the record handled', async () => handled.has(orderId), 20_000)
})

test('handlerDelayMs slows every record from the next one on, shown in /health; DELETE ends it', { timeout: 30_000 }, async () => {
  await put({ handlerDelayMs: 2000 })
  const h = await health()
  assert.deepEqual(h.faults?.active, ['handlerDelayMs=2000'])
  assert.equal(h.checks.faults?.status, 'warn', 'a drill in progress is a warning, not a failure')
  assert.match(h.checks.faults?.detail ?? '', /handlerDelayMs=2000/)
  const slow = await send()
  const at = await waitFor('the slowed record', async () => handled.get(slow.orderId), 20_000)
  assert.ok(at - slow.at >= 1900, `handled ${at - slow.at} ms after it was sent, wanted >= 2000`)
  assert.equal((await app.inject({ method: 'DELETE', url: '/faults' })).statusCode, 200)
  assert.deepEqual((await health()).faults?.active, [])
  const fast = await send()
  const at2 = await waitFor('the record after the clear', async () => handled.get(fast.orderId), 20_000)
  assert.ok(at2 - fast.at < 1900, `handled ${at2 - fast.at} ms after it was sent: the delay is off`)
})

test('failRate fails records through the retry topics to the DLQ (never into silence); cleared, the next record is handled', { timeout: 40_000 }, async () => {
  await put({ failRate: 1, failTopics: ['orders.confirmed'] })
  const bad = await send()
  const retried = await readTopic(env.brokers, env.prefix + RETRY_TIERS[0].topic, rs => rs.some(r => r.key === bad.orderId), 20_000)
  assert.ok(retried.some(r => r.key === bad.orderId), 'the failed record is in the first retry topic')
  const dlq = await readTopic(env.brokers, env.prefix + 'orders.dlq', rs => rs.some(r => r.key === bad.orderId), 20_000)
  const dead = dlq.find(r => r.key === bad.orderId)
  assert.ok(dead)
  assert.match(dead.headers[HEADERS.error] ?? '', /fault toggle failRate=1/)
  assert.equal(handled.has(bad.orderId), false, 'its handler never ran')
  await app.inject({ method: 'DELETE', url: '/faults' })
  const good = await send()
  await waitFor('the record after the clear', async () => handled.has(good.orderId), 20_000)
})

test('pauseConsuming holds the consumers (lag grows) under its own reason: another reason lifted does not resume them', { timeout: 40_000 }, async () => {
  const state = await put({ pauseConsuming: true })
  assert.deepEqual(state.active, ['pauseConsuming'])
  assert.ok(app.consumers.paused().includes('fault'))
  const sent = [await send(), await send(), await send()]
  const lagged = await waitFor('the lag to show the held records', async () => {
    const h = await health()
    const lag = Number(/lag (\d+)/.exec(h.checks.consumers?.detail ?? '')?.[1] ?? 0)
    return lag >= 3 ? h : undefined
  }, 20_000)
  assert.equal(lagged.status, 'ok', 'a paused consumer is not a broken one')
  assert.match(lagged.checks.consumers?.detail ?? '', /paused/)
  app.consumers.pause('operator')
  app.consumers.resume('operator')
  await new Promise(resolve => setTimeout(resolve, 2000))
  assert.equal(sent.filter(s => handled.has(s.orderId)).length, 0, 'still held: the fault pause is its own reason')
  await put({ pauseConsuming: false })
  assert.ok(!app.consumers.paused().includes('fault'))
  await waitFor('the held records handled', async () => sent.every(s => handled.has(s.orderId)), 20_000)
})

test('statementTimeoutMs cancels a longer statement in the service\'s transactions; cleared, it runs', { timeout: 30_000 }, async () => {
  await put({ statementTimeoutMs: 200 })
  await assert.rejects(app.tx(async tx => await tx`select pg_sleep(1)`), (err: { code?: string, message: string }) => err.code === '57014' && /statement timeout/.test(err.message))
  await app.inject({ method: 'DELETE', url: '/faults' })
  const rows = await app.tx(async tx => await tx`select pg_sleep(0.4), 1 as ok`)
  assert.equal(rows[0]?.ok, 1)
})
