import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { gatewayHarness, orderCreated } from './helper.ts'

const h = gatewayHarness({ INVENTORY_URL: 'http://127.0.0.1:1' })

test('registry subjects of the catalog topics with their versions, and one version\'s schema', async () => {
  await h.publish('orders.new', orderCreated()) // registers <prefix>orders.new-value
  const subject = `${h.env.prefix}orders.new-value`
  const list = await h.app.inject({ method: 'GET', url: '/api/registry/subjects' })
  assert.equal(list.statusCode, 200)
  const entry = (list.json().subjects as Array<{ subject: string, versions: number[], catalog: boolean }>).find(s => s.subject === subject)
  assert.ok(entry, 'the subject is listed')
  assert.equal(entry.catalog, true)
  assert.deepEqual(entry.versions, [1])
  assert.ok((list.json().subjects as Array<{ catalog: boolean }>).every(s => s.catalog), 'by default only this deployment\'s subjects')

  const v = await h.app.inject({ method: 'GET', url: `/api/registry/subjects/${encodeURIComponent(subject)}/versions/1` })
  assert.equal(v.statusCode, 200)
  assert.equal(v.json().schema.name, 'OrderCreated')
  assert.equal(typeof v.json().id, 'number')
  const latest = await h.app.inject({ method: 'GET', url: `/api/registry/subjects/${encodeURIComponent(subject)}/versions/latest` })
  assert.equal(latest.json().version, 1)

  const missing = await h.app.inject({ method: 'GET', url: `/api/registry/subjects/none-${randomUUID()}-value/versions/1` })
  assert.equal(missing.statusCode, 404)
  const bad = await h.app.inject({ method: 'GET', url: `/api/registry/subjects/${encodeURIComponent(subject)}/versions/zero` })
  assert.equal(bad.statusCode, 400)
})

test('a shop service that is not running is a 502 naming it', async () => {
  const r = await h.app.inject({ method: 'GET', url: '/api/shop/products' })
  assert.equal(r.statusCode, 502)
  assert.equal(r.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
  assert.match(r.json().message, /inventory is not reachable at http:\/\/127\.0\.0\.1:1/)
})
