import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { after, test } from 'node:test'
import type { TestContext } from 'node:test'
import { DLQ_TOPIC, HEADERS, TopicSerde, topic } from '@vitrine/contracts'
import { KafkaReader } from '@vitrine/service-kit'
import { createAdmin, effectiveSpec, freePort } from '@vitrine/infra'
import { deleteTestTopics, openProducer, serviceEnv, testEnv, waitFor } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import { CRASH_EXIT_CODE } from '../../src/counter.ts'

// The A/B lesson, proven on the real broker: the counter is crashed at its crash point (after
// producing its totals, before committing) again and again while orders keep arriving. In
// exactly-once mode the crashed transactions are aborted (a read_uncommitted reader sees records a
// read_committed one does not) and the totals equal the recount; in at-least-once mode they do not.
// Each mode runs on its own topics, group and transactional id. The counter runs as its own
// process (the crash point exits it), as it does under the control plane.

const SERVICE_DIR = fileURLToPath(new URL('../../', import.meta.url))
const CRASHES = 3
const PER_ROUND = 25

interface State { totals: { orders: number, revenueCents: number }, truth: { orders: number, revenueCents: number } | null, duplicates: number | null, positions: Array<{ partition: number, offset: number }>, mode: string, batches: { committed: number, aborted: number } }

interface Run { env: TestEnv, serde: TopicSerde, produced: number, revenueCents: number, children: ChildProcess[], poison: number }

const runs: Run[] = []

async function setUp (): Promise<Run> {
  const env = testEnv()
  const run: Run = { env, serde: new TopicSerde(env.registryUrl, env.prefix), produced: 0, revenueCents: 0, children: [], poison: 0 }
  runs.push(run)
  const admin = createAdmin(env.brokers, 'sales-counter-test')
  try {
    const brokers = (await admin.metadata({ topics: [] })).brokers.size
    for (const name of ['orders.confirmed', 'sales.totals', DLQ_TOPIC] as const) {
      const want = effectiveSpec(topic(name), brokers)
      await admin.createTopics({ topics: [env.prefix + name], partitions: want.partitions, replicas: want.replicationFactor, configs: Object.entries(want.config).map(([n, value]) => ({ name: n, value })) })
    }
  } finally {
    await admin.close()
  }
  return run
}

async function produceOrders (t: TestContext, run: Run, count: number): Promise<void> {
  const producer = await openProducer(t, run.env.brokers)
  for (let i = 0; i < count; i++) {
    const orderId = randomUUID()
    const totalCents = 1000 + Math.floor(Math.random() * 9000)
    const value = await run.serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: 'c-1', totalCents, occurredAt: Date.now() })
    run.produced++
    run.revenueCents += totalCents
    producer.produce(run.env.prefix + 'orders.confirmed', null, value, orderId, Date.now())
  }
  await new Promise<void>((resolve, reject) => producer.flush(15_000, err => (err ? reject(err) : resolve())))
}

/** The counter as its own process; resolves its exit code when it exits. */
function startCounter (run: Run, port: number, extra: Record<string, string | number>): { child: ChildProcess, exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: SERVICE_DIR,
    env: { ...process.env, ...serviceEnv(run.env, { PORT: port, SALES_COUNTER_COMMIT_MS: 50, SALES_COUNTER_BATCH_MAX: 10, ...extra }) },
    stdio: ['ignore', 'ignore', process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore']
  })
  run.children.push(child)
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return { child, exited }
}

