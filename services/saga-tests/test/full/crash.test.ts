import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Saga, orderBody, settle } from '../../src/index.ts'

// A service killed with SIGKILL mid-burst: no shutdown hook runs, offsets and the outbox are where
// the crash left them. After a restart every order must still finish, with no effect applied twice.
for (const victim of ['payment', 'inventory', 'checkout-api'] as const) {
  test(`${victim} killed (SIGKILL) in the middle of a burst and restarted: every order finishes, nothing duplicated`, async (t) => {
    const saga = await Saga.start({ processes: [victim], env: { payment: { PAYMENT_FAILURE_RATE: 0.3, PAYMENT_DELAY_MIN_MS: 20, PAYMENT_DELAY_MAX_MS: 200 } } })
    t.after(() => saga.close())
    const p = await saga.product(40)
    const q = await saga.product(10_000)
    const bodies = Array.from({ length: 80 }, (_, i) => orderBody(`rajada-${i}`, [{ productId: i % 2 === 0 ? p : q, quantity: 1 }]))
    const first = await saga.placeOrders(bodies.slice(0, 40))
    await saga.crash(victim)
    const second = await saga.placeOrders(bodies.slice(40))
    const ids = [...first, ...second]
    const statuses = [...(await saga.waitTerminal(ids, 90_000)).values()]
    assert.equal(statuses.length, 80)
    assert.ok(statuses.some(s => s.status === 'confirmed'), 'some orders confirmed')
    assert.deepEqual(await settle(saga, ids), [])
  })
}
