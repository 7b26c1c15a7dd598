import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { createCatalogTopics, deleteTestTopics, serviceEnv, testEnv } from '@vitrine/infra/testing/saga'
import { buildApp, loadConfig } from '@vitrine/service-kit'
import app from '../../src/app.ts'
import { PaymentConfig } from '../../src/config.ts'
import { decideDue } from '../../src/payments.ts'

// The card network's sweeper decides due charges. One row that throws must not hold back the others.
const env = testEnv()
const config = loadConfig(PaymentConfig, serviceEnv(env, { DECISION_POLL_MS: 10_000, PAYMENT_FAILURE_RATE: 0 }))
let fastify: Awaited<ReturnType<typeof buildApp>>

before(async () => {
  await createCatalogTopics(env)
  fastify = await buildApp('payment', app, config)
})

after(async () => {
  await fastify?.close()
  await fastify?.sql.unsafe(`drop schema if exists "payment${env.schemaSuffix}" cascade`).catch(() => {})
  await deleteTestTopics(env)
})

test('a due charge that throws is set aside with its error after a few tries; the other due charges are decided', { timeout: 60_000 }, async () => {
  const sql = fastify.sql
  const due = new Date(Date.now() - 1000)
  const good = Array.from({ length: 5 }, () => randomUUID())
  const bad = randomUUID()
  // Its items break the payments.approved schema: deciding it fails every time, as a bug would.
  await sql`insert into payments (order_id, payment_id, customer_id, amount_cents, items, mode, status, decide_at)
    values (${bad}, ${randomUUID()}, 'pay-ok', 1000, ${sql.json([{ productId: 42 }])}, 'choreography', 'requested', ${new Date(Date.now() - 5000)})`
  for (const id of good) {
    await sql`insert into payments (order_id, payment_id, customer_id, amount_cents, items, mode, status, decide_at)
      values (${id}, ${randomUUID()}, 'pay-ok', 1000, ${sql.json([{ productId: 'p1', quantity: 1 }])}, 'choreography', 'requested', ${due})`
  }
  const log = pino({ level: 'silent' })
  for (let i = 0; i < 5; i++) await decideDue(fastify, config, log).catch(() => {})
  const rows = await sql`select order_id, status from payments where order_id = any(${good})`
  assert.deepEqual(rows.map(r => r.status), good.map(() => 'approved'), 'the good charges were decided')
  const [b] = await sql`select status, sweep_error, set_aside_at from payments where order_id = ${bad}`
  assert.equal(b!.status, 'requested', 'the bad one was not decided')
  assert.ok(b!.set_aside_at, 'and is set aside, so it is not picked first again forever')
  assert.match(b!.sweep_error as string, /productId|quantity/)
})
