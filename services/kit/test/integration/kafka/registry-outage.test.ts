import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
// Not in @vitrine/infra's exports: the supervisor runs it as a program.
import { createRegistryProxy, freePort, loadSettings } from '@vitrine/infra'
import { createCatalogTopics, deleteTestTopics, dropTestSchemas, readAllNow, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer } from '../../../src/index.ts'
import { metricSum } from '../../helpers/metrics.ts'
import { kitServiceApp } from '../../helpers/engine.ts'

// A private registry proxy in front of the shared Apicurio backend: the test stops it and starts it
// again, and the shared registry on :8081 never notices. A consumer service started during the outage
// must start (not ready), leave every record where it is, and handle them once the registry is back.

const env = testEnv()
const backendPort = loadSettings().registryBackendPort
let port = 0
let proxy: Server | undefined
const handled = new Map<string, number>()
let app: Awaited<ReturnType<typeof kitServiceApp>> | undefined
let raw: EventProducer
let serde: TopicSerde

async function startProxy (): Promise<void> {
  proxy = createRegistryProxy(backendPort)
  await new Promise<void>((resolve, reject) => {
    proxy!.once('error', reject)
    proxy!.listen(port, '127.0.0.1', () => resolve())
  })
}

async function stopProxy (): Promise<void> {
  const p = proxy
  proxy = undefined
  if (!p) return
  // Keep-alive sockets would let the clients go on talking to a "stopped" registry.
  p.closeAllConnections()
  await new Promise<void>(resolve => p.close(() => resolve()))
}

before(async () => {
  port = await freePort()
  await startProxy()
  await createCatalogTopics(env)
  raw = new EventProducer(env.brokers, 'kit-registry-raw', pino({ level: 'silent' }))
  await raw.connect()
  // The records' writer schema is registered (through the shared registry) before the outage.
  serde = new TopicSerde(env.registryUrl, env.prefix)
  await serde.register('orders.confirmed')
})

after(async () => {
  await app?.close()
  await raw?.close()
  await stopProxy()
  await dropTestSchemas(env, ['kit_registry'])
  await deleteTestTopics(env)
})

test('registry down: a consumer service starts not ready, dead-letters nothing, and handles every record once it is back', { timeout: 120_000 }, async () => {
  await stopProxy()
  app = await kitServiceApp(env, { name: 'kit-registry', service: 'inventory', schema: 'kit_registry', vars: { SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}`, RETRY_ATTEMPTS: 0 } }, consumers => {
    consumers.add({
      reader: 'inventory',
      group: 'kit-registry',
      on: {
        'orders.confirmed': async ({ orderId }) => {
          handled.set(orderId, (handled.get(orderId) ?? 0) + 1)
        }
      }
    })
  })

  const keys = Array.from({ length: 6 }, () => `reg-${randomUUID()}`)
  for (const orderId of keys) {
    const value: OrderConfirmed = { eventId: randomUUID(), orderId, customerId: 'c1', totalCents: 1000, occurredAt: Date.now() }
    await raw.send({ topic: env.prefix + 'orders.confirmed', key: orderId, value: await serde.encode('orders.confirmed', value), headers: {} })
  }

  // During the outage: not ready, the reason named, and the records wait where they are.
  const during = await waitFor('readiness red with the consumer blocked on the registry', async () => {
    const res = await app!.inject({ url: '/health/ready' })
    const body = res.json() as { status: string, checks: Record<string, { status: string, detail?: string }> }
    return res.statusCode === 503 && body.checks.consumers?.status === 'fail' && /registry/i.test(body.checks.consumers.detail ?? '') ? body : undefined
  }, 30_000)
  assert.equal(during.checks.registry?.status, 'fail', 'the registry check says it cannot be reached')
  await new Promise(resolve => setTimeout(resolve, 3000))
  assert.equal(handled.size, 0, 'nothing is handled without its schema')
  const metrics = (await app.inject({ url: '/metrics' })).body
  assert.ok(metricSum(metrics, 'vitrine_consumer_blocked_partitions', { reason: 'registry_unavailable' }) >= 1, 'the metrics show the partition blocked on the registry')

  await startProxy()
  await waitFor('every record handled after the registry came back', async () => keys.every(k => handled.get(k) === 1), 60_000)
  await waitFor('ready again', async () => (await app!.inject({ url: '/health/ready' })).statusCode === 200, 30_000)
  const dlq = await readAllNow(env.brokers, env.prefix + 'orders.dlq')
  assert.deepEqual(dlq.filter(r => r.key && keys.includes(r.key)).map(r => r.key), [], 'nothing was dead-lettered')
})
