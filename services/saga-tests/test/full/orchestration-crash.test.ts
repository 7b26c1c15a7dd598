import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Saga, WITH_ORCHESTRATOR, orchestrated, recordsOf, settle } from '../../src/index.ts'

// The orchestrator killed with SIGKILL while sagas are in flight: no shutdown hook, no offset
// commit, no outbox flush. On restart it resumes each saga from its row; no step runs twice.
test('orchestrator killed (SIGKILL) mid-saga and restarted: every saga finishes, no duplicate charge, reservation or refund', async (t) => {
  const saga = await Saga.start({
    services: WITH_ORCHESTRATOR,
    processes: ['orchestrator'],
    env: { payment: { PAYMENT_FAILURE_RATE: 0.3, PAYMENT_DELAY_MIN_MS: 300, PAYMENT_DELAY_MAX_MS: 900 } }
  })
  t.after(() => saga.close())
  const p = await saga.product(30)
  const q = await saga.product(10_000)
  const bodies = Array.from({ length: 80 }, (_, i) => orchestrated(`rajada-${i}`, [{ productId: i % 2 === 0 ? p : q, quantity: 1 }]))
  const first = await saga.placeOrders(bodies.slice(0, 40))
  // Kill only once sagas are really in flight: otherwise the test proves nothing.
  const inFlight = async (): Promise<number> => (await saga.sql.unsafe(`select count(*)::int as n from ${saga.schema('orchestrator')}.sagas where state not in ('completed', 'failed')`))[0]!.n as number
  const deadline = Date.now() + 20_000
  while (await inFlight() === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
  const midSaga = await inFlight()
  assert.ok(midSaga > 0, 'sagas in flight at the kill')
  await saga.crash('orchestrator')
  const second = await saga.placeOrders(bodies.slice(40))
  const ids = [...first, ...second]
  const statuses = [...(await saga.waitTerminal(ids, 120_000)).values()]
  assert.equal(statuses.length, 80)
  assert.ok(statuses.some(s => s.status === 'confirmed'), 'some orders confirmed')
  assert.ok(statuses.some(s => s.status === 'failed'), 'some orders failed (declined or out of stock)')
  // settle() checks every saga terminal, at most one charge/reserve/release/refund, and each command once (distinct eventIds).
  assert.deepEqual(await settle(saga, ids, 60_000), [])
  const charges = (await recordsOf(saga, 'payments.commands', ids)).filter(r => r.value.command === 'CHARGE')
  assert.equal(new Set(charges.map(r => r.value.eventId)).size, 80, 'one CHARGE per order, none repeated after the restart')
})
