import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { TopicSerde, topic } from '@vitrine/contracts'
import { appPid, appSettings, crashFile, startApps, stopApp } from '../../../src/apps.ts'
import { ControlPlane } from '../../../src/control/plane.ts'
import { restartCrashed } from '../../../src/control/restarts.ts'
import type { Restarted } from '../../../src/control/restarts.ts'
import { freePort, readPid } from '../../../src/proc.ts'
import { createAdmin, effectiveSpec } from '../../../src/topics.ts'
import { deleteTestTopics, openProducer, serviceEnv, sharedSettings, testEnv, waitFor } from '../../../src/testing/index.ts'

// The supervisor's half of the crash point: the sales-counter, armed over HTTP, exits between
// producing and committing and leaves its crash file; the control plane sees it and starts the
// counter again, which counts on from its last committed totals. A kill leaves no file: no restart.

const stack = sharedSettings()
const env = testEnv()
const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-restarts-'))
let plane: ControlPlane
let url: string
let stopWatching: () => void = () => {}
const restarts: Array<Restarted | { name: string, error: Error }> = []

before(async () => {
  const admin = createAdmin(env.brokers, 'vitrine-test')
  try {
    const brokers = (await admin.metadata({ topics: [] })).brokers.size
    for (const name of ['orders.confirmed', 'sales.totals'] as const) {
      const want = effectiveSpec(topic(name), brokers)
      await admin.createTopics({ topics: [env.prefix + name], partitions: want.partitions, replicas: want.replicationFactor, configs: Object.entries(want.config).map(([n, value]) => ({ name: n, value })) })
    }
  } finally {
    await admin.close()
  }
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  const apps = appSettings(stack, { stateDir, ports: { 'sales-counter': port, control: await freePort() }, only: ['sales-counter'], env: serviceEnv(env, { LOG_LEVEL: 'warn', SALES_COUNTER_COMMIT_MS: 50 }) })
  plane = new ControlPlane({ stack, apps })
  await startApps(stack, {}, apps)
  stopWatching = restartCrashed(plane, r => restarts.push(r), 200)
})

after(async () => {
  stopWatching()
  await stopApp(plane.settings.apps, 'sales-counter').catch(() => {})
  rmSync(stateDir, { recursive: true, force: true })
  // The counter is a static group member: its group can be deleted once its session (6 s) expired.
  await new Promise(resolve => setTimeout(resolve, 6500))
  await deleteTestTopics(env).catch(err => console.error('cleanup failed', err))
})

test('the counter that exits at its crash point is started again by the control plane and counts on', { timeout: 120_000 }, async (t) => {
  const first = appPid(plane.settings.apps, 'sales-counter')
  assert.ok(first, 'the counter runs')
  const armed = await fetch(`${url}/counter/crash-point`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ armed: true }) })
  assert.equal(armed.status, 200)

  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = await openProducer(t, env.brokers)
  for (let i = 0; i < 5; i++) {
    const orderId = randomUUID()
    producer.produce(env.prefix + 'orders.confirmed', null, await serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: 'c-1', totalCents: 1000, occurredAt: Date.now() }), orderId, Date.now())
  }
  await new Promise<void>((resolve, reject) => producer.flush(15_000, err => (err ? reject(err) : resolve())))

  await waitFor('the control plane to restart the counter', async () => restarts.length > 0, 90_000, 200)
  assert.ok(!('error' in restarts[0]!), `restart failed: ${'error' in restarts[0]! ? restarts[0].error.message : ''}`)
  const now = readPid(plane.settings.apps.stateDir, 'sales-counter')
  assert.ok(now !== undefined && now !== first, 'a new process')
  assert.equal(existsSync(crashFile(plane.settings.apps)), false, 'the crash file is consumed')
  const counted = await waitFor('the restarted counter to count the 5 orders once', async () => {
    const res = await fetch(`${url}/counter`).catch(() => undefined)
    const s = res?.ok ? await res.json() as { totals: { orders: number }, duplicates: number | null, mode: string } : undefined
    return s && s.totals.orders === 5 ? s : undefined
  }, 60_000, 300)
  assert.equal(counted.mode, 'exactly-once')
  assert.equal(counted.duplicates, 0)

  // A kill writes no crash file: the counter stays down.
  await plane.act('sales-counter', 'kill')
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.equal(restarts.length, 1)
  assert.equal(appPid(plane.settings.apps, 'sales-counter'), undefined)
})
