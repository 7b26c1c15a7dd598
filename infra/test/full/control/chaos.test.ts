import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { DrillRun } from '../../../src/chaos/drills.ts'
import { assertTimeline, runDrill, startDrillApi } from '../../../src/testing/chaos.ts'
import { startExerciseShop } from '../../../src/testing/index.ts'
import type { ExerciseShop } from '../../../src/testing/index.ts'

// The slower drills end to end over the control plane's routes, on a private shop (its own topics,
// groups, schemas and ports over the shared stack): payment stopped (SIGTERM) for 3 s and started
// again, and a burst of orders; each timeline and its invariant check. The faster drills run in
// make test: test/integration/control/chaos.test.ts.

let shop: ExerciseShop
let api: FastifyInstance

before(async () => {
  shop = await startExerciseShop({ services: ['inventory', 'payment', 'notification', 'checkout-api'] })
  api = await startDrillApi(shop.plane, { baselineMs: 1000, sampleMs: 500, trafficPerSec: 4, recoveryTimeoutMs: 60_000, settleTimeoutMs: 30_000 })
})

after(async () => {
  await api?.close()
  await shop?.close()
})

test('payment stopped for 3 s: the lag grows during the fault and goes back to 0, every order since the start ends, invariants hold', async () => {
  const run = await runDrill(api, 'pagamento-parado', { seconds: 3 })
  assertTimeline(run)
  assert.ok(run.orders >= 4, `orders checked: ${run.orders}`)
  const during = run.samples.filter(s => s.at >= run.faultStartedAt! && s.at <= run.recoveredAt!)
  assert.ok(during.some(s => s.lag > 0), `no lag during the fault: ${JSON.stringify(run.samples)}`)
  assert.equal(run.samples.at(-1)!.lag, 0)
  assert.ok(run.events.some(e => /payment parado/.test(e.text)) && run.events.some(e => /payment iniciado/.test(e.text)))
  // A second drill may run now; the list holds both newest first later.
  const list = (await api.inject({ method: 'GET', url: '/chaos/drills' })).json().runs as DrillRun[]
  assert.equal(list[0]!.id, run.id)
})

test('a burst of 60 orders: every one accepted ends (confirmed, or failed when stock runs out), stock never negative, one charge each, lag back to 0', async () => {
  const run = await runDrill(api, 'rajada', { orders: 60 })
  assertTimeline(run)
  assert.ok(run.orders >= 60, `orders checked: ${run.orders}`)
  assert.ok(run.events.some(e => /60 pedidos aceitos, 0 recusados/.test(e.text)), JSON.stringify(run.events))
})
