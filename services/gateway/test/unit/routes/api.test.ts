import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import topics from '../../../src/routes/api/topics.ts'
import groups from '../../../src/routes/api/groups.ts'
import live from '../../../src/routes/api/live.ts'
import shop from '../../../src/routes/api/shop.ts'

// What the console's routes refuse before they ask Kafka anything (there is no broker here: a
// request that got through would be a 500).

type Err = { field: string, rule: string }

async function build (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const api: FastifyPluginAsync = async (f) => {
    await f.register(topics)
    await f.register(groups)
    await f.register(live)
    await f.register(shop, { config: { CHECKOUT_API_URL: 'http://127.0.0.1:9', INVENTORY_URL: 'http://127.0.0.1:9', ORCHESTRATOR_URL: 'http://127.0.0.1:9' } as never })
  }
  const app = await buildRoutes(api, {}, ['kafkaConsole', 'kafkaReader', 'serde', 'live'])
  t.after(async () => { await app.close() })
  return app
}

test('the message browser: an offset of 1e400, 1e20, -1 or text is a 400 naming querystring.offset', async t => {
  const app = await build(t)
  for (const offset of ['1e400', '1e20', '-1', 'dez', '1.5']) {
    const res = await app.inject({ method: 'GET', url: `/topics/orders.new/partitions/0/messages?offset=${offset}` })
    assert.equal(res.statusCode, 400, `offset=${offset} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.ok(res.json().errors.every((e: Err) => e.field === 'querystring.offset'), res.body)
  }
  const partition = await app.inject({ method: 'GET', url: '/topics/orders.new/partitions/1e400/messages' })
  assert.equal(partition.statusCode, 400)
  assert.equal(partition.json().errors[0].field, 'params.partition')
})

test('a NUL or control character in a topic, group or order id is a 400 naming the param', async t => {
  const app = await build(t)
  const cases: Array<[string, string]> = [
    ['/topics/orders%00', 'params.name'],
    ['/groups/turma%00', 'params.id'],
    ['/groups/%0A', 'params.id'],
    ['/orders/%00/events', 'params.orderId'],
    ['/shop/orders/%00', 'params.id']
  ]
  for (const [url, field] of cases) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 400, `${url} → ${res.statusCode} ${res.body}`)
    assert.ok(res.json().errors.some((e: Err) => e.field === field), `${url}: ${res.body}`)
  }
  const long = await app.inject({ method: 'GET', url: `/topics/${'a'.repeat(300)}` })
  assert.equal(long.statusCode, 400)
  assert.equal(long.json().errors[0].field, 'params.name')
})

test('creating a topic: "4" partitions, true or [1] replicas are 400s, never coerced; bad JSON and a NUL in a forwarded order too', async t => {
  const app = await build(t)
  for (const [partitions, replicationFactor] of [['"4"', '1'], ['4', 'true'], ['[4]', '1']]) {
    const res = await app.inject({ method: 'POST', url: '/topics', headers: { 'content-type': 'application/json' }, payload: `{"name":"aula-x","partitions":${partitions},"replicationFactor":${replicationFactor}}` })
    assert.equal(res.statusCode, 400, `${partitions}/${replicationFactor} → ${res.statusCode} ${res.body}`)
    assert.ok(res.json().errors.every((e: Err) => e.rule === 'type'), res.body)
  }
  const json = await app.inject({ method: 'POST', url: '/topics', headers: { 'content-type': 'application/json' }, payload: '{"name":' })
  assert.equal(json.statusCode, 400)
  assert.equal(json.json().errors[0].rule, 'json')
  const order = await app.inject({ method: 'POST', url: '/shop/orders', payload: { customerId: 'ana\u0000', items: [] } })
  assert.equal(order.statusCode, 400)
  assert.deepEqual(order.json().errors.map((e: Err) => [e.field, e.rule]), [['body.customerId', 'noControlCharacters']])
})
