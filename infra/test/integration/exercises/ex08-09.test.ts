import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { after, test } from 'node:test'
import ex08, { CLIENTE_V1, ex08Subject, ex08Topic } from '../../../src/exercises/ex08.ts'
import { readAs } from '../../../src/exercises/ex08-avro.ts'
import ex09, { EX09_CUSTOMER } from '../../../src/exercises/ex09.ts'
import type { ExerciseContext } from '../../../src/exercises/types.ts'
import { waitFor } from '../../../src/testing/index.ts'
import { isDone, notDone, startExerciseShop } from '../../../src/testing/exercises.ts'
import type { ExerciseShop } from '../../../src/testing/exercises.ts'

// Exercises 8 and 9: for each, setup → the checker says what is missing → a wrong attempt is still
// not done → the scripted solution (what a student does, through the registry and the shop) → done,
// on one exercise shop over the shared stack. Exercise 7 (a private 3-broker cluster) is ex07.test.ts.

let shared: ExerciseShop | undefined
after(async () => { await shared?.close() })

const run = promisify(execFile)

const REGISTRY_JSON = { 'content-type': 'application/vnd.schemaregistry.v1+json' }

async function register (ctx: ExerciseContext, schema: unknown): Promise<{ status: number, body: { id?: number, message?: string } }> {
  const res = await fetch(`${ctx.registryUrl}/subjects/${encodeURIComponent(ex08Subject(ctx))}/versions`, { method: 'POST', headers: REGISTRY_JSON, body: JSON.stringify({ schema: JSON.stringify(schema) }) })
  return { status: res.status, body: await res.json() as { id?: number, message?: string } }
}

async function exercise8 (ctx: ExerciseContext): Promise<void> {
  await ex08.setup(ctx)
  const v1Id = (await (await fetch(`${ctx.registryUrl}/subjects/${encodeURIComponent(ex08Subject(ctx))}/versions/1`)).json() as { id: number }).id
  notDone(await ex08.check(ctx), /só tem a v1/)

  // Wrong attempt: a new field without a default. The registry (BACKWARD) refuses it; nothing changes.
  const incompatible = await register(ctx, { ...CLIENTE_V1, fields: [...CLIENTE_V1.fields, { name: 'cpf', type: 'string' }] })
  assert.equal(incompatible.status, 409, JSON.stringify(incompatible.body))
  notDone(await ex08.check(ctx), /só tem a v1/)

  // The solution: v2 adds a field with a default, then a record written with it.
  const v2 = await register(ctx, { ...CLIENTE_V1, fields: [...CLIENTE_V1.fields, { name: 'email', type: ['null', 'string'], default: null }] })
  assert.equal(v2.status, 200, JSON.stringify(v2.body))
  notDone(await ex08.check(ctx), /nenhum registro .* v2/)
  // As the student does, with the exercise's Avro tool (the page's commands), on the shop's names.
  const tool = async (...args: string[]): Promise<string> => {
    const env = { ...process.env, TOPIC_PREFIX: ctx.topicPrefix, KAFKA_BROKERS: ctx.brokers, SCHEMA_REGISTRY_URL: ctx.registryUrl }
    return (await run(process.execPath, ['--import', 'tsx', 'src/exercises/ex08-avro.ts', ...args], { env, timeout: 60_000 })).stdout
  }
  // A field v1 lacks is refused, not silently dropped.
  await assert.rejects(tool('produzir', '1', JSON.stringify({ id: 'cliente-2', nome: 'Bia', email: 'bia@example.com' })), /email não existe/)
  const written = await tool('produzir', 'latest', JSON.stringify({ id: 'cliente-2', nome: 'Bia', email: 'bia@example.com' }))
  assert.match(written, new RegExp(`com o schema id ${v2.body.id!} `))
  // A consumer still on v1 reads the v2 record: the new field is left out, the rest is there.
  const old = await readAs({ brokers: ctx.brokers, registryUrl: ctx.registryUrl, topic: ex08Topic(ctx) }, 1)
  assert.deepEqual(old.map(r => [r.writerId, JSON.parse(JSON.stringify(r.value))]), [[v1Id, { id: 'cliente-1', nome: 'Ana' }], [v2.body.id, { id: 'cliente-2', nome: 'Bia' }]])
  assert.match(await tool('ler', '1'), /→ \{"id":"cliente-2","nome":"Bia"\}/)
  isDone(await ex08.check(ctx))

  // RESET=1: v1 alone again, on an empty topic but its first record.
  await ex08.setup(ctx)
  notDone(await ex08.check(ctx), /só tem a v1/)
}

async function placeOrder (shop: ExerciseShop, customerId: string): Promise<string> {
  const res = await fetch(`${shop.ctx.serviceUrl('checkout-api')}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId, items: [{ productId: 'prod_1', quantity: 2 }], mode: 'choreography' })
  })
  const body = await res.json() as { orderId: string }
  assert.equal(res.status, 202, JSON.stringify(body))
  return body.orderId
}

async function exercise9 (shop: ExerciseShop): Promise<void> {
  const { ctx } = shop
  await ex09.setup(ctx)
  notDone(await ex09.check(ctx), /nenhum pedido do cliente/)

  // Wrong attempt: an order of another customer finishes normally and is not the exercise's.
  await placeOrder(shop, 'ex09-outro-pay-ok')
  notDone(await ex09.check(ctx), /nenhum pedido do cliente/)

  // The solution: an order of the named customer (payment answers after the deadline), followed to its end.
  const orderId = await placeOrder(shop, EX09_CUSTOMER)
  notDone(await ex09.check(ctx), /pendente/)
  const done = await waitFor('exercise 9 done', async () => {
    const r = await ex09.check(ctx)
    return r.done ? r : undefined
  }, 30_000, 500)
  isDone(done)
  assert.ok(done.seen?.some(s => s.includes(orderId) && s.includes('deadline_exceeded')), (done.seen ?? []).join(' | '))
  assert.ok(done.seen?.some(s => /^pagamento: (cancelado antes de cobrar|cobrado e estornado)/.test(s)), (done.seen ?? []).join(' | '))
  // Reserved then released; on a loaded machine inventory may hear orders.failed first and never reserve.
  assert.ok(done.seen?.some(s => /^estoque: (reserva liberada \(release 2 de prod_1, reserve 2 de prod_1\)|nunca reservado)/.test(s)), (done.seen ?? []).join(' | '))

  // RESET=1: orders from before the setup no longer count.
  await ex09.setup(ctx)
  notDone(await ex09.check(ctx), /nenhum pedido do cliente/)
}

test('exercise 8: a compatible v2 registered and written with old consumers still reading, an incompatible one refused', { timeout: 240_000 }, async t => {
  const shop = await startExerciseShop({ env: { ORDER_DEADLINE_MS: 8000, PAYMENT_SLOW_MS: 60_000 } })
  shared = shop
  await exercise8(shop.ctx)
})

test('exercise 9: an order failed by its deadline, payment and stock compensated once', { timeout: 180_000 }, async () => {
  assert.ok(shared, 'the exercise shop started')
  await exercise9(shared)
})
