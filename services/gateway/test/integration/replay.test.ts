import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { io as connect } from 'socket.io-client'
import { HEADERS, TOPICS } from '@vitrine/contracts'
import type { TopicValues } from '@vitrine/contracts'
import { endOffsets } from '@vitrine/service-kit'
import type { Delivered } from '@vitrine/service-kit'
import { testInstructorHeaders, waitFor } from '@vitrine/infra/testing'
import type { LiveEvent } from '../../src/lib/live-event.ts'
import type { OrderReplayPush, OrderReplayStatus } from '../../src/wire.ts'
import { gatewayHarness, orderConfirmed, orderCreated } from './helper.ts'

// POST /api/orders/:orderId/replay on the real broker: an order's records, written to this test's
// prefixed topics (a second order's in between, and a dead letter that keeps the order's key),
// re-read and pushed to a socket.io client as `order-replay`, exactly those records, in the order
// they were written, with their own offsets and timestamps; nothing is written to Kafka.

const h = gatewayHarness()

const paymentRequested = (orderId: string): TopicValues['payments.requested'] => ({ eventId: randomUUID(), orderId, paymentId: randomUUID(), customerId: 'c-1', amountCents: 990, occurredAt: Date.now() })
const notified = (orderId: string): TopicValues['notifications.sent'] => ({ eventId: randomUUID(), orderId, customerId: 'c-1', kind: 'ORDER_CONFIRMED', channels: ['email'], occurredAt: Date.now() })

async function call (method: 'POST' | 'GET' | 'DELETE', url: string, payload?: object): Promise<{ statusCode: number, body: any }> {
  const res = await h.app.inject({ method, url, headers: testInstructorHeaders(), ...(payload !== undefined ? { payload } : {}) })
  return { statusCode: res.statusCode, body: res.json() }
}

type Push = OrderReplayPush & { at: number }

function browser (t: { after: (fn: () => void) => void }): { pushes: Push[], live: LiveEvent[], connected: () => boolean } {
  const socket = connect(h.url, { transports: ['websocket'], reconnection: false })
  t.after(() => socket.close())
  const out = { pushes: [] as Push[], live: [] as LiveEvent[], connected: () => socket.connected }
  socket.on('order-replay', (p: OrderReplayPush) => out.pushes.push({ ...p, at: Date.now() }))
  socket.on('events', (batch: LiveEvent[]) => out.live.push(...batch))
  return out
}

const coords = (d: { topic: string, partition: number, offset: number }): string => `${d.topic.replace(h.env.prefix, '')}/${d.partition}/${d.offset}`
const allEnds = async (): Promise<string> => JSON.stringify((await endOffsets(h.env.brokers, TOPICS.map(t => h.env.prefix + t.name))).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition))

