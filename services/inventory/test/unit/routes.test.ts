import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance } from 'fastify'
import routes from '../../src/routes.ts'

// What the inventory routes refuse before they touch the database (there is none here: a request
// that got through would be a 500).

type Err = { field: string, rule: string }
const named = (body: { errors: Err[] }): string[][] => body.errors.map(e => [e.field, e.rule])

async function build (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const app = await buildRoutes(routes, {}, ['sql', 'tx', 'outbox', 'producer'])
  t.after(async () => { await app.close() })
  return app
}

test('GET /reservations/:orderId and /products/:id: a NUL byte or control character is a 400 naming the param', async t => {
  const app = await build(t)
  for (const [url, field] of [['/reservations/%00', 'params.orderId'], ['/reservations/a%00', 'params.orderId'], ['/reservations/%0D', 'params.orderId'], ['/products/%00', 'params.id']] as const) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 400, `${url} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.ok(named(res.json()).some(([f]) => f === field), `${url}: ${res.body}`)
  }
})

test('POST /products: a NUL or any control character in the name is a 400 naming body.name', async t => {
  const app = await build(t)
  for (const name of ['Caf\u0000e', 'Sino\u0007', 'duas\nlinhas', 'tab\tno nome', 'del\u007f']) {
    const res = await app.inject({ method: 'POST', url: '/products', payload: { id: 'prod_x', name, priceCents: 100, stock: 1 } })
    assert.equal(res.statusCode, 400, `${JSON.stringify(name)} → ${res.statusCode} ${res.body}`)
    assert.ok(named(res.json()).every(([f]) => f === 'body.name'), res.body)
    assert.ok(named(res.json()).length > 0)
  }
})

test('POST /products/:id/restock: a quantity sent as "2", true or [2] is a 400, never coerced; so is 1e400', async t => {
  const app = await build(t)
  for (const quantity of ['"2"', 'true', '[2]', '1e400', '0', '1000001']) {
    const res = await app.inject({ method: 'POST', url: '/products/prod_1/restock', headers: { 'content-type': 'application/json' }, payload: `{"quantity":${quantity}}` })
    assert.equal(res.statusCode, 400, `quantity ${quantity} → ${res.statusCode} ${res.body}`)
    assert.ok(named(res.json()).length > 0 && named(res.json()).every(([f]) => f === 'body.quantity'), `${quantity}: ${res.body}`)
  }
})
