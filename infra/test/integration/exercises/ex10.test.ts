import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import ex10, { ex10Customer } from '../../../src/exercises/ex10.ts'
import { ordersById, placeOrder } from '../../../src/exercises/saga.ts'
import type { NewOrder } from '../../../src/exercises/saga.ts'
import type { ExerciseContext } from '../../../src/exercises/types.ts'
import { notDone, startExerciseShop } from '../../../src/testing/exercises.ts'
import type { ExerciseShop } from '../../../src/testing/exercises.ts'
import { waitFor } from '../../../src/testing/saga-env.ts'

// Exercise 10 on an exercise shop (the saga's five services): setup → the checker asks for both
// orders → a wrong attempt (different items) is still not done → the scripted solution (the same
// order in the other mode) → done, with what Kafka holds for each order counted from the topics
// → RESET (setup again) → not done.

let shop: ExerciseShop

before(async () => { shop = await startExerciseShop() }, { timeout: 180_000 })
after(async () => { await shop?.close() })

/** Places the order and waits until checkout-api says it ended (confirmed or failed). */
async function orderToTheEnd (ctx: ExerciseContext, order: NewOrder): Promise<string> {
  const id = await placeOrder(ctx, order)
  await waitFor(`order ${id} (${order.mode}) finished`, async () => (await ordersById(ctx, [id]))[0]?.status !== 'pending', 30_000, 200)
  return id
}

test('exercise 10: the same order in choreography and orchestration, both finished, counted from the topics', { timeout: 120_000 }, async () => {
  const { ctx } = shop
  const customerId = ex10Customer(ctx)
  assert.match(customerId, /^turma-ex10-pay-ok-t/, 'a test\'s customer carries its suffix')
  await ex10.setup(ctx)
  const start = await ex10.check(ctx)
  notDone(start, /coreografia para o cliente turma-ex10-pay-ok/)
  notDone(start, /orquestração para o cliente/)

  // Wrong attempt: one order per mode, but not the same items.
  const items = [{ productId: 'prod_1', quantity: 1 }, { productId: 'prod_3', quantity: 2 }]
  const choreo = await orderToTheEnd(ctx, { customerId, items, mode: 'choreography' })
  notDone(await ex10.check(ctx), /orquestração para o cliente/)
  await orderToTheEnd(ctx, { customerId, items: [{ productId: 'prod_1', quantity: 1 }], mode: 'orchestration' })
  notDone(await ex10.check(ctx), /mesmos itens: coreografia tem 1× prod_1, 2× prod_3, orquestração tem 1× prod_1/)
  // Another customer's order does not count.
  await orderToTheEnd(ctx, { customerId: `outro-${customerId}`, items, mode: 'orchestration' })
  notDone(await ex10.check(ctx), /mesmos itens/)

  // The solution: the same order again in orchestration (the latest of each mode is the attempt).
  const orch = await orderToTheEnd(ctx, { customerId, items: [...items].reverse(), mode: 'orchestration' })
  const started = Date.now()
  const done = await ex10.check(ctx)
  const took = Date.now() - started
  assert.equal(done.done, true, `still missing: ${done.missing.join(' | ')}`)
  assert.deepEqual(done.missing, [])
  const seen = done.seen ?? []
  // Both confirmed (pay-ok): what each mode leaves in Kafka for its order, read by key.
  assert.ok(seen.includes(`coreografia: pedido ${choreo.slice(0, 8)} de 1× prod_1, 2× prod_3, confirmado`), seen.join(' | '))
  assert.ok(seen.includes(`orquestração: pedido ${orch.slice(0, 8)} de 1× prod_1, 2× prod_3, confirmado`), seen.join(' | '))
  const kafka = (mode: string): string => seen.find(s => s.startsWith(`${mode} (pedido`)) ?? ''
  assert.match(kafka('coreografia'), /: 6 mensagens em 6 tópicos \(.*orders\.new 1.*payments\.requested 1.*\), escritas por \d serviços \(.*checkout-api.*\)/, seen.join(' | '))
  assert.match(kafka('orquestração'), /: 10 mensagens em 8 tópicos \(.*payments\.commands 1.*inventory\.commands 2.*orders\.commands 1.*\), escritas por \d serviços \(.*orchestrator.*\)/, seen.join(' | '))
  assert.ok(took < 5000, `the check took ${took} ms`)

  // RESET: a new attempt; the orders placed before it no longer count.
  await ex10.setup(ctx)
  notDone(await ex10.check(ctx), /coreografia para o cliente/)
})
