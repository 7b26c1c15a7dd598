import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { DrillRun } from '../../../src/chaos/drills.ts'
import { assertTimeline, runDrill, startDrillApi } from '../../../src/testing/chaos.ts'
import { startExerciseShop } from '../../../src/testing/index.ts'
import type { ExerciseShop } from '../../../src/testing/index.ts'

// The chaos drills end to end over the control plane's routes, on a private shop (its own topics,
// groups, schemas and ports over the shared stack): inventory slowed by its runtime toggle, and
// records no reader can decode; each run's timeline and its invariant check. Payment stopped and
// started again (a process restart, slower) runs in make test-full: test/full/control/chaos.test.ts.
// The drills that touch the stack itself (PostgreSQL paused, a broker killed) never run on the
// shared stack: on this 1-broker shop the leader kill says why it cannot run; both run end to end
// on a private 3-broker stack in make test-full (test/full/control/chaos-stack.test.ts).

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

test('the scenes: an unknown one is a 400 naming body.scene, the leader kill is unavailable on 1 broker and says why, an unknown run is a 404', async () => {
  const scenes = (await api.inject({ method: 'GET', url: '/chaos/scenes' })).json().scenes as Array<{ name: string, unavailable: string | null }>
  assert.deepEqual(scenes.map(s => s.name), ['pagamento-parado', 'estoque-lento', 'postgres-pausado', 'schema-invalido', 'rajada', 'lider-morto'])
  assert.match(scenes.find(s => s.name === 'lider-morto')!.unavailable ?? '', /3 brokers/)
  assert.equal(scenes.find(s => s.name === 'pagamento-parado')!.unavailable, null)

  const bad = await api.inject({ method: 'POST', url: '/chaos/drills', payload: { scene: 'apagao' } })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'SHOP_ERR_VALIDATION')
  assert.equal(bad.json().errors[0].field, 'body.scene')

  const tooLong = await api.inject({ method: 'POST', url: '/chaos/drills', payload: { scene: 'pagamento-parado', seconds: 0 } })
  assert.equal(tooLong.statusCode, 400)
  assert.match(JSON.stringify(tooLong.json().errors), /seconds/)

  const leader = await api.inject({ method: 'POST', url: '/chaos/drills', payload: { scene: 'lider-morto' } })
  assert.equal(leader.statusCode, 409)
  assert.equal(leader.json().code, 'SHOP_ERR_DRILL_UNAVAILABLE')
  assert.match(leader.json().details.reason, /make demo BROKERS=3/)

  assert.equal((await api.inject({ method: 'GET', url: '/chaos/drills/nope' })).statusCode, 404)
})

test('inventory slowed for 2 s through its fault toggle (handlerDelayMs, no restart): the lag grows during the fault and goes back to 0, every order since the start ends, invariants hold; the demo\'s traffic generator is paused meanwhile and started again after', async (t) => {
  // As under make demo: the generator runs (its orders would keep lag and pending orders from reaching 0).
  const traffic = `${shop.ctx.serviceUrl('checkout-api')}/traffic`
  assert.equal((await fetch(traffic, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rate: 2 }) })).status, 200)
  t.after(async () => { await fetch(traffic, { method: 'DELETE' }).catch(() => {}) })
  const run = await runDrill(api, 'estoque-lento', { seconds: 2 })
  assertTimeline(run)
  assert.ok(run.events.some(e => /gerador de tráfego da demo pausado durante a simulação \(2 pedido/.test(e.text)), JSON.stringify(run.events))
  assert.ok(run.events.some(e => /gerador de tráfego da demo religado: 2 pedido/.test(e.text)), JSON.stringify(run.events))
  const after = await (await fetch(traffic)).json() as { running: boolean, rate: number }
  assert.deepEqual([after.running, after.rate], [true, 2], 'the generator runs again at its rate')
  assert.ok(run.orders >= 4, `orders checked: ${run.orders}`)
  const during = run.samples.filter(s => s.at >= run.faultStartedAt! && s.at <= run.recoveredAt!)
  assert.ok(during.some(s => s.lag > 0), `no lag during the fault: ${JSON.stringify(run.samples)}`)
  assert.equal(run.samples.at(-1)!.lag, 0)
  assert.ok(run.events.some(e => /handlerDelayMs=1500 ligado/.test(e.text)) && run.events.some(e => /handlerDelayMs desligado/.test(e.text)))
  const toggles = await (await fetch(`${shop.ctx.serviceUrl('inventory')}/faults`)).json() as { faults: { handlerDelayMs: number } }
  assert.equal(toggles.faults.handlerDelayMs, 0, 'the drill turned its toggle off again')
  const list = (await api.inject({ method: 'GET', url: '/chaos/drills' })).json().runs as DrillRun[]
  assert.equal(list[0]!.id, run.id)
})

test('an unregistered and an incompatible schema id on orders.new: both dead-lettered, the errors show in the timeline, invariants hold', async () => {
  const run = await runDrill(api, 'schema-invalido')
  assertTimeline(run)
  assert.ok(run.events.some(e => /orders\.dlq/.test(e.text)), JSON.stringify(run.events))
  assert.ok(run.samples.some(s => s.errorsPerSec > 0), `no errors sampled: ${JSON.stringify(run.samples)}`)
  // make test's stack has no authorizer: no grant to the drill principal, and the timeline says why
  // (with KAFKA_AUTH=scram the grant and its revoke: test/integration/security/kafka-acls.test.ts).
  assert.ok(run.events.some(e => /não tem autorizador \(KAFKA_AUTH=none\): nenhuma ACL concedida a drill/.test(e.text)), JSON.stringify(run.events))
})
