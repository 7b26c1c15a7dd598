import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance } from 'fastify'
import routes from '../../../src/routes/index.ts'

// What the product routes refuse before they touch the database (there is none here: a request
// that got through would be a 500). 404s and the restock cap need the database: test/integration/routes.

type Err = { field: string, rule: string }
const named = (body: { errors: Err[] }): string[][] => body.errors.map(e => [e.field, e.rule])

async function build (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const app = await buildRoutes(routes, {}, ['sql', 'tx'])
  t.after(async () => { await app.close() })
  return app
}

async function refused (app: FastifyInstance, method: 'GET' | 'POST' | 'PUT', url: string, payload?: string): Promise<string[][]> {
  const res = await app.inject({ method, url, ...(payload === undefined ? {} : { headers: { 'content-type': 'application/json' }, payload }) })
  assert.equal(res.statusCode, 400, `${method} ${url} ${payload ?? ''} → ${res.statusCode} ${res.body}`)
  const body = res.json()
  assert.equal(body.code, 'SHOP_ERR_VALIDATION')
  assert.equal(typeof body.message, 'string')
  return named(body)
}

test('GET /products/:id: a NUL byte, control character or a character outside the id pattern is a 400 naming params.id', async t => {
  const app = await build(t)
  for (const id of ['%00', '%0D', 'a%20b', 'caf%C3%A9']) {
    const errors = await refused(app, 'GET', `/products/${id}`)
    assert.ok(errors.some(([f]) => f === 'params.id'), `${id}: ${JSON.stringify(errors)}`)
  }
  assert.deepEqual(await refused(app, 'GET', `/products/${'a'.repeat(51)}`), [['params.id', 'maxLength']])
})

test('POST /products: a NUL or any control character in the name is a 400 naming body.name', async t => {
  const app = await build(t)
  for (const name of ['Caf\u0000e', 'Sino\u0007', 'duas\nlinhas', 'tab\tno nome', 'del\u007f']) {
    const errors = await refused(app, 'POST', '/products', JSON.stringify({ id: 'prod_x', name, priceCents: 100, stock: 1 }))
    assert.ok(errors.length > 0 && errors.every(([f]) => f === 'body.name'), `${JSON.stringify(name)}: ${JSON.stringify(errors)}`)
  }
})

test('POST /products: every broken rule is named at once; an unknown field is refused, not dropped', async t => {
  const app = await build(t)
  const errors = await refused(app, 'POST', '/products', JSON.stringify({ id: '', name: 'x', priceCents: 0, stock: -1, color: 'red' }))
  for (const [field, rule] of [['body.id', 'minLength'], ['body.priceCents', 'minimum'], ['body.stock', 'minimum'], ['body.color', 'additionalProperties']]) {
    assert.ok(errors.some(([f, r]) => f === field && r === rule), `${field} ${rule}: ${JSON.stringify(errors)}`)
  }
  assert.ok((await refused(app, 'POST', '/products', JSON.stringify({ id: 'p', name: 'x', priceCents: 1 }))).some(([f, r]) => f === 'body.stock' && r === 'required'))
})

test('PUT /products/:id/price: priceCents below 1, above the cap, not an integer or sent as a string is a 400 naming body.priceCents', async t => {
  const app = await build(t)
  for (const [priceCents, rule] of [['0', 'minimum'], ['100000001', 'maximum'], ['1.5', 'type'], ['"100"', 'type'], ['null', 'type']] as const) {
    const errors = await refused(app, 'PUT', '/products/prod_1/price', `{"priceCents":${priceCents}}`)
    assert.deepEqual(errors, [['body.priceCents', rule]], `priceCents ${priceCents}`)
  }
  assert.deepEqual(await refused(app, 'PUT', '/products/prod_1/price', '{}'), [['body.priceCents', 'required']])
  assert.ok((await refused(app, 'PUT', '/products/prod_1/price', '{"priceCents":100,"active":false}')).some(([f, r]) => f === 'body.active' && r === 'additionalProperties'))
})

test('PUT /products/:id/active: anything but a boolean is a 400 naming body.active, never coerced', async t => {
  const app = await build(t)
  for (const active of ['"false"', '0', '1', 'null', '[true]']) {
    assert.deepEqual(await refused(app, 'PUT', '/products/prod_1/active', `{"active":${active}}`), [['body.active', 'type']], `active ${active}`)
  }
  assert.deepEqual(await refused(app, 'PUT', '/products/prod_1/active', '{}'), [['body.active', 'required']])
})

test('POST /products/:id/restock: a quantity sent as "2", true or [2] is a 400, never coerced; so is 1e400', async t => {
  const app = await build(t)
  for (const quantity of ['"2"', 'true', '[2]', '1e400', '0', '1000001']) {
    const errors = await refused(app, 'POST', '/products/prod_1/restock', `{"quantity":${quantity}}`)
    assert.ok(errors.length > 0 && errors.every(([f]) => f === 'body.quantity'), `${quantity}: ${JSON.stringify(errors)}`)
  }
})

test('a body that is not JSON is a 400 in the same error body', async t => {
  const app = await build(t)
  const res = await app.inject({ method: 'PUT', url: '/products/prod_1/price', headers: { 'content-type': 'application/json' }, payload: '{"priceCents":' })
  assert.equal(res.statusCode, 400)
  assert.match(res.json().code, /^SHOP_ERR_/)
})

test('a valid request reaches the handler (a stand-in database that fails: 500 with the message hidden)', async t => {
  const app = await build(t)
  for (const [method, url, payload] of [['GET', '/products', undefined], ['PUT', '/products/prod_1/price', '{"priceCents":100}'], ['GET', '/stock/check', undefined]] as const) {
    const res = await app.inject({ method, url, ...(payload ? { headers: { 'content-type': 'application/json' }, payload } : {}) })
    assert.equal(res.statusCode, 500, `${method} ${url}`)
    assert.deepEqual(res.json(), { code: 'SHOP_ERR_INTERNAL', message: 'Internal Server Error' })
  }
})
