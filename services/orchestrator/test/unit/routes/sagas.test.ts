import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import sagas from '../../../src/routes/sagas.ts'
import { fieldRules, routesOnEmptyDb } from '@vitrine/infra/testing/openapi'

// What the orchestrator's routes refuse before they read a saga (no database or broker here: a
// request that got through would be a 500).

type Err = { field: string, rule: string }

async function build (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const routes: FastifyPluginAsync = async (f) => {
    await f.register(sagas)
  }
  const app = await buildRoutes(routes, {}, ['sql'])
  t.after(async () => { await app.close() })
  return app
}

test('GET /sagas/:orderId with a NUL byte, and GET /sagas?limit=1e400, are 400s naming the field', async t => {
  const app = await build(t)
  const nul = await app.inject({ method: 'GET', url: '/sagas/abc%00' })
  assert.equal(nul.statusCode, 400, nul.body)
  assert.ok(nul.json().errors.some((e: Err) => e.field === 'params.orderId' && e.rule === 'noControlCharacters'), nul.body)
  const limit = await app.inject({ method: 'GET', url: '/sagas?limit=1e400' })
  assert.equal(limit.statusCode, 400, limit.body)
  assert.equal(limit.json().errors[0].field, 'querystring.limit')
})

test('GET /sagas/:orderId of an order without a saga is a 404 naming it; a bad id names the field and rule', async t => {
  const app = await routesOnEmptyDb(t, sagas, {})
  const missing = await app.inject({ method: 'GET', url: '/sagas/no-such-order' })
  assert.equal(missing.statusCode, 404)
  assert.deepEqual(missing.json(), { code: 'SHOP_ERR_NOT_FOUND', message: 'saga for order no-such-order not found', details: { id: 'no-such-order' } })
  for (const [id, rule] of [['a b', 'pattern'], ['x'.repeat(65), 'maxLength']]) {
    const res = await app.inject({ method: 'GET', url: `/sagas/${encodeURIComponent(id!)}` })
    assert.equal(res.statusCode, 400, res.body)
    assert.deepEqual(fieldRules(res.json()), [['params.orderId', rule]])
  }
})

test('GET /sagas: a state outside the machine, a limit out of range or an unknown parameter is a 400 naming each; none is an empty list', async t => {
  const app = await routesOnEmptyDb(t, sagas, {})
  const cases: Array<[string, string[][]]> = [
    ['state=done', [['querystring.state', 'enum']]],
    ['limit=0', [['querystring.limit', 'minimum']]],
    ['limit=501&sort=asc', [['querystring.limit', 'maximum'], ['querystring.sort', 'additionalProperties']]]
  ]
  for (const [query, errors] of cases) {
    const res = await app.inject({ method: 'GET', url: `/sagas?${query}` })
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.deepEqual(fieldRules(res.json()).sort(), errors, query)
  }
  const empty = await app.inject({ method: 'GET', url: '/sagas?state=compensating_payment' })
  assert.equal(empty.statusCode, 200, empty.body)
  assert.deepEqual(empty.json(), { sagas: [], counts: {} })
  const post = await app.inject({ method: 'POST', url: '/sagas', payload: {} })
  assert.equal(post.statusCode, 404)
  assert.equal(post.json().code, 'SHOP_ERR_ROUTE_NOT_FOUND')
})