async function state (port: number): Promise<State | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/counter`, { signal: AbortSignal.timeout(20_000) })
    return res.ok ? await res.json() as State : undefined
  } catch {
    return undefined
  }
}

/** Crashes the counter CRASHES times at its crash point while orders arrive, then runs it to the end of the topic. */
async function crashRepeatedly (t: TestContext, run: Run, mode: string): Promise<{ port: number, final: State, child: ChildProcess }> {
  const port = await freePort()
  for (let i = 0; i < CRASHES; i++) {
    await produceOrders(t, run, PER_ROUND)
    const started = Date.now()
    const { exited } = startCounter(run, port, { SALES_COUNTER_MODE: mode, SALES_COUNTER_CRASH_POINT: 'true' })
    const code = await Promise.race([exited, new Promise<'timeout'>(resolve => setTimeout(() => resolve('timeout'), 60_000))])
    t.diagnostic(`${mode}: crash ${i + 1} after ${Date.now() - started} ms`)
    assert.equal(code, CRASH_EXIT_CODE, `crash ${i + 1}: the counter should exit at its crash point`)
  }
  await produceOrders(t, run, PER_ROUND)
  const started = Date.now()
  const { child } = startCounter(run, port, { SALES_COUNTER_MODE: mode })
  const final = await waitFor('the counter to count every order', async () => {
    const s = await state(port)
    const read = s?.positions.reduce((n, p) => n + p.offset, 0) ?? 0
    return s !== undefined && read === run.produced + run.poison && s.truth !== null ? s : undefined
  }, 60_000, 300)
  t.diagnostic(`${mode}: counted to the end ${Date.now() - started} ms after the last start`)
  return { port, final, child }
}

/** Every data record of sales.totals as each isolation level sees it. */
async function readBoth (run: Run): Promise<{ uncommitted: number[], committed: number[], high: number }> {
  const ru = new KafkaReader(run.env.brokers, 'sales-counter-test-ru', 'read_uncommitted')
  const rc = new KafkaReader(run.env.brokers, 'sales-counter-test-rc', 'read_committed')
  try {
    const name = run.env.prefix + 'sales.totals'
    const { high } = await ru.watermarks(name, 0)
    const range = [{ topic: name, partition: 0, offset: 0, until: high }]
    const [u, c] = await Promise.all([ru.read(range, { timeoutMs: 10_000 }), rc.read(range, { timeoutMs: 10_000 })])
    return { uncommitted: u.records.map(r => r.offset), committed: c.records.map(r => r.offset), high }
  } finally {
    await Promise.all([ru.close(), rc.close()])
  }
}

after(async () => {
  const running = runs.flatMap(r => r.children).filter(c => c.exitCode === null && c.signalCode === null)
  await Promise.all(running.map(async c => await new Promise(resolve => { c.once('exit', resolve); c.kill('SIGTERM') })))
  // A static member stays in its group until its session expires (6 s, counter.ts): the groups go after that.
  await new Promise(resolve => setTimeout(resolve, 6500))
  await Promise.all(runs.map(async run => {
    for (let attempt = 1; ; attempt++) {
      try {
        await deleteTestTopics(run.env)
        return
      } catch (err) {
        if (attempt === 3) throw err
        await new Promise(resolve => setTimeout(resolve, 2000))
      }
    }
  }))
})

test('exactly-once: the crashed transactions are aborted and the committed totals equal the recount; a second instance fences the first', { timeout: 240_000 }, async (t) => {
  const run = await setUp()
  // Poison among the orders: never counted, never blocking the partition, dead-lettered once.
  const poison = await openProducer(t, run.env.brokers)
  poison.produce(run.env.prefix + 'orders.confirmed', 0, Buffer.from('not avro at all'), 'poison-1', Date.now())
  await new Promise<void>((resolve, reject) => poison.flush(15_000, err => (err ? reject(err) : resolve())))
  run.poison = 1
  const { port, final } = await crashRepeatedly(t, run, 'exactly-once')

  const dlq = new KafkaReader(run.env.brokers, 'sales-counter-test-dlq', 'read_committed')
  try {
    const name = run.env.prefix + DLQ_TOPIC
    const { high } = await dlq.watermarks(name, 0)
    const { records } = await dlq.read([{ topic: name, partition: 0, offset: 0, until: high }], { timeoutMs: 10_000 })
    const letters = records.filter(r => r.key === 'poison-1')
    assert.equal(letters.length, 1, `the poison record dead-lettered once (committed), got ${letters.length}`)
    assert.equal(letters[0]!.headers[HEADERS.originalTopic], run.env.prefix + 'orders.confirmed')
    assert.equal(letters[0]!.headers[HEADERS.reason], 'undecodable')
  } finally {
    await dlq.close()
  }

  // First: the crashes really left aborted transactions behind (records only read_uncommitted sees, and their markers).
  const seen = await readBoth(run)
  const aborted = seen.uncommitted.filter(o => !seen.committed.includes(o))
  assert.ok(aborted.length >= CRASHES, `read_uncommitted should see at least ${CRASHES} records read_committed does not, saw ${aborted.length}`)
  assert.ok(seen.high > seen.uncommitted.length, 'transaction markers take offsets no data record has')

  // Then: nothing counted twice.
  assert.equal(final.mode, 'exactly-once')
  assert.equal(final.totals.orders, run.produced)
  assert.equal(final.totals.revenueCents, run.revenueCents)
  assert.deepEqual(final.truth, final.totals)
  assert.equal(final.duplicates, 0)

  // Zombie fencing: a second producer with our transactional.id fences the running one.
  const res = await fetch(`http://127.0.0.1:${port}/counter/zombie`, { method: 'POST', signal: AbortSignal.timeout(60_000) })
  const fencing = await res.json() as { name: string, message: string, transactionalId: string }
  assert.equal(res.status, 200, JSON.stringify(fencing))
  assert.ok(['ERR__FENCED', 'ERR_PRODUCER_FENCED'].includes(fencing.name), `fenced error expected, got ${fencing.name}: ${fencing.message}`)
  assert.equal(fencing.transactionalId, `${run.env.prefix}sales-counter-main${run.env.groupSuffix}`)
  // ...and the instance, started again as the owner, counts on exactly.
  await produceOrders(t, run, 10)
  const later = await waitFor('the counter to count the orders after the fencing', async () => {
    const s = await state(port)
    return s && s.totals.orders === run.produced ? s : undefined
  }, 30_000, 300)
  assert.equal(later.duplicates, 0)
})

test('at-least-once: the same crashes count orders twice, so the totals differ from the recount', { timeout: 240_000 }, async (t) => {
  const run = await setUp()
  const { final } = await crashRepeatedly(t, run, 'at-least-once')
  assert.equal(final.mode, 'at-least-once')
  // No transaction: both readers see the same records.
  const seen = await readBoth(run)
  assert.deepEqual(seen.uncommitted, seen.committed)
  assert.equal(final.truth?.orders, run.produced)
  assert.ok(final.totals.orders > run.produced, `each crash should have counted its batch twice: ${final.totals.orders} counted for ${run.produced} orders`)
  assert.ok(final.totals.revenueCents > run.revenueCents)
  assert.ok((final.duplicates ?? 0) >= CRASHES, `at least one duplicate per crash, got ${final.duplicates}`)
})
