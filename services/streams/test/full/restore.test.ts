import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed, OrderKpis } from '@vitrine/contracts'
import { EventProducer, partitionOf, readTopic } from '@vitrine/service-kit'
import type { StoredRecord } from '@vitrine/service-kit'
import { flinkStateDir, isAlive, latestCheckpoint, readPid, sqlGatewayUrl, up } from '@vitrine/infra'
import { createCatalogTopics, deleteTestTopics, freeBrokerBase, isolatedSettings, testEnv, waitFor } from '@vitrine/infra/testing'
import { jobCheckpoints, jobRestUrl, submitJobs } from '../../src/submit.ts'
import { sqlParams } from '../helpers/flink.ts'

// Kill Flink mid-stream, restart it: order_kpis resumes from its last retained checkpoint (the test
// asserts the checkpoint id Flink says it restored, since an upsert replay from scratch would also
// equal the recount) and every window comes out once, equal to a recount of orders.confirmed. It is
// killed a second time before the resumed job's first checkpoint: that job must resume from the same
// checkpoint, not start over. The Flink is the test's own (its ports and state folder).

const T0 = Date.UTC(2026, 0, 15, 11, 0, 0)
const MIN = 60_000

const confirmed = (customerId: string, totalCents: number, occurredAt: number, orderId = randomUUID()): OrderConfirmed =>
  ({ eventId: randomUUID(), orderId, customerId, totalCents, occurredAt })

