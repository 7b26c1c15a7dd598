import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, serviceEnv, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, buildApp, eventHeaders, loadConfig } from '@vitrine/service-kit'
import { missingResponses, validateOpenApi } from '@vitrine/infra/testing/openapi'
import app from '../../src/app.ts'
import { NotificationConfig } from '../../src/config.ts'
import * as notify from '../../src/notify.ts'

// A customer must not get a message for something the database then forgets (a rolled-back
// transaction), nor the same message twice when the record is delivered again.
const env = testEnv()
let fastify: Awaited<ReturnType<typeof buildApp>>
let producer: EventProducer
const schema = `notification${env.schemaSuffix}`

before(async () => {
  await createCatalogTopics(env)
  fastify = await buildApp('notification', app, loadConfig(NotificationConfig, serviceEnv(env, { RETRY_ATTEMPTS: 3, RETRY_BACKOFF_MS: 50 })))
  producer = new EventProducer(env.brokers, 'notify-test', pino({ level: 'silent' }))
  await producer.connect()
})

after(async () => {
  await producer?.close()
  await fastify?.sql.unsafe(`drop schema if exists "${schema}" cascade`).catch(() => {})
  await fastify?.close()
  await deleteTestTopics(env)
})

test('a notification is sent only after its transaction commits, one message per channel (deduplicated by event id), even when a transaction fails', { timeout: 60_000 }, async () => {
  const sql = fastify.sql
  // The first transaction that writes to the outbox fails after the notification row was written (a sequence is not rolled back).
  await sql.unsafe(`create sequence "${schema}".fail_once;
    create function "${schema}".fail_first() returns trigger language plpgsql as $$ begin if nextval('"${schema}".fail_once') = 1 then raise exception 'injected: the transaction fails after the send'; end if; return new; end $$;
    create trigger fail_first before insert on "${schema}".outbox for each row execute function "${schema}".fail_first()`)
  const sent: Array<{ channel: string, orderId: string, dedupKey: string, committed: boolean }> = []
  const channels = (notify as unknown as { channels?: { send: (n: { channel: string, orderId: string, dedupKey: string }) => Promise<void> } }).channels
  assert.ok(channels, 'notify.ts exposes its channels, so a test can see what was sent')
  channels.send = async (n) => {
    const [row] = await sql`select 1 from notifications where order_id = ${n.orderId}`
    sent.push({ channel: n.channel, orderId: n.orderId, dedupKey: n.dedupKey, committed: row !== undefined })
  }
  const orderId = randomUUID()
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  await producer.send({ topic: env.prefix + 'orders.confirmed', key: orderId, value: await serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: 'cliente-1', totalCents: 1000, occurredAt: Date.now() }), headers: eventHeaders('checkout-api', 'orders.confirmed', 'choreography') })
  await waitFor('the notification marked sent', async () => {
    const [r] = await sql`select sent_at from notifications where order_id = ${orderId}`
    return r?.sent_at ? true : undefined
  }, 30_000)
  await new Promise(resolve => setTimeout(resolve, 1000))
  const mine = sent.filter(s => s.orderId === orderId)
  // A send repeated because recording it failed carries the same idempotency key: the provider delivers it once.
  assert.deepEqual([...new Set(mine.map(s => `${s.channel} ${s.dedupKey}`))].map(k => k.split(' ')[0]).sort(), ['email', 'push', 'sms'], 'each channel one message')
  assert.ok(mine.every(s => s.committed), 'sent only after the row was committed')
})

test('the sweeper plugin sends a notification a crash left recorded but unsent, and announces it once', { timeout: 30_000 }, async () => {
  const sql = fastify.sql
  const orderId = randomUUID()
  const sent: string[] = []
  notify.channels.send = async (n) => { if (n.orderId === orderId) sent.push(n.channel) }
  // What a crash between the consuming transaction and the channels leaves behind.
  await sql`insert into notifications (order_id, kind, customer_id, channels, event_id, detail, mode, correlation_id, sent_at, created_at)
    values (${orderId}, 'ORDER_FAILED', 'cliente-2', ${['email', 'push']}, ${randomUUID()}, 'payment_failed', 'orchestration', ${orderId}, null, now() - interval '1 minute')`
  await waitFor('the pending notification swept and marked sent', async () => {
    const [r] = await sql`select sent_at from notifications where order_id = ${orderId}`
    return r?.sent_at ? true : undefined
  }, 20_000)
  assert.deepEqual(sent.sort(), ['email', 'push'])
  const announced = await sql`select headers from outbox where topic = 'notifications.sent' and key = ${orderId}`
  assert.equal(announced.length, 1, 'one notifications.sent event')
  assert.equal((announced[0]?.headers as Record<string, string>)[HEADERS.sagaMode], 'orchestration', 'in the mode the order ran in')
})

test('the whole app (kit and all) serves its OpenAPI document: valid, titled, its description, the health and fault routes with each status', async () => {
  const res = await fastify.inject({ method: 'GET', url: '/openapi.json' })
  assert.equal(res.statusCode, 200)
  const doc = res.json()
  assert.equal(doc.info.title, 'Vitrine · notification')
  assert.match(doc.info.description, /Notificações simuladas/)
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/admin/step', '/admin/step/release', '/faults', '/health', '/health/live', '/health/ready'])
  assert.equal(await validateOpenApi(doc), undefined)
  assert.deepEqual(missingResponses(doc), [])
})
