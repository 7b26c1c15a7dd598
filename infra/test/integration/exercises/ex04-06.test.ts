import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, test } from 'node:test'
import pino from 'pino'
import { TopicSerde } from '@vitrine/contracts'
import { EventProducer, listDeadLetters, replayDeadLetters } from '@vitrine/service-kit'
import type { Db, DeadLetter } from '@vitrine/service-kit'
import ex04 from '../../../src/exercises/ex04.ts'
import ex05 from '../../../src/exercises/ex05.ts'
import ex06 from '../../../src/exercises/ex06.ts'
import { ordersSince, readExerciseState } from '../../../src/exercises/saga.ts'
import type { CheckResult, ExerciseContext } from '../../../src/exercises/types.ts'
import { ROOT } from '../../../src/settings.ts'
import { becomesDone, notDone, startExerciseShop } from '../../../src/testing/exercises.ts'
import type { ExerciseShop } from '../../../src/testing/exercises.ts'
import { waitFor } from '../../../src/testing/saga-env.ts'

// Exercises 4, 5 and 6 on one exercise shop (the saga's five services): for each, setup → the
// checker says what is missing → a wrong attempt is still not done → the scripted solution, done as
// a student would (the control plane, Kafka's own consumer-groups tool, kit's DLQ replay, the
// traffic generator) → done.

const run = promisify(execFile)
let shop: ExerciseShop

// Logs at info: exercise 6's checker reads from a service's log whether its last process shut down or was killed.
before(async () => { shop = await startExerciseShop({ env: { LOG_LEVEL: 'info' } }) }, { timeout: 180_000 })
after(async () => { await shop?.close() })

async function request (ctx: ExerciseContext, service: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${ctx.serviceUrl(service)}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
  assert.ok(res.ok, `${method} ${path} on ${service}: ${res.status}`)
  return await res.json()
}

test('exercise 4: payment stopped, its offsets moved back to before the orders, started again: replayed, charged once', { timeout: 150_000 }, async () => {
  const { ctx, plane } = shop
  await ex04.setup(ctx)
  notDone(await ex04.check(ctx), /mesmo processo da preparação/)

  // Wrong attempt: a restart without moving the offsets replays nothing.
  await plane.act('payment', 'restart')
  notDone(await caughtUpVerdict(ctx), /não releu nada/)

  const state = readExerciseState<{ from: string }>(ctx, 4)!
  const window = new Date(new Date(state.from).getTime() - 1000).toISOString()
  await plane.act('payment', 'stop')
  const { stdout } = await run(join(ROOT, 'infra/bin/kafka'), ['consumer-groups', '--bootstrap-server', ctx.brokers, '--group', 'payment' + ctx.groupSuffix,
    '--topic', ctx.topicPrefix + 'orders.new', '--reset-offsets', '--to-datetime', window, '--execute'], { timeout: 60_000 })
  assert.match(stdout, /NEW-OFFSET/)
  await plane.act('payment', 'start')
  const done = await becomesDone(ex04, ctx)
  assert.ok(done.seen?.some(s => /relidos pelo payment novo/.test(s)), done.seen?.join(' | '))
})

/** The wrong attempt's verdict once the restarted payment has caught up (its lag at 0), so "nothing replayed" is final. */
async function caughtUpVerdict (ctx: ExerciseContext): Promise<CheckResult> {
  return await waitFor('the restarted payment caught up', async () => {
    const r = await ex04.check(ctx)
    return r.missing.some(m => /lag|não respondeu/.test(m)) ? undefined : r
  }, 30_000, 500)
}

