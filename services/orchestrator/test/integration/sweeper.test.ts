import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { createCatalogTopics, deleteTestTopics, serviceEnv, testEnv } from '@vitrine/infra/testing/saga'
import { buildApp, loadConfig } from '@vitrine/service-kit'
import app from '../../src/app.ts'
import { OrchestratorConfig } from '../../src/config.ts'
import { orchestratorMetrics } from '../../src/metrics.ts'
import { sweep } from '../../src/sagas.ts'
import type { Orchestrator } from '../../src/sagas.ts'

// The step deadline sweeper. One saga row that throws must not hold back the others.
const env = testEnv()
const config = loadConfig(OrchestratorConfig, serviceEnv(env, { STEP_SWEEP_MS: 60_000 }))
let fastify: Awaited<ReturnType<typeof buildApp>>

before(async () => {
  await createCatalogTopics(env)
  fastify = await buildApp('orchestrator', app, config)
})

after(async () => {
  await fastify?.close()
  await fastify?.sql.unsafe(`drop schema if exists "orchestrator${env.schemaSuffix}" cascade`).catch(() => {})
  await deleteTestTopics(env)
})

test('a saga whose timeout throws is set aside for an operator with its error; the other expired sagas are compensated', { timeout: 60_000 }, async () => {
  const sql = fastify.sql
  const o: Orchestrator = { app: fastify, timeouts: { paymentMs: 1000, inventoryMs: 1000, compensationMs: 1000, resendMs: 1000, maxResends: 2 } as Orchestrator['timeouts'], metrics: orchestratorMetrics(fastify.metrics.registry, sql) }
  const insert = async (orderId: string, order: unknown, deadline: Date): Promise<void> => {
    await sql`insert into sagas (order_id, state, step, step_deadline_at, order_deadline_at, order_data, compensate, awaiting, correlation_id)
      values (${orderId}, 'payment_pending', 'payment', ${deadline}, ${new Date(Date.now() + 60_000)}, ${sql.json(order as never)}, '{payment}', ${sql.json({ CHARGE: randomUUID() })}, ${orderId})`
  }
  const good = Array.from({ length: 4 }, () => randomUUID())
  const bad = randomUUID()
  // Its items break the payments.commands schema, so the REFUND it needs can never be written.
  await insert(bad, { customerId: 'c', items: [{ productId: 7 }], totalCents: 100 }, new Date(Date.now() - 5000))
  for (const id of good) await insert(id, { customerId: 'c', items: [{ productId: 'p1', quantity: 1 }], totalCents: 100 }, new Date(Date.now() - 1000))
  const log = pino({ level: 'silent' })
  for (let i = 0; i < 5; i++) await sweep(o, log).catch(() => {})
  const rows = await sql`select state from sagas where order_id = any(${good})`
  assert.deepEqual(rows.map(r => r.state), good.map(() => 'compensating_payment'), 'the other sagas moved on')
  const [b] = await sql`select state, step_deadline_at, attention from sagas where order_id = ${bad}`
  assert.equal(b!.state, 'payment_pending')
  assert.equal(b!.step_deadline_at, null, 'no longer picked by the sweeper')
  assert.match(b!.attention as string, /productId|quantity/, 'flagged for an operator with the error')
})
