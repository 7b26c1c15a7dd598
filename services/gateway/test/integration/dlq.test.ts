import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HEADERS } from '@vitrine/contracts'
import { connect, readTopicNow } from '@vitrine/service-kit'
import { gatewayHarness, orderCreated } from './helper.ts'

const h = gatewayHarness()

test('the DLQ console: a dead letter with its stored bytes, replayed once to its group through the ledger; bad offsets are 400s naming the field', async (t) => {
  const dlq = h.env.prefix + 'orders.dlq'
  t.after(async () => {
    const sql = connect(h.env.databaseUrl, 'vitrine_ops', 1)
    await sql`delete from vitrine_ops.dlq_replays where dlq_topic = ${dlq}`.catch(() => {})
    await sql.end({ timeout: 5 })
  })
  const order = orderCreated()
  const value = await h.serde.encode('orders.new', order)
  const delivered = await h.producer.send({
    topic: dlq,
    key: order.orderId,
    value,
    headers: {
      [HEADERS.originalTopic]: h.env.prefix + 'orders.new',
      [HEADERS.originalPartition]: '1',
      [HEADERS.originalOffset]: '42',
      [HEADERS.error]: 'boom in the handler',
      [HEADERS.attempts]: '4',
      [HEADERS.failedBy]: 'payment/payment'
    }
  })

  const list = await h.app.inject({ method: 'GET', url: '/api/dlq' })
  assert.equal(list.statusCode, 200, list.body)
  assert.equal(list.json().topic, dlq)
  const d = (list.json().records as Array<{ offset: number, key: string, valueBase64: string, schemaId: number, group: string, value: { orderId: string } }>).find(r => r.key === order.orderId)
  assert.ok(d, 'the dead letter is listed')
  assert.equal(d.offset, delivered.offset)
  assert.deepEqual(Buffer.from(d.valueBase64, 'base64'), value, 'the bytes as stored')
  assert.equal(d.schemaId, value.readInt32BE(1))
  assert.equal(d.value.orderId, order.orderId, 'and decoded')
  assert.equal(d.group, 'payment')

  for (const [body, field, rule] of [
    [{ offsets: [] }, 'body.offsets', 'minItems'],
    [{ offsets: [-1] }, 'body.offsets.0', 'minimum'],
    [{ offsets: [delivered.offset + 1000] }, 'body.offsets', 'exists'],
    [{ offsets: 'all' }, 'body.offsets', 'type']
  ] as const) {
    const r = await h.app.inject({ method: 'POST', url: '/api/dlq/replay', payload: body })
    assert.equal(r.statusCode, 400, `${JSON.stringify(body)}: ${r.body}`)
    assert.equal(r.json().code, 'SHOP_ERR_VALIDATION')
    assert.ok((r.json().errors as Array<{ field: string, rule: string }>).some(e => e.field === field && e.rule === rule), `${JSON.stringify(body)} names ${field} ${rule}: ${r.body}`)
  }

  const first = await h.app.inject({ method: 'POST', url: '/api/dlq/replay', payload: { offsets: [delivered.offset] } })
  assert.equal(first.statusCode, 200, first.body)
  assert.deepEqual(first.json().sent.map((i: { offset: number, group: string }) => [i.offset, i.group]), [[delivered.offset, 'payment']])
  const again = await h.app.inject({ method: 'POST', url: '/api/dlq/replay', payload: { offsets: [delivered.offset] } })
  assert.deepEqual(again.json().sent, [], 'the ledger sends it once')
  assert.deepEqual(again.json().alreadyReplayed.map((i: { offset: number }) => i.offset), [delivered.offset])

  const retried = (await readTopicNow(h.env.brokers, h.env.prefix + 'orders.retry.5s')).filter(r => r.key === order.orderId)
  assert.equal(retried.length, 1, 'one copy went to the first retry topic')
  assert.equal(retried[0]!.headers[HEADERS.retryGroup], 'payment')
  assert.equal(retried[0]!.headers[HEADERS.replayedFrom], `${dlq}:${delivered.partition}:${delivered.offset}`)
  assert.deepEqual(retried[0]!.value, value, 'the original bytes, unchanged')
})
