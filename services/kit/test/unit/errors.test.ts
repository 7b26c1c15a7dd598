import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { Type } from 'typebox'
import errorsPlugin from '../../src/plugins/errors.ts'
import { PermanentError, ShopError, isRetryable } from '../../src/errors.ts'

async function app () {
  const f = Fastify({ ajv: { customOptions: { removeAdditional: false, allErrors: true } } })
  await f.register(errorsPlugin)
  f.post('/x', { schema: { body: Type.Object({ n: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }) } }, async () => ({ ok: true }))
  f.get('/shop', async () => { throw new ShopError('SHOP_ERR_NOT_FOUND', 'thing 7 not found', 404, { id: '7' }) })
  f.get('/boom', async () => { throw new Error('database password is hunter2') })
  return f
}

test('a validation error names each field and rule', async () => {
  const f = await app()
  const res = await f.inject({ method: 'POST', url: '/x', payload: { n: 0, extra: true } })
  assert.equal(res.statusCode, 400)
  const body = res.json()
  assert.equal(body.code, 'SHOP_ERR_VALIDATION')
  assert.deepEqual(body.errors.map((e: { field: string, rule: string }) => [e.field, e.rule]).sort(), [['body.extra', 'additionalProperties'], ['body.n', 'minimum']])
})

test('our errors keep their code and status; unknown errors become a plain 500 that hides the message', async () => {
  const f = await app()
  const shop = await f.inject({ method: 'GET', url: '/shop' })
  assert.equal(shop.statusCode, 404)
  assert.deepEqual(shop.json(), { code: 'SHOP_ERR_NOT_FOUND', message: 'thing 7 not found', details: { id: '7' } })
  const boom = await f.inject({ method: 'GET', url: '/boom' })
  assert.equal(boom.statusCode, 500)
  assert.doesNotMatch(boom.body, /hunter2/)
  assert.equal((await f.inject({ method: 'GET', url: '/nope' })).json().code, 'SHOP_ERR_ROUTE_NOT_FOUND')
})

test('permanent errors are not retried; anything else is', () => {
  assert.equal(isRetryable(new PermanentError('bad data')), false)
  assert.equal(isRetryable(new Error('connection reset')), true)
})