test('an order\'s replay: exactly its records, in the order they were written, pushed as order-replay with their own offsets and timestamps, at the pace asked; nothing produced', async t => {
  const b = browser(t)
  await waitFor('socket connected', async () => b.connected())
  const orderId = randomUUID()
  const other = randomUUID()
  const created = orderCreated(orderId)
  const written: Delivered[] = []
  written.push(await h.publish('orders.new', created, { producer: 'checkout-api' }))
  await h.publish('orders.new', orderCreated(other), { producer: 'checkout-api' })
  written.push(await h.publish('payments.requested', paymentRequested(orderId), { producer: 'payment', causationId: created.eventId }))
  written.push(await h.publish('orders.confirmed', orderConfirmed(orderId), { producer: 'checkout-api' }))
  written.push(await h.publish('notifications.sent', notified(orderId), { producer: 'notification' }))
  // A dead letter keeps the original record's key and bytes (the DLQ's key is 'original').
  written.push(await h.producer.send({
    topic: h.env.prefix + 'orders.dlq',
    key: orderId,
    value: await h.serde.encode('orders.new', created),
    headers: { [HEADERS.originalTopic]: h.env.prefix + 'orders.new', [HEADERS.originalPartition]: String(written[0]!.partition), [HEADERS.originalOffset]: String(written[0]!.offset), [HEADERS.error]: 'test', [HEADERS.correlationId]: orderId }
  }))
  const expected = written.map(coords)
  // The live feed's own copy of each record: what a replayed one must equal, field for field.
  await waitFor('the live feed saw the order', async () => b.live.filter(e => e.orderId === orderId).length === written.length, 20_000)
  const before = await allEnds()

  const pace = 10
  const res = await call('POST', `/api/orders/${orderId}/replay`, { pace })
  assert.equal(res.statusCode, 202, JSON.stringify(res.body))
  const status = res.body as OrderReplayStatus
  assert.equal(status.orderId, orderId)
  assert.equal(status.pace, pace)
  assert.equal(status.total, written.length)
  assert.equal(status.writesToKafka, false)
  assert.deepEqual(status.records.map(coords), expected, 'the records to play, in the order they were written')

  await waitFor('every record replayed', async () => b.pushes.some(p => p.status.id === status.id && p.status.state === 'done'), 15_000)
  const mine = b.pushes.filter(p => p.status.id === status.id)
  assert.ok(mine.every(p => p.replay === true), 'every push is marked as a replay')
  assert.equal(mine[0]!.seq, null, 'the start comes first, with no record')
  const played = mine.filter(p => p.event !== null)
  assert.deepEqual(played.map(p => p.seq), written.map((_, i) => i))
  assert.deepEqual(played.map(p => coords(p.event!)), expected, 'exactly the order\'s records, in their order')
  for (const p of played) {
    const original = b.live.find(e => e.id === p.event!.id)
    assert.ok(original, `${p.event!.id} is a record the topics hold`)
    assert.deepEqual(p.event, original, 'the record as stored: its own offset, timestamp, headers and value')
  }
  assert.equal(played.at(-1)!.status.sent, written.length)
  // The pace: never faster than asked (a timer never fires early; a loaded machine may be slower).
  const span = played.at(-1)!.at - played[0]!.at
  assert.ok(span >= (written.length - 1) * (1000 / pace) * 0.9, `${written.length} records at ${pace}/s took ${span} ms`)
  assert.equal(await allEnds(), before, 'a replay re-reads: no topic grew')
  assert.equal(b.live.filter(e => e.orderId === orderId).length, written.length, 'the live feed got nothing new')
  assert.equal((await call('GET', '/api/replay')).body.replay.state, 'done')
})

test('replay: an unknown order is a 404 naming params.orderId; a bad pace a 400 naming body.pace and its rule; a replay can be stopped', async t => {
  const unknown = await call('POST', `/api/orders/${randomUUID()}/replay`, { pace: 1 })
  assert.equal(unknown.statusCode, 404, JSON.stringify(unknown.body))
  assert.equal(unknown.body.code, 'SHOP_ERR_NOT_FOUND')
  assert.equal(unknown.body.details.field, 'params.orderId')

  const orderId = randomUUID()
  for (const [payload, rule] of [[{ pace: 0 }, 'minimum'], [{ pace: 1000 }, 'maximum'], [{ pace: 'depressa' }, 'type'], [{}, 'required']] as const) {
    const bad = await call('POST', `/api/orders/${orderId}/replay`, payload)
    assert.equal(bad.statusCode, 400, `${JSON.stringify(payload)} → ${JSON.stringify(bad.body)}`)
    assert.equal(bad.body.code, 'SHOP_ERR_VALIDATION')
    assert.deepEqual(bad.body.errors.map((e: { field: string, rule: string }) => [e.field, e.rule]), [['body.pace', rule]], JSON.stringify(payload))
  }

  const b = browser(t)
  await waitFor('socket connected', async () => b.connected())
  await h.publish('orders.new', orderCreated(orderId))
  await h.publish('orders.confirmed', orderConfirmed(orderId))
  // One record every 10 s: the second is still waiting when the replay is stopped.
  const started = await call('POST', `/api/orders/${orderId}/replay`, { pace: 0.1 })
  assert.equal(started.statusCode, 202, JSON.stringify(started.body))
  await waitFor('the first record replayed', async () => b.pushes.some(p => p.seq === 0 && p.status.id === started.body.id), 10_000)
  const stopped = await call('DELETE', '/api/replay')
  assert.equal(stopped.statusCode, 200, JSON.stringify(stopped.body))
  assert.equal(stopped.body.state, 'stopped')
  assert.equal(stopped.body.sent, 1)
  await waitFor('the stop pushed', async () => b.pushes.some(p => p.status.id === started.body.id && p.status.state === 'stopped'), 5_000)
  assert.equal((await call('DELETE', '/api/replay')).statusCode, 404, 'nothing is playing any more')
})
