import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Delivered } from '@vitrine/service-kit'
import type { LiveEvent } from '../../src/lib/live-event.ts'
import { gatewayHarness, orderCreated } from './helper.ts'

const h = gatewayHarness()

async function get (path: string): Promise<{ status: number, body: any }> {
  const res = await h.app.inject({ method: 'GET', url: path })
  return { status: res.statusCode, body: res.json() }
}

test('the message browser reads a partition from an offset, decoded, with each record\'s coordinates', async () => {
  // One order id: every record lands on the same partition (the key decides it).
  const orderId = randomUUID()
  const sent: Delivered[] = []
  for (let i = 0; i < 10; i++) sent.push(await h.publish('orders.new', { ...orderCreated(orderId), totalCents: 100 + i }))
  const partition = sent[0]!.partition
  assert.ok(sent.every(d => d.partition === partition))
  const topic = h.env.prefix + 'orders.new'

  const slice = await get(`/api/topics/${topic}/partitions/${partition}/messages?offset=${sent[3]!.offset}&limit=4`)
  assert.equal(slice.status, 200)
  const msgs = slice.body.messages as LiveEvent[]
  assert.deepEqual(msgs.map(m => m.offset), [3, 4, 5, 6].map(i => sent[i]!.offset))
  assert.deepEqual(msgs.map(m => (m.value as { totalCents: number }).totalCents), [103, 104, 105, 106])
  assert.ok(msgs.every(m => m.partition === partition && m.key === orderId && m.topic === 'orders.new' && typeof m.schemaId === 'number'))
  assert.equal(slice.body.high, sent[9]!.offset + 1)

  const tail = await get(`/api/topics/${topic}/partitions/${partition}/messages?limit=2`)
  assert.deepEqual((tail.body.messages as LiveEvent[]).map(m => m.offset), [sent[8]!.offset, sent[9]!.offset], 'without an offset: the last records')

  const past = await get(`/api/topics/${topic}/partitions/${partition}/messages?offset=${sent[9]!.offset + 1000}`)
  assert.equal(past.status, 200)
  assert.deepEqual(past.body.messages, [])
})

test('the browser names the bad field: a partition the topic does not have, a limit too big; an unknown topic is 404', async () => {
  const topic = h.env.prefix + 'orders.new'
  const part = await get(`/api/topics/${topic}/partitions/3/messages`)
  assert.equal(part.status, 400)
  assert.equal(part.body.errors[0].field, 'params.partition')
  const limit = await get(`/api/topics/${topic}/partitions/0/messages?limit=5000`)
  assert.equal(limit.status, 400)
  assert.equal(limit.body.errors[0].field, 'querystring.limit')
  const neg = await get(`/api/topics/${topic}/partitions/0/messages?offset=-1`)
  assert.equal(neg.status, 400)
  assert.equal(neg.body.errors[0].field, 'querystring.offset')
  assert.equal((await get(`/api/topics/nope-${randomUUID()}/partitions/0/messages`)).status, 404)
})
