import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildRoutes } from '@vitrine/service-kit'
import routes from '../../src/routes/counter.ts'

// What the counter's routes refuse before a handler runs: each 400 names the field and the rule.
const app = async (t: { after: (fn: () => Promise<void>) => void }): Promise<Awaited<ReturnType<typeof buildRoutes>>> => {
  const fastify = await buildRoutes(routes, {}, ['salesCounter', 'truth'])
  t.after(async () => { await fastify.close() })
  return fastify
}

const fields = (body: string): string[] => (JSON.parse(body) as { errors?: Array<{ field: string }> }).errors?.map(e => e.field) ?? []

test('PUT /counter/mode refuses a mode that does not exist, naming body.mode', async (t) => {
  const fastify = await app(t)
  const res = await fastify.inject({ method: 'PUT', url: '/counter/mode', payload: { mode: 'at-most-once' } })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
  assert.ok(fields(res.body).includes('body.mode'), res.body)
})

test('POST /counter/crash-point wants armed as a boolean and nothing else', async (t) => {
  const fastify = await app(t)
  const missing = await fastify.inject({ method: 'POST', url: '/counter/crash-point', payload: {} })
  assert.equal(missing.statusCode, 400)
  assert.ok(fields(missing.body).includes('body.armed'), missing.body)
  const wrong = await fastify.inject({ method: 'POST', url: '/counter/crash-point', payload: { armed: 'yes' } })
  assert.equal(wrong.statusCode, 400)
  assert.ok(fields(wrong.body).includes('body.armed'), wrong.body)
  const extra = await fastify.inject({ method: 'POST', url: '/counter/crash-point', payload: { armed: true, when: 'now' } })
  assert.equal(extra.statusCode, 400)
  assert.ok(fields(extra.body).includes('body.when'), extra.body)
})

test('GET /counter/records bounds limit, naming querystring.limit', async (t) => {
  const fastify = await app(t)
  for (const limit of ['0', '201', 'x']) {
    const res = await fastify.inject({ method: 'GET', url: `/counter/records?limit=${limit}` })
    assert.equal(res.statusCode, 400, `limit=${limit}`)
    assert.ok(fields(res.body).includes('querystring.limit'), res.body)
  }
})
