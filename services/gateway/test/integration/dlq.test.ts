import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import { EventProducer, connect, readTopicNow } from '@vitrine/service-kit'
import dlq from '../../src/routes/api/dlq.ts'
import { orderCreated, routesOverControl, routesWithoutControl } from './helper.ts'

// /api/dlq lists the dead letters itself and relays a replay to the control plane, which writes as
// the Kafka admin (the gateway's principal may not write to the shop's topics). Behind it here: the
// real control plane over a test shop of its own (its prefix, its DLQ, its retry topic).

test('the DLQ console: a dead letter with its stored bytes, replayed once to its group through the control plane and the ledger; bad offsets are 400s naming the field', async (t) => {
  const { app, shop } = await routesOverControl(t, dlq, { given: shop => ({ serde: new TopicSerde(shop.env.registryUrl, shop.env.prefix) }) })
  const dlqTopic = shop.env.prefix + 'orders.dlq'
  const producer = new EventProducer(shop.env.brokers, 'gateway-test', pino({ level: 'silent' }))
  await producer.connect()
  t.after(async () => {
    await producer.close()
    const sql = connect(shop.env.databaseUrl, 'vitrine_ops', 1)
    await sql`delete from vitrine_ops.dlq_replays where dlq_topic = ${dlqTopic}`.catch(() => {})
    await sql.end({ timeout: 5 })
  })
  const serde = new TopicSerde(shop.env.registryUrl, shop.env.prefix)
  const order = orderCreated()
  const value = await serde.encode('orders.new', order)
  const delivered = await producer.send({
    topic: dlqTopic,
    key: order.orderId,
    value,
    headers: {
      [HEADERS.originalTopic]: shop.env.prefix + 'orders.new',
      [HEADERS.originalPartition]: '1',
      [HEADERS.originalOffset]: '42',
      [HEADERS.error]: 'boom in the handler',
      [HEADERS.attempts]: '4',
      [HEADERS.failedBy]: 'payment/payment'
    }
  })

  const list = await app.inject({ method: 'GET', url: '/dlq' })
  assert.equal(list.statusCode, 200, list.body)
  assert.equal(list.json().topic, dlqTopic)
  const d = (list.json().records as Array<{ offset: number, key: string, valueBase64: string, schemaId: number, group: string, value: { orderId: string } }>).find(r => r.key === order.orderId)
  assert.ok(d, 'the dead letter is listed')
  assert.equal(d.offset, delivered.offset)
  assert.deepEqual(Buffer.from(d.valueBase64, 'base64'), value, 'the bytes as stored')
  assert.equal(d.schemaId, value.readInt32BE(1))
  assert.equal(d.value.orderId, order.orderId, 'and decoded')
  assert.equal(d.group, 'payment')

  // The gateway's own schema refuses malformed bodies; an offset the DLQ lacks is the control plane's 400, relayed.
  for (const [body, field, rule] of [
    [{ offsets: [] }, 'body.offsets', 'minItems'],
    [{ offsets: [-1] }, 'body.offsets.0', 'minimum'],
    [{ offsets: [delivered.offset + 1000] }, 'body.offsets', 'exists'],
    [{ offsets: 'all' }, 'body.offsets', 'type']
  ] as const) {
    const r = await app.inject({ method: 'POST', url: '/dlq/replay', payload: body })
    assert.equal(r.statusCode, 400, `${JSON.stringify(body)}: ${r.body}`)
    assert.equal(r.json().code, 'SHOP_ERR_VALIDATION')
    assert.ok((r.json().errors as Array<{ field: string, rule: string }>).some(e => e.field === field && e.rule === rule), `${JSON.stringify(body)} names ${field} ${rule}: ${r.body}`)
  }

  const first = await app.inject({ method: 'POST', url: '/dlq/replay', payload: { offsets: [delivered.offset] } })
  assert.equal(first.statusCode, 200, first.body)
  assert.deepEqual(first.json().sent.map((i: { offset: number, group: string }) => [i.offset, i.group]), [[delivered.offset, 'payment']])
  const again = await app.inject({ method: 'POST', url: '/dlq/replay', payload: { offsets: [delivered.offset] } })
  assert.equal(again.statusCode, 200, again.body)
  assert.deepEqual(again.json().sent, [], 'the ledger sends it once')
  assert.deepEqual(again.json().alreadyReplayed.map((i: { offset: number }) => i.offset), [delivered.offset])

  const retried = (await readTopicNow(shop.env.brokers, shop.env.prefix + 'orders.retry.5s')).filter(r => r.key === order.orderId)
  assert.equal(retried.length, 1, 'one copy went to the first retry topic')
  assert.equal(retried[0]!.headers[HEADERS.retryGroup], 'payment')
  assert.equal(retried[0]!.headers[HEADERS.replayedFrom], `${dlqTopic}:${delivered.partition}:${delivered.offset}`)
  assert.deepEqual(retried[0]!.value, value, 'the original bytes, unchanged')
})

test('the DLQ replay without the control plane: 502 whose hint says to start it with make demo, never its address', async (t) => {
  const { app, url } = await routesWithoutControl(t, dlq)
  const res = await app.inject({ method: 'POST', url: '/dlq/replay', payload: { offsets: [0] } })
  assert.equal(res.statusCode, 502, res.body)
  assert.equal(res.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
  assert.match(res.json().message, /make demo/)
  assert.match(res.json().details.hint, /make demo/)
  assert.ok(!res.body.includes(url), 'the address stays inside the gateway')
})