test('order_kpis: after a SIGKILL of Flink (twice) it resumes from checkpoint N and no window is counted twice', { timeout: 720_000 }, async (t) => {
  const s = isolatedSettings(t, await freeBrokerBase())
  await up(s, { only: ['flink'], catalog: false })
  const restUrls = Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${s.flinkUiPort + i}`)
  const env = testEnv()
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = new EventProducer(env.brokers, 'streams-test', pino({ level: 'silent' }))
  t.after(async () => {
    await producer.close()
    await deleteTestTopics(env)
  })
  await createCatalogTopics(env)
  await producer.connect()
  const send = async (orders: OrderConfirmed[]): Promise<void> => {
    for (const o of orders) await producer.send({ topic: env.prefix + 'orders.confirmed', key: o.orderId, value: await serde.encode('orders.confirmed', o), headers: {} })
  }
  const customers = ['ana', 'bruno', 'carla', 'diego', 'elisa']
  const inWindow = (w: number, n: number, from = 0): OrderConfirmed[] =>
    Array.from({ length: n }, (_, i) => confirmed(customers[(i + w) % customers.length]!, 1000 + 311 * i + 100 * w, T0 + w * MIN + (from + i) * 4_000))

  // Before the kill: windows 0 and 1 whole, and the first part of window 2 (still open: its count is state).
  await send([...inWindow(0, 5), ...inWindow(1, 6), ...inWindow(2, 4)])
  const options = { gatewayUrl: sqlGatewayUrl(s), params: sqlParams(env), jobs: ['order_kpis'] as const, stateFile: join(flinkStateDir(s.stateDir), 'jobs-test.json'), restUrls, resumeFrom: (id: string) => latestCheckpoint(s.stateDir, id)?.path }
  const [first] = await submitJobs(options)
  assert.equal(first!.outcome, 'started')
  const kpis = env.prefix + 'streams.order-kpis'
  const windowsOf = async (records: readonly StoredRecord[]): Promise<OrderKpis[]> =>
    await Promise.all(records.map(async r => await serde.decode(r.value!, 'streams.order-kpis') as OrderKpis))
  // Windows 0 and 1 committed (read_committed): a checkpoint completed after they were written.
  const before = await readTopic(env.brokers, kpis, rs => rs.length >= 2, 180_000)
  assert.deepEqual(before.map(r => r.key).sort(), ['2026-01-15 11:00:00.000', '2026-01-15 11:01:00.000'])
  const seen = latestCheckpoint(s.stateDir, first!.jobId)
  assert.ok(seen, 'a completed checkpoint on disk')
  // One more checkpoint: it holds the offsets past every order sent so far and window 2's partial count.
  await waitFor(`a checkpoint after chk-${seen.id}`, async () => (latestCheckpoint(s.stateDir, first!.jobId)?.id ?? 0) > seen.id, 60_000, 500)

  // SIGKILL to the JVM's process group, like a crash; then `up` starts Flink again and the submitter
  // resubmits the job from the last checkpoint of the job id it remembers.
  const crashAndResume = async (previous: string, from: { path: string, id: number }): Promise<{ jobId: string, rest: string }> => {
    const pid = readPid(s.stateDir, 'flink')
    assert.ok(pid !== undefined && isAlive(pid))
    process.kill(-pid, 'SIGKILL')
    await waitFor('the Flink JVM gone', async () => !isAlive(pid), 20_000, 100)
    await up(s, { only: ['flink'], catalog: false })
    const [report] = await submitJobs(options)
    assert.equal(report!.outcome, 'resumed')
    assert.equal(report!.restoredFrom, from.path)
    assert.notEqual(report!.jobId, previous)
    const rest = await waitFor('the resumed job\'s REST API', async () => await jobRestUrl(restUrls, report!.jobId), 60_000, 500)
    const restored = await waitFor('the restored checkpoint in the job\'s checkpoint stats', async () => (await jobCheckpoints(rest, report!.jobId)).restoredId ?? undefined, 60_000, 500)
    assert.equal(restored, from.id, `Flink restored chk-${restored}, the submitter gave it chk-${from.id}`)
    return { jobId: report!.jobId, rest }
  }
  const restorable = latestCheckpoint(s.stateDir, first!.jobId)
  assert.ok(restorable && restorable.id > seen.id)
  const again = await crashAndResume(first!.jobId, restorable)
  // Killed again at once, before the resumed job completes a checkpoint of its own (the first comes a
  // checkpoint interval after the start): it must resume from chk-N again, not start over.
  const own = latestCheckpoint(s.stateDir, again.jobId)
  const third = await crashAndResume(again.jobId, own ?? restorable)
  const rest = third.rest
  const resumedFrom = (own ?? restorable).id

  // After the restart: the rest of window 2, window 3, then one order 10 minutes later on every
  // partition, which moves the watermark past every window.
  const flushes: OrderConfirmed[] = []
  for (let p = 0; p < 3; p++) {
    let orderId = randomUUID()
    while (partitionOf(orderId, 3) !== p) orderId = randomUUID()
    flushes.push(confirmed('flush', 1, T0 + 10 * MIN, orderId))
  }
  await send([...inWindow(2, 3, 8), ...inWindow(3, 5), ...flushes])

  const records = await readTopic(env.brokers, kpis, rs => new Set(rs.map(r => r.key)).size >= 4, 180_000)
  // A moment more, so that windows written twice (a replay from scratch) would be there too.
  await waitFor(`a checkpoint of the resumed job after chk-${resumedFrom + 1}`, async () => ((await jobCheckpoints(rest, third.jobId)).latestId ?? 0) > resumedFrom + 1, 60_000, 500)
  const all = await readTopic(env.brokers, kpis, rs => rs.length > records.length, 5_000)
  const got = (await windowsOf(all)).sort((a, b) => a.windowStart - b.windowStart)

  // The recount, from what orders.confirmed holds (not from the test's own lists).
  const sent = 5 + 6 + 4 + 3 + 5 + flushes.length
  const source = await readTopic(env.brokers, env.prefix + 'orders.confirmed', rs => rs.length >= sent, 30_000)
  assert.equal(source.length, sent)
  const orders = (await Promise.all(source.map(async r => await serde.decode(r.value!, 'orders.confirmed') as OrderConfirmed))).filter(o => o.customerId !== 'flush')
  const expected = [0, 1, 2, 3].map(w => {
    const mine = orders.filter(o => o.occurredAt >= T0 + w * MIN && o.occurredAt < T0 + (w + 1) * MIN)
    const revenue = mine.reduce((sum, o) => sum + o.totalCents, 0)
    return { windowStart: T0 + w * MIN, windowEnd: T0 + (w + 1) * MIN, orders: mine.length, revenueCents: revenue, avgTicketCents: Math.floor(revenue / mine.length), uniqueCustomers: new Set(mine.map(o => o.customerId)).size }
  })
  assert.deepEqual(got.map(g => ({ ...g })), expected)
})
