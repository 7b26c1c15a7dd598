import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import sagas from '../../../src/routes/sagas.ts'
import compare from '../../../src/routes/compare.ts'

// What the orchestrator's routes refuse before they read a saga or place an order (no database or
// broker here: a request that got through would be a 500).

type Err = { field: string, rule: string }

async function build (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const routes: FastifyPluginAsync = async (f) => {
    await f.register(sagas)
    await f.register(compare, { config: {} as never })
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

test('POST /compare: a quantity of "2", true or [2] is a 400 naming it, never coerced', async t => {
  const app = await build(t)
  for (const quantity of ['"2"', 'true', '[2]']) {
    const res = await app.inject({ method: 'POST', url: '/compare', headers: { 'content-type': 'application/json' }, payload: `{"customerId":"ana","items":[{"productId":"prod_1","quantity":${quantity}}]}` })
    assert.equal(res.statusCode, 400, `${quantity} → ${res.statusCode} ${res.body}`)
    assert.ok(res.json().errors.some((e: Err) => e.field === 'body.items.0.quantity' && e.rule === 'type'), res.body)
  }
})
