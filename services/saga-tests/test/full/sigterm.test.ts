import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Saga, WITH_ORCHESTRATOR, orderBody, settle } from '../../src/index.ts'
import type { ServiceId } from '../../src/index.ts'

// A graceful stop (SIGTERM, as a supervisor or `make down` does) of each service while orders flow,
// then a restart. Whatever was in flight is finished or redelivered: no effect twice (the saga
// invariants), no committed order whose 202 the client never got, and every accepted order ends.

const VICTIMS: ServiceId[] = ['checkout-api', 'payment', 'inventory', 'notification', 'orchestrator']

// Every service runs as its own process and is stopped in turn (one saga set-up, so the suite stays short).
test('each service stopped with SIGTERM in turn under load and restarted: no effect twice, no accepted order lost', { timeout: 300_000 }, async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, processes: VICTIMS, env: { payment: { PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 50 } } })
  t.after(() => saga.close())
  const p = await saga.product(100_000)
  const accepted: string[] = []
  let n = 0
  const load = { on: true }
  // Load: 10 clients placing orders (both saga modes) until told to stop; errors while checkout-api is down are expected.
  const clients = Array.from({ length: 10 }, async () => {
    while (load.on) {
      const customer = `sigterm-${saga.env.id}-${n++}`
      try {
        const res = await saga.placeOrder(orderBody(customer, [{ productId: p, quantity: 1 }], { mode: n % 2 === 0 ? 'choreography' : 'orchestration' }))
        if (res.status === 202) accepted.push(res.body.orderId)
      } catch {
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
  })
  for (const victim of VICTIMS) {
    await new Promise(resolve => setTimeout(resolve, 1000))
    await saga.terminate(victim)
  }
  await new Promise(resolve => setTimeout(resolve, 1000))
  load.on = false
  await Promise.all(clients)

  // Every committed order of this test was answered 202: a shutdown never drops a response after the commit.
  const committed = await saga.sql.unsafe(`select id from ${saga.schema('checkout-api')}.orders where customer_id like $1`, [`sigterm-${saga.env.id}-%`])
  const unanswered = committed.map(r => r.id as string).filter(id => !accepted.includes(id))
  assert.deepEqual(unanswered, [], `${unanswered.length} committed order(s) whose 202 was lost`)
  assert.ok(accepted.length > 20, `load went on (${accepted.length} accepted)`)
  await saga.waitTerminal(accepted, 90_000)
  assert.deepEqual(await settle(saga, accepted, 60_000), [])
})
