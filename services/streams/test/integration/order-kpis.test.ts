import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed, OrderKpis } from '@vitrine/contracts'
import { EventProducer, partitionOf, readTopic } from '@vitrine/service-kit'
import { createCatalogTopics, deleteTestTopics, testEnv } from '@vitrine/infra/testing'
import { cancelJob, submitJobs } from '../../src/submit.ts'
import { privateFlink, sqlParams } from '../helpers/flink.ts'

// order_kpis end to end on Flink: a known set of confirmed orders with fixed timestamps, in three
// 1-minute windows; the job's records must equal the KPIs this test computes by itself.

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0)
const MIN = 60_000

test('order_kpis: each 1-minute window\'s orders, revenue, average ticket and unique customers equal the test\'s own count', { timeout: 300_000 }, async (t) => {
  const flink = await privateFlink(t)
  const env = testEnv()
  const stateDir = mkdtempSync(join(tmpdir(), 'streams-test-'))
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = new EventProducer(env.brokers, 'streams-test', pino({ level: 'silent' }))
  const jobs: string[] = []
  t.after(async () => {
    for (const id of jobs) await cancelJob(flink.restUrls, id)
    await producer.close()
    await deleteTestTopics(env)
    rmSync(stateDir, { recursive: true, force: true })
  })
  await createCatalogTopics(env)
  await producer.connect()

  // Three windows; each order has its own customer, total and second inside the window (some customers repeat).
  const orders: OrderConfirmed[] = []
  const customers = ['ana', 'bruno', 'carla', 'diego']
  for (let w = 0; w < 3; w++) {
    for (let i = 0; i < 4 + w * 2; i++) {
      orders.push({ eventId: randomUUID(), orderId: randomUUID(), customerId: customers[(i * (w + 1)) % customers.length]!, totalCents: 1000 + 137 * i + 1000 * w, occurredAt: T0 + w * MIN + i * 7_000 })
    }
  }
  // One order 10 minutes later on every partition moves the watermark past the three windows (they close).
  const flushes: OrderConfirmed[] = []
  for (let p = 0; p < 3; p++) {
    let orderId = randomUUID()
    while (partitionOf(orderId, 3) !== p) orderId = randomUUID()
    flushes.push({ eventId: randomUUID(), orderId, customerId: 'flush', totalCents: 1, occurredAt: T0 + 10 * MIN })
  }
  for (const o of [...orders, ...flushes]) {
    await producer.send({ topic: env.prefix + 'orders.confirmed', key: o.orderId, value: await serde.encode('orders.confirmed', o), headers: {} })
  }

  const expected = [0, 1, 2].map(w => {
    const mine = orders.filter(o => o.occurredAt >= T0 + w * MIN && o.occurredAt < T0 + (w + 1) * MIN)
    const revenue = mine.reduce((s, o) => s + o.totalCents, 0)
    return { windowStart: T0 + w * MIN, windowEnd: T0 + (w + 1) * MIN, orders: mine.length, revenueCents: revenue, avgTicketCents: Math.floor(revenue / mine.length), uniqueCustomers: new Set(mine.map(o => o.customerId)).size }
  })

  const options = { gatewayUrl: flink.gatewayUrl, params: sqlParams(env), jobs: ['order_kpis'] as const, stateFile: join(stateDir, 'jobs.json'), restUrls: flink.restUrls }
  const [first] = await submitJobs(options)
  assert.equal(first!.outcome, 'started')
  jobs.push(first!.jobId)
  // Submitting again starts nothing: the job of that name is running.
  const [again] = await submitJobs(options)
  assert.equal(again!.outcome, 'already-running')
  assert.equal(again!.jobId, first!.jobId)

  const records = await readTopic(env.brokers, env.prefix + 'streams.order-kpis', rs => rs.length >= 3, 180_000)
  const got: OrderKpis[] = []
  for (const r of records) got.push(await serde.decode(r.value!, 'streams.order-kpis') as OrderKpis)
  got.sort((a, b) => a.windowStart - b.windowStart)
  assert.deepEqual(got.map(g => ({ ...g })), expected)
  assert.deepEqual(records.map(r => r.key).sort(), ['2026-01-15 10:00:00.000', '2026-01-15 10:01:00.000', '2026-01-15 10:02:00.000'])
})
