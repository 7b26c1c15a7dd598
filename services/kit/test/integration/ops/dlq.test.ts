import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { DLQ_TOPIC, TopicSerde } from '@vitrine/contracts'
import type { OrderConfirmed } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { EventProducer, PermanentError, ReplayError, listDeadLetters, readTopicNow, replayDeadLetters, replayedAlready } from '../../../src/index.ts'
import { kitServiceApp } from '../../helpers/engine.ts'

// The runbook drill: a consumer gives up on a record, the operator reads why, fixes the cause and
// replays it; the same group handles it through its retry path.
const env = testEnv()
let broken = true
const handled: string[] = []
let app: Awaited<ReturnType<typeof kitServiceApp>>
let producer: EventProducer
const serde = new TopicSerde(env.registryUrl, env.prefix)

before(async () => {
  await createCatalogTopics(env)
  app = await kitServiceApp(env, { name: 'dlq-test', service: 'notification', schema: 'dlq_test' }, consumers => {
    consumers.add({
      reader: 'notification',
      group: 'dlq-drill',
      on: {
        'orders.confirmed': async (event) => {
          if (broken) throw new PermanentError('template for this notification is missing')
          handled.push(event.orderId)
        }
      }
    })
  })
  producer = new EventProducer(env.brokers, 'dlq-test', pino({ level: 'silent' }))
  await producer.connect()
})

after(async () => {
  // Before close(): it ends the pool.
  await app?.sql?.unsafe('delete from vitrine_ops.dlq_replays where dlq_topic = $1', [env.prefix + 'orders.dlq']).catch(() => {})
  await app?.sql?.unsafe(`drop schema if exists "dlq_test${env.schemaSuffix}" cascade`).catch(() => {})
  await app?.close()
  await producer?.close()
  await deleteTestTopics(env)
})

test('a dead letter is listed with its origin and cause, and after the fix a replay is handled by the group that gave up', async () => {
  const orderId = randomUUID()
  const sent = await producer.send({ topic: env.prefix + 'orders.confirmed', key: orderId, value: await serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: 'c', totalCents: 100, occurredAt: Date.now() }), headers: {} })
  const letters = await waitFor('the record in the DLQ', async () => {
    const l = await listDeadLetters(env.brokers, serde, env.prefix)
    return l.length > 0 ? l : undefined
  }, 20_000)
  const d = letters[0]!
  assert.equal(d.key, orderId)
  assert.equal(d.originalTopic, env.prefix + 'orders.confirmed')
  assert.equal(d.originalPartition, sent.partition)
  assert.equal(d.originalOffset, sent.offset)
  assert.match(d.error, /template for this notification is missing/)
  assert.equal(d.group, `dlq-drill${env.groupSuffix}`)
  assert.equal((d.value as OrderConfirmed).orderId, orderId, 'the value is decoded through the registry')

  await assert.rejects(replayDeadLetters(env.brokers, producer, app.sql, { prefix: env.prefix, offsets: [999] }), ReplayError)
  const [letter] = await readTopicNow(env.brokers, env.prefix + DLQ_TOPIC)
  assert.equal(await replayedAlready(app.sql, letter!), false, 'not replayed yet: a DLQ watcher may flag its order')
  broken = false
  assert.equal((await replayDeadLetters(env.brokers, producer, app.sql, { prefix: env.prefix, offsets: [d.offset] })).sent.length, 1)
  assert.equal(await replayedAlready(app.sql, letter!), true, 'the ledger says an operator replayed it')
  await waitFor('the replayed record to be handled', async () => handled.includes(orderId), 20_000)
  assert.equal(handled.filter(id => id === orderId).length, 1)
})
