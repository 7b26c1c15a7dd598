import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { HEADERS, TOPICS } from '@vitrine/contracts'
import { EventProducer, connect, readTopicNow } from '@vitrine/service-kit'
import { cleanup, startControlApi, startExerciseShop } from '../../../src/testing/index.ts'

// What the control plane does as the Kafka admin for the gateway (admin-actions.ts): a
// preferred-leader election and a DLQ replay, on a test shop of its own (its prefix, its DLQ, its
// retry topic) on the shared 1-broker stack. Bad input is a 400 naming the field and the rule.

async function post (url: string, body: unknown): Promise<{ status: number, body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) })
  return { status: res.status, body: await res.json() }
}

const names = (errors: Array<{ field: string, rule: string }> | undefined): string => JSON.stringify((errors ?? []).map(e => [e.field, e.rule]))

test('POST /kafka/elect-leaders and POST /dlq/replay as the admin: the election answers for every partition named, a dead letter goes back once (again with force), bad input is a 400 naming the field', { timeout: 90_000 }, async t => {
  const shop = await startExerciseShop({ services: [] })
  cleanup(t, shop.close)
  const control = await startControlApi(shop.plane)
  cleanup(t, control.close)
  const { prefix, brokers } = shop.env

  // One broker: each partition's one replica already leads it.
  const topics = [`${prefix}orders.new`, `${prefix}orders.dlq`]
  const partitions = topics.reduce((n, name) => n + TOPICS.find(s => prefix + s.name === name)!.partitions, 0)
  const elected = await post(`${control.url}/kafka/elect-leaders`, { topics })
  assert.equal(elected.status, 200, JSON.stringify(elected.body))
  assert.deepEqual(elected.body, { elected: [], notNeeded: partitions, failed: [] })

  for (const [body, field, rule] of [
    [{ topics: [] }, 'body.topics', 'minItems'],
    [{ topics: ['não é tópico'] }, 'body.topics.0', 'pattern'],
    [{ topics: 'orders.new' }, 'body.topics', 'type'],
    [{ topic: 'orders.new' }, 'body', 'additionalProperties']
  ] as const) {
    const r = await post(`${control.url}/kafka/elect-leaders`, body)
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`)
    assert.equal(r.body.code, 'SHOP_ERR_VALIDATION')
    assert.ok((r.body.errors as Array<{ field: string, rule: string }>).some(e => e.field.startsWith(field) && e.rule === rule), `${JSON.stringify(body)} names ${field} ${rule}: ${names(r.body.errors)}`)
  }
  const unknown = await post(`${control.url}/kafka/elect-leaders`, { topics: [`${prefix}no-such-topic`] })
  assert.equal(unknown.status, 404, JSON.stringify(unknown.body))
  assert.equal(unknown.body.code, 'SHOP_ERR_TOPIC_NOT_FOUND')
  assert.match(unknown.body.message, /body\.topics: no topic .*no-such-topic/)

  // A dead letter of this shop, replayed to the group that gave up on it.
  const dlq = `${prefix}orders.dlq`
  const producer = new EventProducer(brokers, 'control-test', pino({ level: 'silent' }))
  await producer.connect()
  cleanup(t, async () => {
    await producer.close()
    const sql = connect(shop.env.databaseUrl, 'vitrine_ops', 1)
    await sql`delete from vitrine_ops.dlq_replays where dlq_topic = ${dlq}`.catch(() => {})
    await sql.end({ timeout: 5 })
  })
  const key = `dlq-${shop.env.id}`
  const delivered = await producer.send({
    topic: dlq,
    key,
    value: Buffer.from('bytes the handler could not take'),
    headers: { [HEADERS.originalTopic]: `${prefix}payments.approved`, [HEADERS.error]: 'boom', [HEADERS.attempts]: '4', [HEADERS.failedBy]: 'inventory/inventory' }
  })

  for (const [body, field, rule] of [
    [{ offsets: [] }, 'body.offsets', 'minItems'],
    [{ offsets: [1.5] }, 'body.offsets.0', 'type'],
    [{}, 'body.offsets', 'required'],
    [{ offsets: [delivered.offset + 1000] }, 'body.offsets', 'exists']
  ] as const) {
    const r = await post(`${control.url}/dlq/replay`, body)
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`)
    assert.equal(r.body.code, 'SHOP_ERR_VALIDATION')
    assert.ok((r.body.errors as Array<{ field: string, rule: string }>).some(e => e.field === field && e.rule === rule), `${JSON.stringify(body)} names ${field} ${rule}: ${names(r.body.errors)}`)
  }

  const first = await post(`${control.url}/dlq/replay`, { offsets: [delivered.offset] })
  assert.equal(first.status, 200, JSON.stringify(first.body))
  assert.deepEqual(first.body.sent.map((i: { offset: number, group: string }) => [i.offset, i.group]), [[delivered.offset, 'inventory']])
  const again = await post(`${control.url}/dlq/replay`, { offsets: [delivered.offset] })
  assert.deepEqual([again.body.sent, again.body.alreadyReplayed.map((i: { offset: number }) => i.offset)], [[], [delivered.offset]], 'the ledger sends it once')
  const forced = await post(`${control.url}/dlq/replay`, { offsets: [delivered.offset], force: true })
  assert.deepEqual(forced.body.sent.map((i: { offset: number }) => i.offset), [delivered.offset], 'force sends it again')

  const retried = (await readTopicNow(brokers, `${prefix}orders.retry.5s`)).filter(r => r.key === key)
  assert.equal(retried.length, 2, 'two copies in the first retry topic: the first replay and the forced one')
  for (const r of retried) {
    assert.equal(r.headers[HEADERS.retryGroup], 'inventory')
    assert.equal(r.headers[HEADERS.replayedFrom], `${dlq}:${delivered.partition}:${delivered.offset}`)
    assert.equal(r.value?.toString(), 'bytes the handler could not take')
  }
})
