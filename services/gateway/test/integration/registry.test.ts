import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { TopicSerde } from '@vitrine/contracts'
import { gatewayHarness, orderCreated } from './helper.ts'

const h = gatewayHarness({ INVENTORY_URL: 'http://127.0.0.1:1' })

test('registry subjects of the catalog topics with their versions (orders.new: the catalog\'s v1 then v2), and one version\'s schema', async () => {
  await h.publish('orders.new', orderCreated()) // registers <prefix>orders.new-value: v1, then v2 (a new subject gets the history)
  const subject = `${h.env.prefix}orders.new-value`
  const list = await h.app.inject({ method: 'GET', url: '/api/registry/subjects' })
  assert.equal(list.statusCode, 200)
  const entry = (list.json().subjects as Array<{ subject: string, versions: number[], catalog: boolean }>).find(s => s.subject === subject)
  assert.ok(entry, 'the subject is listed')
  assert.equal(entry.catalog, true)
  assert.deepEqual(entry.versions, [1, 2])
  assert.ok((list.json().subjects as Array<{ catalog: boolean }>).every(s => s.catalog), 'by default only this deployment\'s subjects')

  const v = await h.app.inject({ method: 'GET', url: `/api/registry/subjects/${encodeURIComponent(subject)}/versions/1` })
  assert.equal(v.statusCode, 200)
  assert.equal(v.json().schema.name, 'OrderCreated')
  assert.equal(typeof v.json().id, 'number')
  assert.ok(!v.json().schema.fields.some((f: { name: string }) => f.name === 'channel'), 'version 1 is the catalog\'s v1 (no channel)')
  const latest = await h.app.inject({ method: 'GET', url: `/api/registry/subjects/${encodeURIComponent(subject)}/versions/latest` })
  assert.equal(latest.json().version, 2)
  assert.ok(latest.json().schema.fields.some((f: { name: string }) => f.name === 'channel'), 'the latest is v2 (channel added)')
  assert.notEqual(latest.json().id, v.json().id)
  // Registering again (a restart, a second instance) adds no version: the subject exists, only the latest is sent.
  const again = new TopicSerde(h.env.registryUrl, h.env.prefix)
  assert.equal(await again.register('orders.new'), latest.json().id)
  const after = await h.app.inject({ method: 'GET', url: '/api/registry/subjects' })
  assert.deepEqual((after.json().subjects as Array<{ subject: string, versions: number[] }>).find(s => s.subject === subject)?.versions, [1, 2])

  const missing = await h.app.inject({ method: 'GET', url: `/api/registry/subjects/none-${randomUUID()}-value/versions/1` })
  assert.equal(missing.statusCode, 404)
  const bad = await h.app.inject({ method: 'GET', url: `/api/registry/subjects/${encodeURIComponent(subject)}/versions/zero` })
  assert.equal(bad.statusCode, 400)
})

test('a shop service that is not running is a 502 naming it', async () => {
  const r = await h.app.inject({ method: 'GET', url: '/api/shop/products' })
  assert.equal(r.statusCode, 502)
  assert.equal(r.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
  assert.match(r.json().message, /^inventory is not reachable \(/)
  // Where it lives is in the log, not in the body a browser reads (issue 16).
  assert.doesNotMatch(r.body, /127\.0\.0\.1|http:/)
})
