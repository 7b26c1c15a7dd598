import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { Type } from 'typebox'
import { RETRY_TIERS, TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import pino from 'pino'
import { EventProducer, buildApp, kit, loadConfig, serviceConfig } from '@vitrine/service-kit'
import { bootstrapServers } from '../../src/settings.ts'
import { up } from '../../src/stack.ts'
import { createAdmin } from '../../src/topics.ts'
import { ensureLinks, linkBootstrap, linksClient, linksControlPort } from '../../src/links.ts'
import { dropTestSchemas, freeBrokerBase, isolatedSettings, serviceEnv, testEnv, waitFor } from '../../src/testing/index.ts'

// A broker-link partition between ONE service and Kafka, on a private broker started with the link
// listeners: the service reaches the broker only through its proxy (the metadata it gets back names
// the proxy for every broker), so cutting the proxy isolates it for real: its consumer stalls, its
// sends fail, its readiness goes red, while any other client of the same broker goes on. Healed, the
// held record is handled and readiness is green again. Latency on the link slows its sends.

const SERVICE = 'notification'

test('a partitioned link isolates one service from a broker that stays up; healed, it recovers; latency slows it', { timeout: 240_000 }, async t => {
  // Before isolatedSettings' own hook (hooks run in the order registered): the service and clients
  // close while the broker still runs, or their shutdown waits on a broker that is gone.
  const closers: Array<() => Promise<unknown>> = []
  t.after(async () => { for (const close of closers.reverse()) await close().catch(() => {}) })
  const step = (what: string): void => { t.diagnostic(`${new Date().toISOString()} ${what}`) }
  // freeBrokerBase leaves the link listeners, proxies and control port free too.
  const base = await freeBrokerBase()
  const s = isolatedSettings(t, base)
  await up(s, { only: ['kafka-1'], catalog: false })
  assert.equal(await ensureLinks(s, s.stateDir), true, 'the links process answers')
  const links = linksClient(linksControlPort(s))

  const env = { ...testEnv(), brokers: bootstrapServers(s) }
  const topics = ['orders.confirmed', ...RETRY_TIERS.map(r => r.topic), 'orders.dlq'].map(n => env.prefix + n)
  const admin = createAdmin(env.brokers, 'links-test')
  closers.push(async () => await admin.close())
  await admin.createTopics({ topics, partitions: 1, replicas: 1 })

  const handled = new Map<string, number>()
  const vars = serviceEnv(env, { RETRY_ATTEMPTS: 0, RETRY_TIER_DELAYS_MS: '500,500,500', PRODUCER_MESSAGE_TIMEOUT_MS: 4000, DB_POOL_MAX: 2 })
  const config = loadConfig(serviceConfig({ PORT: Type.Integer({ default: 0 }) }), { ...vars, KAFKA_BROKERS: linkBootstrap(s, SERVICE)! })
  const app = await buildApp('links-test', async (fastify, opts) => {
    await fastify.register(kit, { service: SERVICE, schema: 'links_test', config: opts.config })
    fastify.consumers.add({ reader: SERVICE, group: 'links-test', on: { 'orders.confirmed': async (event) => { handled.set(event.orderId, Date.now()) } } })
  }, config)
  closers.push(async () => await dropTestSchemas(env, ['links_test']))
  closers.push(async () => await app.close())
  // Healed first (closers run last-pushed first): a service closing through a cut link waits on it.
  closers.push(async () => await links.clear(SERVICE))

  // Another client of the same broker, direct: the broker itself never goes away.
  const direct = new EventProducer(env.brokers, 'links-test-direct', pino({ level: 'silent' }))
  await direct.connect()
  closers.push(async () => await direct.close())
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const send = async (): Promise<string> => {
    const orderId = randomUUID()
    const event: OrderConfirmed = { eventId: randomUUID(), orderId, customerId: 'c1', totalCents: 100, occurredAt: Date.now() }
    const value = await serde.encode('orders.confirmed', event)
    await direct.send({ topic: env.prefix + 'orders.confirmed', key: orderId, value, headers: {} })
    return orderId
  }
  const ready = async (): Promise<number> => (await app.inject({ url: '/health/ready' })).statusCode

  const first = await send()
  await waitFor('the first record, through the link', async () => handled.has(first), 60_000)
  await waitFor('readiness green', async () => (await ready()) === 200, 30_000)
  const through = (await links.list()).find(l => l.service === SERVICE)
  assert.ok((through?.connections ?? 0) > 0, 'the service\'s connections go through its proxy')

  step('through the link: ok')
  // The partition.
  const cut = await links.set(SERVICE, { partitioned: true })
  assert.equal(cut?.partitioned, true)
  const held = await send()
  await waitFor('readiness red while partitioned', async () => (await ready()) === 503, 30_000)
  step('readiness red')
  const health = (await app.inject({ url: '/health/ready' })).json() as { checks: { kafka: { status: string, detail?: string } } }
  assert.equal(health.checks.kafka.status, 'fail', 'the kafka check names the broker it cannot reach')
  // Its produce stalls: not acknowledged while the link is cut (it may time out, or go once healed).
  const pending = app.producer.send({ topic: env.prefix + 'orders.dlq', key: 'x', value: Buffer.from('x'), headers: {} }).then(() => 'acked', () => 'rejected')
  const early = await Promise.race([pending, new Promise(resolve => setTimeout(() => resolve('stalled'), 5000))])
  assert.notEqual(early, 'acked', 'a send through the cut link is not acknowledged')
  step(`send through the cut link: ${String(early)}`)
  assert.equal(handled.has(held), false, 'the consumer is stalled: the held record was not handled')
  const other = await send()
  assert.ok(other, 'the broker still takes a direct client\'s records')

  step('healing')
  await links.clear(SERVICE)
  await waitFor('the held records handled once healed', async () => handled.has(held) && handled.has(other), 90_000)
  await waitFor('readiness green again', async () => (await ready()) === 200, 60_000)
  assert.ok(['acked', 'rejected'].includes(await pending), 'the stalled send settled once healed')

  step('healed and ready')
  // Latency: every chunk waits, both ways.
  await links.set(SERVICE, { latencyMs: 700 })
  const started = Date.now()
  await app.producer.send({ topic: env.prefix + 'orders.dlq', key: 'slow', value: Buffer.from('slow'), headers: {} })
  const took = Date.now() - started
  assert.ok(took >= 1300, `a send through a 700 ms link took ${took} ms (request and answer both delayed)`)
  await links.clear(SERVICE)
})
