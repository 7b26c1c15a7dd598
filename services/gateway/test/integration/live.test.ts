import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { HEADERS } from '@vitrine/contracts'
import { waitFor } from '@vitrine/infra/testing'
import type { LiveEvent } from '../../src/lib/live-event.ts'
import type { StatsSnapshot } from '../../src/lib/stats.ts'
import { gatewayHarness, orderConfirmed, orderCreated } from './helper.ts'

const h = gatewayHarness()

function browser (): { socket: Socket, events: LiveEvent[], history: LiveEvent[][], batches: number[], stats: StatsSnapshot[] } {
  const socket = connect(h.url, { transports: ['websocket'], reconnection: false })
  const out = { socket, events: [] as LiveEvent[], history: [] as LiveEvent[][], batches: [] as number[], stats: [] as StatsSnapshot[] }
  socket.on('history', (events: LiveEvent[]) => out.history.push(events))
  socket.on('events', (batch: LiveEvent[]) => {
    out.batches.push(batch.length)
    out.events.push(...batch)
  })
  socket.on('stats', (s: StatsSnapshot) => out.stats.push(s))
  return out
}

test('events written to the catalog topics reach the browser decoded, with their Kafka coordinates and saga headers', async (t) => {
  const b = browser()
  t.after(() => b.socket.close())
  await waitFor('socket connected', async () => b.socket.connected)
  const orderId = randomUUID()
  const created = orderCreated(orderId)
  const d1 = await h.publish('orders.new', created, { producer: 'checkout-api', mode: 'orchestration' })
  const d2 = await h.publish('orders.confirmed', orderConfirmed(orderId), { producer: 'checkout-api', mode: 'orchestration', causationId: created.eventId })

  const mine = await waitFor('both events pushed', async () => {
    const es = b.events.filter(e => e.orderId === orderId)
    return es.length === 2 ? es : undefined
  }, 20_000)
  const first = mine.find(e => e.topic === 'orders.new')!
  assert.equal(first.partition, d1.partition)
  assert.equal(first.offset, d1.offset)
  assert.equal(first.key, orderId)
  assert.equal(first.producer, 'checkout-api')
  assert.equal(first.mode, 'orchestration')
  assert.equal(first.correlationId, orderId)
  assert.equal(typeof first.schemaId, 'number')
  assert.deepEqual(first.value, created)
  assert.equal(first.outcome, 'started')
  const second = mine.find(e => e.topic === 'orders.confirmed')!
  assert.equal(second.offset, d2.offset)
  assert.equal(second.causationId, created.eventId)
  assert.equal(second.outcome, 'success')
  assert.equal(second.headers[HEADERS.eventType], 'orders.confirmed')
})

test('a burst is pushed in batches, not one message per record, and nothing is lost', async (t) => {
  const b = browser()
  t.after(() => b.socket.close())
  await waitFor('socket connected', async () => b.socket.connected)
  const ids: string[] = Array.from({ length: 300 }, () => randomUUID())
  await Promise.all(ids.map(async id => await h.publish('orders.new', orderCreated(id))))
  await waitFor('all 300 events pushed', async () => ids.every(id => b.events.some(e => e.orderId === id)), 30_000)
  const mine = b.events.filter(e => ids.includes(e.orderId ?? ''))
  assert.equal(mine.length, 300, 'each record once')
  assert.ok(b.batches.length < 150, `300 events came in ${b.batches.length} batches`)
  assert.ok(Math.max(...b.batches) > 1)
})

test('a browser that connects late gets the recent history first, and an order\'s events are served by id', async (t) => {
  const orderId = randomUUID()
  await h.publish('orders.new', orderCreated(orderId))
  await h.publish('orders.confirmed', orderConfirmed(orderId))
  await waitFor('gateway has the order', async () => (h.app.live.feed.orders.get(orderId)?.length ?? 0) === 2, 20_000)

  const late = browser()
  t.after(() => late.socket.close())
  const history = await waitFor('history', async () => late.history[0])
  assert.ok(history.length <= h.config.HISTORY_SIZE)
  assert.deepEqual(history.filter(e => e.orderId === orderId).map(e => e.topic), ['orders.new', 'orders.confirmed'])
  const stats = await waitFor('stats', async () => late.stats[0])
  assert.ok(stats.orders.confirmed >= 1)

  const res = await fetch(`${h.url}/api/orders/${orderId}/events`)
  assert.equal(res.status, 200)
  const body = await res.json() as { events: LiveEvent[] }
  assert.deepEqual(body.events.map(e => e.topic), ['orders.new', 'orders.confirmed'])
  const missing = await fetch(`${h.url}/api/orders/${randomUUID()}/events`)
  assert.equal(missing.status, 404)
  assert.equal((await missing.json() as { code: string }).code, 'SHOP_ERR_ORDER_NOT_SEEN')
})

test('an undecodable record is shown as such, and the gateway dead-letters nothing (it only observes)', async (t) => {
  const b = browser()
  t.after(() => b.socket.close())
  await waitFor('socket connected', async () => b.socket.connected)
  const key = `poison-${randomUUID()}`
  const sent = await h.producer.send({ topic: h.env.prefix + 'payments.approved', key, value: Buffer.from('not avro at all'), headers: {} })
  const e = await waitFor('poison record pushed', async () => b.events.find(x => x.key === key), 20_000)
  assert.equal(e.offset, sent.offset)
  assert.equal(e.value, null)
  assert.match(e.decodeError ?? '', /wire format/)
  const dlq = await h.app.kafkaConsole.describeTopic(h.env.prefix + 'orders.dlq')
  assert.equal(dlq.messages, 0, 'orders.dlq is untouched')
  const groups = await h.app.kafkaConsole.listGroups()
  assert.ok(!groups.some(g => g.id === h.config.GATEWAY_GROUP + h.config.KAFKA_GROUP_SUFFIX), 'the live reader commits nothing, so it has no group on the broker')
})

test('stats and status are served over HTTP', async () => {
  const stats = await (await fetch(`${h.url}/api/stats`)).json() as StatsSnapshot
  assert.ok(stats.orders.created >= 302)
  const status = await (await fetch(`${h.url}/api/status`)).json() as { kafka: { connected: boolean, partitions: number }, prefix: string }
  assert.equal(status.kafka.connected, true)
  assert.equal(status.prefix, h.env.prefix)
  assert.ok(status.kafka.partitions >= 40, `reads ${status.kafka.partitions} partitions`)
  const health = await fetch(`${h.url}/health`)
  assert.equal(health.status, 200)
})
