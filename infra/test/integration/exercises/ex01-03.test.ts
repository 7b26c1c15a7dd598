import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, test } from 'node:test'
import pino from 'pino'
import { EventProducer } from '@vitrine/service-kit'
import type { Delivered } from '@vitrine/service-kit'
import ex01, { ex01Names } from '../../../src/exercises/ex01.ts'
import ex02, { ex02Topic } from '../../../src/exercises/ex02.ts'
import ex03, { ex03Names } from '../../../src/exercises/ex03.ts'
import { ROOT } from '../../../src/settings.ts'
import { createAdmin } from '../../../src/topics.ts'
import { consumeAndCommit } from '../../../src/testing/rdkafka.ts'
import { notDone, startExerciseShop } from '../../../src/testing/exercises.ts'
import type { ExerciseShop } from '../../../src/testing/exercises.ts'

// Exercises 1-3 (Kafka only, no service): each checker fails on the start state its setup leaves,
// fails on a wrong attempt, and passes after the scripted solution, done with real clients and
// Kafka's own command-line tool, as a student would.

let shop: ExerciseShop
let producer: EventProducer

before(async () => {
  shop = await startExerciseShop({ services: [] })
  producer = new EventProducer(shop.ctx.brokers, 'ex01-03-test', pino({ level: 'warn' }))
  await producer.connect()
})

after(async () => {
  await producer?.close().catch(() => {})
  await shop?.close()
})

const send = async (topic: string, key: string, value: string): Promise<Delivered> => await producer.send({ topic, key, value: Buffer.from(value), headers: {} })

test('exercise 1: a keyed record, read by the group ex01-leitor, and its partition:offset as the answer', async () => {
  const { topic, group } = ex01Names(shop.ctx)
  await ex01.setup(shop.ctx)
  notDone(await ex01.check(shop.ctx), /COM CHAVE/)

  await send(topic, 'x', 'ignorada') // keep the answer's key apart: not the student's record
  const mine = await send(topic, 'aluno-ana', 'olá, Kafka')
  const r1 = await ex01.check(shop.ctx)
  notDone(r1, /consumer group ex01-leitor/)
  notDone(r1, /resposta/)

  // Wrong attempt: an answer pointing nowhere.
  await send(topic, 'resposta', `${mine.partition}:${mine.offset + 7}`)
  await consumeAndCommit(shop.ctx.brokers, group, topic, 3)
  notDone(await ex01.check(shop.ctx), /não aponta/)

  await send(topic, 'resposta', `${mine.partition}:${mine.offset}`)
  const done = await ex01.check(shop.ctx)
  assert.deepEqual(done.missing, [])
  assert.equal(done.done, true)
  assert.ok(done.seen?.some(s => s.includes(`partição ${mine.partition}, offset ${mine.offset}`)), JSON.stringify(done.seen))

  // RESET=1: the start state again.
  await ex01.setup(shop.ctx)
  notDone(await ex01.check(shop.ctx), /COM CHAVE/)
})

test('exercise 2: numbered records per key stay in one partition, in order; a key out of order is caught', async () => {
  const topic = ex02Topic(shop.ctx)
  await ex02.setup(shop.ctx)
  notDone(await ex02.check(shop.ctx), /crie o tópico/)

  const admin = createAdmin(shop.ctx.brokers, 'ex02-test')
  try {
    await admin.createTopics({ topics: [topic], partitions: 4, replicas: 1 })
  } finally {
    await admin.close()
  }
  notDone(await ex02.check(shop.ctx), /pelo menos 3 chaves/)

  await Promise.all(['cliente-a', 'cliente-b', 'cliente-c', 'cliente-d', 'cliente-e'].map(async key => {
    for (let i = 1; i <= 3; i++) await send(topic, key, `pedido ${i}`)
  }))
  const done = await ex02.check(shop.ctx)
  assert.deepEqual(done.missing, [])
  assert.equal(done.done, true)

  // A key whose numbers go backwards is not ordered.
  for (const i of [1, 3, 2]) await send(topic, 'cliente-z', `pedido ${i}`)
  notDone(await ex02.check(shop.ctx), /"cliente-z" tem a sequência fora de ordem/)

  await ex02.setup(shop.ctx)
  notDone(await ex02.check(shop.ctx), /crie o tópico/)
})

test('exercise 3: the group ex03-relatorios lags; deleting it is not the answer; consumer-groups --reset-offsets --to-latest brings it to 0', async () => {
  const { topic, group } = ex03Names(shop.ctx)
  await ex03.setup(shop.ctx)
  const start = await ex03.check(shop.ctx)
  notDone(start, /ainda está 60 registro\(s\) atrás/)
  assert.match(start.seen?.[0] ?? '', /lag 60/)

  const admin = createAdmin(shop.ctx.brokers, 'ex03-test')
  try {
    await admin.deleteGroups({ groups: [group] })
  } finally {
    await admin.close()
  }
  notDone(await ex03.check(shop.ctx), /não existe/)

  await ex03.setup(shop.ctx)
  notDone(await ex03.check(shop.ctx), /atrás/)
  await promisify(execFile)(join(ROOT, 'infra/bin/kafka'), ['consumer-groups', '--bootstrap-server', shop.ctx.brokers, '--group', group, '--topic', topic, '--reset-offsets', '--to-latest', '--execute'], { timeout: 60_000 })
  const done = await ex03.check(shop.ctx)
  assert.deepEqual(done.missing, [])
  assert.equal(done.done, true)
  assert.match(done.seen?.[0] ?? '', /lag 0/)
})
