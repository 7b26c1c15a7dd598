import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import routes from '../../../src/routes/index.ts'

// What GET /payments/:orderId refuses before it reads the database (there is none here).

test('a NUL or other control character in the order id is a 400 naming params.orderId, not a database error', async t => {
  const app = await buildRoutes(routes, {}, ['sql'])
  t.after(() => app.close())
  for (const bad of ['%00', 'abc%00', '%0A', '%7F']) {
    const res = await app.inject({ method: 'GET', url: `/payments/${bad}` })
    assert.equal(res.statusCode, 400, `${bad} → ${res.statusCode} ${res.body}`)
    const body = res.json()
    assert.equal(body.code, 'SHOP_ERR_VALIDATION')
    assert.deepEqual(body.errors.map((e: { field: string, rule: string }) => [e.field, e.rule]), [['params.orderId', 'noControlCharacters']])
  }
  const long = await app.inject({ method: 'GET', url: `/payments/${'a'.repeat(65)}` })
  assert.equal(long.statusCode, 400)
  assert.equal(long.json().errors[0].field, 'params.orderId')
  const badUrl = await app.inject({ method: 'GET', url: '/payments/%E0%A4%A' })
  assert.equal(badUrl.statusCode, 400)
  assert.equal(badUrl.json().code, 'SHOP_ERR_VALIDATION')
})

test('a valid id reaches the handler (here a stand-in database that fails: 500 with the message hidden)', async t => {
  const app = await buildRoutes(routes, {}, ['sql'])
  t.after(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/payments/order-1' })
  assert.equal(res.statusCode, 500)
  assert.deepEqual(res.json(), { code: 'SHOP_ERR_INTERNAL', message: 'Internal Server Error' })
})

test('a method the route lacks and an empty id get the same error body, never a 500', async t => {
  const app = await buildRoutes(routes, {}, ['sql'])
  t.after(() => app.close())
  const post = await app.inject({ method: 'POST', url: '/payments/order-1' })
  assert.equal(post.statusCode, 404)
  assert.equal(post.json().code, 'SHOP_ERR_ROUTE_NOT_FOUND')
  const empty = await app.inject({ method: 'GET', url: '/payments/' })
  assert.ok(empty.statusCode === 400 || empty.statusCode === 404, `${empty.statusCode} ${empty.body}`)
  assert.match(empty.json().code, /^SHOP_ERR_/)
})