test('exercise 5: a real dead letter (checkout-api failing orders.commands), the cause fixed, the record replayed: the order confirmed once', { timeout: 150_000 }, async () => {
  const { ctx, plane } = shop
  await ex05.setup(ctx)
  const start = await ex05.check(ctx)
  notDone(start, /configuração ruim/)
  notDone(start, /ainda não foi devolvida/)
  notDone(start, /continua pendente/)

  const { orderId } = readExerciseState<{ orderId: string }>(ctx, 5)!
  const serde = new TopicSerde(ctx.registryUrl, ctx.topicPrefix)
  const lettersOf = async (): Promise<DeadLetter[]> => (await listDeadLetters(ctx.brokers, serde, ctx.topicPrefix)).filter(d => d.key === orderId)
  const [letter] = await lettersOf()
  assert.ok(letter, 'the order\'s CONFIRM is in the DLQ')
  assert.equal(letter.group, 'checkout-api' + ctx.groupSuffix)
  assert.equal(letter.originalTopic, ctx.topicPrefix + 'orders.commands')
  assert.match(letter.error, /HANDLER_FAIL_TOPICS/, 'the engine wrote the handler\'s error')

  const producer = new EventProducer(ctx.brokers, 'ex05-test', pino({ level: 'silent' }))
  await producer.connect()
  try {
    // Wrong attempt: replayed before the cause is fixed, it fails again and is a new dead letter.
    const early = await replayDeadLetters(ctx.brokers, producer, ctx.sql as unknown as Db, { prefix: ctx.topicPrefix, offsets: [letter.offset] })
    assert.deepEqual(early.sent.map(i => i.key), [orderId])
    await waitFor('the CONFIRM back in the DLQ', async () => (await lettersOf()).length === 2, 60_000, 500)
    notDone(await ex05.check(ctx), /continua pendente/)

    // The fix: checkout-api started again with the shop's own environment, then the DLQ replayed.
    await plane.act('checkout-api', 'restart')
    const sent = await replayDeadLetters(ctx.brokers, producer, ctx.sql as unknown as Db, { prefix: ctx.topicPrefix })
    assert.deepEqual(sent.sent.map(i => i.key), [orderId], 'the new dead letter, once')
    const done = await becomesDone(ex05, ctx)
    assert.ok(done.seen?.some(s => /devolvido/.test(s)), done.seen?.join(' | '))
    // The ledger: a second replay sends nothing.
    const again = await replayDeadLetters(ctx.brokers, producer, ctx.sql as unknown as Db, { prefix: ctx.topicPrefix })
    assert.equal(again.sent.length, 0)
  } finally {
    await producer.close()
  }
})

test('exercise 6: the named service killed with SIGKILL under traffic and started again: every order ended, nothing twice', { timeout: 150_000 }, async () => {
  const { ctx, plane } = shop
  await ex06.setup(ctx)
  notDone(await ex06.check(ctx), /ainda é o processo da preparação/)

  const { service, at } = readExerciseState<{ service: string, at: string }>(ctx, 6)!
  const since = new Date(at)
  await request(ctx, 'checkout-api', 'PUT', '/traffic', { rate: 10, mode: 'mixed', failPaymentShare: 0.2, outOfStockShare: 0 })
  try {
    await waitFor('orders before the kill', async () => (await ordersSince(ctx, since)).length >= 5, 20_000)
    // Wrong attempt: a graceful restart (SIGTERM) is not a crash; the service's log says so.
    await plane.act(service, 'restart')
    notDone(await ex06.check(ctx), /desligado com educação/)
    const killed = await plane.act(service, 'kill')
    assert.equal(killed.component.alive, false)
    await plane.act(service, 'start')
    const restarted = Date.now()
    await waitFor('orders after the restart', async () => (await ordersSince(ctx, new Date(restarted))).length >= 3, 20_000)
  } finally {
    await request(ctx, 'checkout-api', 'DELETE', '/traffic')
  }
  const done = await becomesDone(ex06, ctx, 90_000)
  assert.ok(done.seen?.some(s => /antes de o .* voltar, [1-9]\d* depois/.test(s)), done.seen?.join(' | '))
  assert.ok(done.seen?.some(s => /sem desligamento \(SIGKILL\)/.test(s)), done.seen?.join(' | '))
})
