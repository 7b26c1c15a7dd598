import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance } from 'fastify'
import routes from '../../../src/routes/api/sales-counter.ts'

// The Exactly-once page's calls: a bad limit is refused here; a counter that does not answer (crashed,
// being restarted) is a 502 naming it, never a 500.

async function build (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const app = await buildRoutes(routes, { config: { SALES_COUNTER_URL: 'http://127.0.0.1:9', HTTP_JWT_SECRET: '' } as never }, [])
  t.after(async () => { await app.close() })
  return app
}

test('GET /sales-counter/records: a limit out of 1..200 is a 400 naming querystring.limit', async t => {
  const app = await build(t)
  for (const limit of ['0', '201', 'muitos']) {
    const res = await app.inject({ method: 'GET', url: `/sales-counter/records?limit=${limit}` })
    assert.equal(res.statusCode, 400, `limit=${limit} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().errors[0].field, 'querystring.limit')
  }
})

test('the counter down: each call is a 502 that names sales-counter', async t => {
  const app = await build(t)
  for (const [method, url] of [['GET', '/sales-counter'], ['POST', '/sales-counter/crash-point'], ['POST', '/sales-counter/zombie']] as const) {
    const res = await app.inject({ method, url, ...(method === 'POST' && url.endsWith('point') ? { payload: { armed: true } } : {}) })
    assert.equal(res.statusCode, 502, `${method} ${url} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
    assert.match(res.json().message, /sales-counter/)
  }
})
