import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import { EventProducer, readTopicNow } from '@vitrine/service-kit'
import { createRegistryProxy, kafkaCredentials, loadSettings } from '@vitrine/infra'
import type { RegistryDecision } from '@vitrine/infra'
import { cleanup, createCatalogTopics, deleteTestTopics, testEnv, waitFor } from '@vitrine/infra/testing'
import { kafkaSqlLogin } from '../../src/sql.ts'
import { cancelJob, submitJobs } from '../../src/submit.ts'
import { orderIdOn, privateFlink, sqlParams, TEST_JOB_CONFIG } from '../helpers/flink.ts'

// Flink's avro-confluent sink registers its output's schema as the streams principal (basic-auth
// USER_INFO, kafkaSqlLogin): a job on the shared broker writes through a registry proxy in
// KAFKA_AUTH=scram mode, which lets only streams (or admin) register streams.* subjects.
test('KAFKA_AUTH=scram: a Flink job registers its streams.* output schema with the streams login', { timeout: 300_000 }, async t => {
  const env = testEnv()
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-streams-registry-'))
  const passwords = kafkaCredentials(stateDir)
  const decisions: RegistryDecision[] = []
  const proxy = createRegistryProxy(loadSettings().registryBackendPort, { kafkaAuth: 'scram', stateDir, onDecision: d => { decisions.push(d) } })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = new EventProducer(env.brokers, 'streams-registry-test', pino({ level: 'silent' }))
  cleanup(t, async () => {
    await deleteTestTopics(env)
    proxy.closeAllConnections()
    await new Promise(resolve => proxy.close(resolve))
    rmSync(stateDir, { recursive: true, force: true })
  })
  cleanup(t, async () => { await producer.close() })
  const flink = await privateFlink(t)
  await createCatalogTopics(env)
  await producer.connect()

  // Only the registry login: the shared broker is PLAINTEXT.
  const { REGISTRY_CREDENTIALS_SOURCE, REGISTRY_USER_INFO } = kafkaSqlLogin({ username: 'streams', password: passwords.streams! })
  const params = { ...sqlParams(env), SCHEMA_REGISTRY_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, REGISTRY_CREDENTIALS_SOURCE, REGISTRY_USER_INFO }
  const reports = await submitJobs({ gatewayUrl: flink.gatewayUrl, params, stateFile: join(stateDir, 'jobs.json'), restUrls: flink.restUrls, config: TEST_JOB_CONFIG, jobs: ['order_kpis'] })
  cleanup(t, async () => { for (const r of reports) await cancelJob(flink.restUrls, r.jobId) })

  // order_kpis counts confirmed orders: two in the 10:00 window, then one per partition at 10:02 that moves the watermark past it.
  const t0 = Date.UTC(2026, 0, 15, 10, 0, 0)
  const order = (occurredAt: number, orderId: string = randomUUID()): OrderConfirmed => ({ eventId: randomUUID(), orderId, customerId: 'ana', totalCents: 1000, occurredAt })
  for (const o of [order(t0 + 5_000), order(t0 + 20_000), ...[0, 1, 2].map(p => order(t0 + 120_000, orderIdOn(p)))]) {
    await producer.send({ topic: env.prefix + 'orders.confirmed', key: o.orderId, value: await serde.encode('orders.confirmed', o), headers: {} })
  }

  const subject = `${env.prefix}streams.order-kpis-value`
  await waitFor('order_kpis wrote its first window', async () => {
    const refused = decisions.filter(d => d.status !== 'allowed')
    if (refused.length > 0) throw new Error(`the registry refused Flink: ${JSON.stringify(refused)}`)
    return (await readTopicNow(env.brokers, env.prefix + 'streams.order-kpis', 2_000)).length > 0
  }, 120_000, 1_000)
  assert.ok(decisions.some(d => d.principal === 'streams' && d.method === 'POST' && d.subject === subject && d.status === 'allowed'), `streams registered ${subject} (decisions: ${JSON.stringify(decisions)})`)
  assert.deepEqual(decisions.filter(d => d.status !== 'allowed'), [], 'the registry refused nothing')
})
