import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import controlApp, { controlServerOptions } from '../../../src/control/app.ts'
import { boardFile, clusterBrokers } from '../../../src/exercises/board.ts'
import type { ExerciseState } from '../../../src/exercises/board.ts'
import { EXERCISES } from '../../../src/exercises/index.ts'
import { ex03Names } from '../../../src/exercises/ex03.ts'
import { endOffsetsOf } from '../../../src/exercises/offsets.ts'
import { createAdmin } from '../../../src/topics.ts'
import { startExerciseShop, waitFor } from '../../../src/testing/index.ts'
import type { ExerciseShop } from '../../../src/testing/index.ts'

// The exercises over the control plane's HTTP API: the list with the scoreboard, bad numbers as
// SHOP_ERR_* 4xx, setup → check → done through the routes, the board file in the plane's state
// folder, an exercise the cluster is too small for, and the background check turning one done.

type Row = ExerciseState & { slug: string, title: string, page: string, concepts: string[] }

let shop: ExerciseShop
let api: FastifyInstance

async function open (exerciseCheckMs?: number): Promise<FastifyInstance> {
  const app = Fastify(controlServerOptions('silent')).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(controlApp, { plane: shop.plane, ...(exerciseCheckMs !== undefined ? { exerciseCheckMs } : {}) })
  return app
}

async function row (app: FastifyInstance, n: number): Promise<Row> {
  const res = await app.inject({ method: 'GET', url: '/exercises' })
  assert.equal(res.statusCode, 200)
  return (res.json().exercises as Row[]).find(r => r.n === n)!
}

/** The scripted solution of exercise 3 as an admin call: the group's offsets moved to the end. */
async function catchUp (): Promise<void> {
  const { topic, group } = ex03Names(shop.ctx)
  const admin = createAdmin(shop.ctx.brokers, 'exercises-test')
  try {
    const ends = await endOffsetsOf(admin, topic, 3)
    await admin.alterConsumerGroupOffsets({ groupId: group, topics: [{ name: topic, partitionOffsets: [...ends].map(([partition, end]) => ({ partition, offset: BigInt(end) })) }] })
  } finally {
    await admin.close()
  }
}

before(async () => {
  shop = await startExerciseShop({ services: [] })
  api = await open()
})

after(async () => {
  await api?.close()
  await shop?.close()
})

test('GET /exercises lists every exercise with its page and an empty scoreboard; a bad N is a 400 naming params.n, an unknown one a 404', async () => {
  const res = await api.inject({ method: 'GET', url: '/exercises' })
  assert.equal(res.statusCode, 200)
  const rows = res.json().exercises as Row[]
  assert.deepEqual(rows.map(r => r.n), EXERCISES.map(e => e.n))
  const first = rows[0]!
  assert.equal(first.slug, '01-produzir-e-consumir')
  assert.equal(first.page, 'runbooks/exercicios/01-produzir-e-consumir.md')
  assert.ok(first.concepts.includes('produtores'))
  assert.equal(first.done, false)
  assert.equal(first.setupAt, null)

  for (const url of ['/exercises/abc/check', '/exercises/0/setup', '/exercises/2.5/check']) {
    const bad = await api.inject({ method: 'POST', url })
    assert.equal(bad.statusCode, 400, url)
    assert.equal(bad.json().code, 'SHOP_ERR_VALIDATION')
    assert.ok(bad.json().errors.some((e: { field: string }) => e.field.startsWith('params.n')), bad.body)
  }
  const unknown = await api.inject({ method: 'POST', url: '/exercises/42/check' })
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().code, 'SHOP_ERR_EXERCISE_NOT_FOUND')
})

test('setup → check (not done) → solution → check (done, doneAt kept) → setup again clears it; the board lives in the plane\'s state folder', async () => {
  const setup = await api.inject({ method: 'POST', url: '/exercises/3/setup' })
  assert.equal(setup.statusCode, 200, setup.body)
  assert.ok(setup.json().setupAt)
  assert.equal(setup.json().done, false)

  const first = await api.inject({ method: 'POST', url: '/exercises/3/check' })
  assert.equal(first.statusCode, 200)
  assert.equal(first.json().done, false)
  assert.ok((first.json().missing as string[]).some(m => m.includes('atrás')), first.body)
  assert.equal(first.json().doneAt, null)

  await catchUp()
  const done = (await api.inject({ method: 'POST', url: '/exercises/3/check' })).json() as Row
  assert.equal(done.done, true)
  assert.deepEqual(done.missing, [])
  assert.ok(done.doneAt && done.checkedAt)
  const again = (await api.inject({ method: 'POST', url: '/exercises/3/check' })).json() as Row
  assert.equal(again.doneAt, done.doneAt, 'doneAt is the first time it turned done')
  assert.ok(again.checkedAt! >= done.checkedAt!)
  assert.equal((await row(api, 3)).done, true)

  const file = boardFile(shop.plane.settings.apps.stateDir)
  assert.ok(existsSync(file))
  assert.equal(JSON.parse(readFileSync(file, 'utf8'))['3'].done, true)

  const reset = (await api.inject({ method: 'POST', url: '/exercises/3/setup' })).json() as Row
  assert.equal(reset.done, false)
  assert.equal(reset.doneAt, null)
  assert.equal((await api.inject({ method: 'POST', url: '/exercises/3/check' })).json().done, false)
})

test('an exercise that needs more brokers than the cluster has says so in Portuguese, for its check and its setup', async () => {
  const running = await clusterBrokers(shop.ctx)
  const big = EXERCISES.find(e => (e.requires?.brokers ?? 0) > running)
  assert.ok(big, `some exercise needs more than ${running} broker(s) (exercise 7 needs 3)`)
  for (const action of ['check', 'setup']) {
    const url: string = `/exercises/${big.n}/${action}`
    const res = await api.inject({ method: 'POST', url })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().done, false)
    assert.match(res.json().unavailable, new RegExp(`precisa de um cluster com ${big.requires!.brokers} brokers e o desta loja tem ${running}`))
  }
  assert.equal((await row(api, big.n)).setupAt, null, 'the setup did not run')
})

test('the background check turns an exercise done without anyone asking, and stops when the plane closes', async () => {
  await api.inject({ method: 'POST', url: '/exercises/3/setup' })
  await catchUp()
  const bg = await open(200)
  try {
    const r = await waitFor('the background check to mark exercise 3 done', async () => {
      const r = await row(bg, 3)
      return r.done ? r : undefined
    }, 60_000, 200)
    assert.ok(r.doneAt)
  } finally {
    await bg.close()
  }
  const stopped = await row(api, 3)
  await new Promise(resolve => setTimeout(resolve, 600))
  assert.equal((await row(api, 3)).checkedAt, stopped.checkedAt, 'no check after close')
  assert.equal((await row(api, 1)).checkedAt, null, 'an exercise nobody began is not checked in the background')
})
