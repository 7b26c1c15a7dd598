import { test } from 'node:test'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import postgres from 'postgres'
import type { InjectOptions } from 'fastify'
import { Type } from 'typebox'
import errorsPlugin from '../../src/plugins/errors.ts'
import { PermanentError, ShopError, invalidInput, isRetryable } from '../../src/errors.ts'
import { serverOptions } from '../../src/service.ts'
import type { ServiceConfig } from '../../src/service.ts'

// The options every service is built with (serverOptions), so these tests hold for all of them.
async function app () {
  const f = Fastify(serverOptions('errors-test', { LOG_LEVEL: 'silent' } as ServiceConfig))
  await f.register(errorsPlugin)
  f.post('/x', { schema: { body: Type.Object({ n: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }) } }, async () => ({ ok: true }))
  f.post('/items', { schema: { body: Type.Object({ name: Type.Optional(Type.String()), items: Type.Array(Type.Object({ quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false })) }, { additionalProperties: false }) } }, async (request) => request.body)
  f.get('/things/:id', { schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), querystring: Type.Object({ offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })), limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }), tags: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: false }) } }, async (request) => ({ id: (request.params as { id: string }).id, query: request.query }))
  f.get('/shop', async () => { throw new ShopError('SHOP_ERR_NOT_FOUND', 'thing 7 not found', 404, { id: '7' }) })
  f.get('/stock', async () => { throw invalidInput([{ field: 'body.quantity', rule: 'maximum', message: 'would bring stock above 1000' }]) })
  f.get('/boom', async () => { throw new Error('database password is hunter2') })
  // A real postgres.js connection refused (nothing listens on port 1), and PostgreSQL's "too many connections".
  f.get('/db-down', async () => { const sql = postgres('postgres://vitrine:secret@127.0.0.1:1/vitrine', { connect_timeout: 2, max: 1 }); try { return await sql`select 1` } finally { await sql.end({ timeout: 1 }) } })
  f.get('/db-full', async () => { throw Object.assign(new Error('sorry, too many clients already'), { code: '53300' }) })
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

type Body = { code: string, errors: Array<{ field: string, rule: string }> }
const named = (body: Body): string[][] => body.errors.map(e => [e.field, e.rule])

