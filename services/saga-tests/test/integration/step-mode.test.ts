import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { endOffsets } from '@vitrine/service-kit'
import type { HeldEventType } from '@vitrine/service-kit'
import { waitFor } from '@vitrine/infra/testing/saga'
import { Saga, orderBody } from '../../src/index.ts'
import type { ServiceId } from '../../src/index.ts'

// The instructor's step mode (issue 17) on the real broker: with it on, the choreographed saga moves
// one handler per release, nothing moves between releases, and the deadline sweeper does not fail an
// order held past its (short) deadline; off, everything flows and the order completes in time,
// its deadline moved forward by the time frozen.

const SERVICES: ServiceId[] = ['inventory', 'payment', 'notification', 'checkout-api']
const SAGA_TOPICS = ['orders.new', 'payments.requested', 'payments.approved', 'inventory.reserved', 'orders.confirmed', 'notifications.sent', 'orders.failed']
const DEADLINE_MS = 1500

test('step mode: one event per release through orders.new → payments.approved → inventory.reserved → orders.confirmed, nothing between releases, no deadline failure while held; off: the saga completes', async t => {
  const saga = await Saga.start({ services: SERVICES, env: { 'checkout-api': { ORDER_DEADLINE_MS: DEADLINE_MS, DEADLINE_SWEEP_MS: 200 } } })
  t.after(() => saga.close())
  const product = await saga.product(10)

  const ends = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = Object.fromEntries(SAGA_TOPICS.map(n => [n, 0]))
    for (const p of await endOffsets(saga.env.brokers, SAGA_TOPICS.map(n => saga.env.prefix + n))) out[p.topic.slice(saga.env.prefix.length)]! += p.offset
    return out
  }
  const step = async (mode: 'on' | 'off'): Promise<void> => {
    for (const id of SERVICES) {
      const res = await saga.request(id, 'POST', '/admin/step', { mode })
      assert.equal(res.status, 200, `${id}: ${JSON.stringify(res.body)}`)
      assert.equal(res.body.on, mode === 'on')
    }
  }
  const held = async (): Promise<HeldEventType[]> => {
    const all: HeldEventType[] = []
    for (const id of SERVICES) all.push(...(await saga.request(id, 'GET', '/admin/step')).body.held as HeldEventType[])
    return all.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.service.localeCompare(b.service))
  }
  const where = (h: HeldEventType[]): string[] => h.map(e => `${e.originTopic}@${e.service}`).sort()
  // Waits until exactly `expected` is held (what the services hold settles a moment after a release).
  const heldNow = async (expected: string[]): Promise<HeldEventType[]> => await waitFor(`held: ${expected.join(', ')}`, async () => {
    const h = await held()
    return JSON.stringify(where(h)) === JSON.stringify([...expected].sort()) ? h : undefined
  }, 20_000, 100)
  const release = async (e: HeldEventType): Promise<void> => {
    const res = await saga.request(e.service as ServiceId, 'POST', '/admin/step/release', { group: e.group, topic: e.topic, partition: e.partition, offset: e.offset })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.released.offset, e.offset)
  }
  const status = async (id: string): Promise<string> => (await saga.orderStatuses([id])).get(id)!.status

  await step('on')
  const before = await ends()
  const placed = await saga.placeOrder(orderBody('cliente-passo', [{ productId: product, quantity: 1 }]))
  assert.equal(placed.status, 202)
  const orderId = placed.body.orderId as string

  // orders.new is written, and payment holds it before its handler.
  let h = await heldNow(['orders.new@payment'])
  assert.equal(h[0]!.key, orderId)
  assert.match(h[0]!.summary, /1 item\(ns\), total/, 'the pt-BR summary of the held event, from its decoded value')
  // Past the order's deadline with the sweeper running every 200 ms: nothing moves, the order stays pending.
  await sleep(DEADLINE_MS + 1000)
  assert.deepEqual(where(await held()), ['orders.new@payment'])
  assert.deepEqual(await ends(), { ...before, 'orders.new': before['orders.new']! + 1 }, 'nothing written while held')
  assert.equal(await status(orderId), 'pending', 'the frozen sweeper did not fail the held order')
  const [row] = await saga.sql.unsafe(`select deadline_at < now() as overdue from ${saga.schema('checkout-api')}.orders where id = $1`, [orderId])
  assert.equal(row!.overdue, true, 'the order is held past its deadline')

  // Release 1: payment's handler runs (the charge, decided at once here): payments.requested and payments.approved.
  await release(h[0]!)
  h = await heldNow(['payments.approved@inventory'])
  let now = await ends()
  assert.equal(now['payments.approved'], before['payments.approved']! + 1)
  assert.equal(now['inventory.reserved'], before['inventory.reserved'], 'inventory has not reserved yet')
  await sleep(700)
  assert.deepEqual(await ends(), now, 'nothing written between releases')

  // Release 2: inventory reserves.
  await release(h[0]!)
  h = await heldNow(['inventory.reserved@checkout-api'])
  now = await ends()
  assert.equal(now['inventory.reserved'], before['inventory.reserved']! + 1)
  assert.equal(now['orders.confirmed'], before['orders.confirmed'])
  assert.equal(await status(orderId), 'pending')

  // Release 3: checkout-api confirms; inventory (the sale) and notification each hold orders.confirmed.
  await release(h[0]!)
  h = await heldNow(['orders.confirmed@inventory', 'orders.confirmed@notification'])
  assert.equal(await status(orderId), 'confirmed', 'not failed by its deadline: the sweeper was frozen')
  now = await ends()
  assert.equal(now['orders.confirmed'], before['orders.confirmed']! + 1)
  assert.equal(now['orders.failed'], before['orders.failed'], 'no orders.failed')
  assert.equal(now['notifications.sent'], before['notifications.sent'])

  // Release 4 and 5, one service each.
  await release(h.find(e => e.service === 'notification')!)
  await heldNow(['orders.confirmed@inventory'])
  await waitFor('notifications.sent', async () => (await ends())['notifications.sent'] === before['notifications.sent']! + 1, 10_000, 100)
  await release((await held())[0]!)
  await heldNow([])
  await waitFor('the sale committed', async () => {
    const p = (await saga.request('inventory', 'GET', `/products/${product}`)).body
    return p.stock === 9 && p.reserved === 0
  }, 10_000, 100)

  // A second order held past its deadline, then the mode off: it flows and completes, its deadline moved forward.
  const second = await saga.placeOrder(orderBody('cliente-passo', [{ productId: product, quantity: 1 }]))
  assert.equal(second.status, 202)
  const secondId = second.body.orderId as string
  await heldNow(['orders.new@payment'])
  await sleep(DEADLINE_MS + 500)
  const [d0] = await saga.sql.unsafe(`select deadline_at from ${saga.schema('checkout-api')}.orders where id = $1`, [secondId])
  await step('off')
  const statuses = await saga.waitTerminal([secondId], 20_000)
  assert.equal(statuses.get(secondId)!.status, 'confirmed', JSON.stringify(statuses.get(secondId)))
  const [d1] = await saga.sql.unsafe(`select deadline_at from ${saga.schema('checkout-api')}.orders where id = $1`, [secondId])
  assert.ok((d1!.deadline_at as Date).getTime() - (d0!.deadline_at as Date).getTime() >= DEADLINE_MS, 'the deadline moved forward by the time frozen')
  assert.deepEqual(await held(), [])
})