test('a JSON body keeps its types: "2", true and [2] for an integer are 400, never coerced into 2', async () => {
  const f = await app()
  for (const quantity of ['2', true, [2], 2.5, null]) {
    const res = await f.inject({ method: 'POST', url: '/items', payload: { items: [{ quantity }] } })
    assert.equal(res.statusCode, 400, `quantity ${JSON.stringify(quantity)} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.deepEqual(named(res.json()), [['body.items.0.quantity', 'type']], JSON.stringify(quantity))
  }
  const ok = await f.inject({ method: 'POST', url: '/items', payload: { items: [{ quantity: 2 }] } })
  assert.deepEqual(ok.json(), { items: [{ quantity: 2 }] })
})

test('query strings are still coerced from text, with defaults applied', async () => {
  const f = await app()
  const res = await f.inject({ method: 'GET', url: '/things/a?offset=3&tags=x' })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { id: 'a', query: { offset: 3, limit: 10, tags: ['x'] } })
})

test('a number too big for an offset is a 400 naming it: 1e400 (Infinity), 1e20 (past 2^53)', async () => {
  const f = await app()
  for (const offset of ['1e400', '1e20', '-1', 'abc']) {
    const res = await f.inject({ method: 'GET', url: `/things/a?offset=${offset}` })
    assert.equal(res.statusCode, 400, `offset=${offset} → ${res.statusCode}`)
    assert.equal(named(res.json())[0]![0], 'querystring.offset', offset)
  }
})

test('control characters: none in a URL part (NUL, tab, DEL), none but tab/newline in a body; each named', async () => {
  const f = await app()
  for (const bad of ['%00', 'a%00b', '%09', '%7F', '%1B']) {
    const res = await f.inject({ method: 'GET', url: `/things/${bad}` })
    assert.equal(res.statusCode, 400, `${bad} → ${res.statusCode}`)
    assert.deepEqual(named(res.json()), [['params.id', 'noControlCharacters']])
  }
  const query = await f.inject({ method: 'GET', url: '/things/a?tags=x&tags=%00' })
  assert.deepEqual(named(query.json()), [['querystring.tags.1', 'noControlCharacters']])
  const body = await f.inject({ method: 'POST', url: '/items', payload: { name: 'caf\u0000e', items: [{ quantity: 1 }] } })
  assert.equal(body.statusCode, 400)
  assert.deepEqual(named(body.json()), [['body.name', 'noControlCharacters']])
  const both = await f.inject({ method: 'POST', url: '/items', payload: { name: 'bell\u0007', items: [{ quantity: '1' }] } })
  assert.deepEqual(named(both.json()).sort(), [['body.items.0.quantity', 'type'], ['body.name', 'noControlCharacters']])
  const lines = await f.inject({ method: 'POST', url: '/items', payload: { name: 'linha 1\nlinha 2\tfim', items: [{ quantity: 1 }] } })
  assert.equal(lines.statusCode, 200)
})

test('Fastify\'s own client errors come in the same SHOP_ERR_* body, with field and rule', async () => {
  const f = await app()
  const cases: Array<{ req: InjectOptions & { url: string }, status: number, field: string, rule: string }> = [
    { req: { method: 'GET', url: '/things/%E0%A4%A' }, status: 400, field: 'url', rule: 'urlEncoding' },
    { req: { method: 'GET', url: `/things/${'x'.repeat(600)}` }, status: 400, field: 'params', rule: 'maxLength' },
    { req: { method: 'GET', url: `/things/${'x'.repeat(65)}` }, status: 400, field: 'params.id', rule: 'maxLength' },
    { req: { method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: '{"n": 1' }, status: 400, field: 'body', rule: 'json' },
    { req: { method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: '{"n": 1, "__proto__": {"x": 1}}' }, status: 400, field: 'body', rule: 'json' },
    { req: { method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: '' }, status: 400, field: 'body', rule: 'required' },
    { req: { method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ n: 1, pad: 'x'.repeat(70 * 1024) }) }, status: 413, field: 'body', rule: 'maxBytes' },
    { req: { method: 'POST', url: '/x', headers: { 'content-type': 'text/xml' }, payload: '<n>1</n>' }, status: 415, field: 'content-type', rule: 'mediaType' }
  ]
  for (const c of cases) {
    const res = await f.inject(c.req)
    const what = `${String(c.req.method)} ${c.req.url.slice(0, 40)} ${String(c.req.payload ?? '').slice(0, 30)}`
    assert.equal(res.statusCode, c.status, `${what} → ${res.statusCode} ${res.body.slice(0, 200)}`)
    const body = res.json()
    assert.match(body.code, /^SHOP_ERR_/, what)
    assert.equal(typeof body.message, 'string', what)
    assert.deepEqual(named(body)[0], [c.field, c.rule], what)
  }
})

test('a rule checked in code (invalidInput) answers like a schema\'s: field errors at the top of the one body', async () => {
  const f = await app()
  const res = await f.inject({ method: 'GET', url: '/stock' })
  assert.equal(res.statusCode, 400)
  assert.deepEqual(res.json(), { code: 'SHOP_ERR_VALIDATION', message: 'body.quantity would bring stock above 1000', errors: [{ field: 'body.quantity', rule: 'maximum', message: 'would bring stock above 1000' }] })
})

test('a request the HTTP parser refuses (a malformed header) also gets the SHOP_ERR_* body', async t => {
  const f = await app()
  await f.listen({ port: 0, host: '127.0.0.1' })
  t.after(() => f.close())
  const { port } = f.server.address() as AddressInfo
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /things/a HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n'))
    let data = ''
    socket.on('data', d => { data += d.toString() })
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
  })
  assert.match(raw, /^HTTP\/1\.1 400 /)
  const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))
  assert.equal(body.code, 'SHOP_ERR_BAD_REQUEST')
  assert.deepEqual(named(body), [['request', 'http']])
})

test('a database that cannot answer now is a 503 with Retry-After, never a 500, and no connection string in the body', async () => {
  const f = await app()
  for (const url of ['/db-down', '/db-full']) {
    const res = await f.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 503, url)
    assert.equal(res.headers['retry-after'], '1')
    assert.equal(res.json().code, 'SHOP_ERR_DATABASE_UNAVAILABLE')
    assert.ok(!res.body.includes('secret') && !res.body.includes('127.0.0.1'), res.body)
  }
})
