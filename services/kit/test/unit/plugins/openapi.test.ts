import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import { missingResponses, undocumentedAnswers, validateOpenApi } from '@vitrine/infra/testing/openapi'
import { ErrorBody, HTTP_ERROR_CODES, ShopError, buildRoutes, serverOptions } from '../../../src/index.ts'
import type { ServiceConfig } from '../../../src/index.ts'
import errorsPlugin from '../../../src/plugins/errors.ts'
import healthPlugin from '../../../src/plugins/health.ts'
import openapiPlugin, { OPENAPI_PATH, tagOf } from '../../../src/plugins/openapi.ts'

test('GET /openapi.json: an OpenAPI 3.1 document titled by the service, every SHOP_ERR_* code in its description, routes tagged by path, 500 on every route and 413/415 on a body', async t => {
  const app = Fastify(serverOptions('checkout-api', { LOG_LEVEL: 'silent' } as ServiceConfig))
  t.after(async () => { await app.close() })
  await app.register(errorsPlugin)
  await app.register(openapiPlugin, { service: 'checkout-api', description: 'Pedidos.' })
  app.post('/orders', { schema: { body: Type.Object({ n: Type.Integer() }), response: { 202: Type.Object({ ok: Type.Boolean() }), 400: ErrorBody } } }, async () => ({ ok: true }))
  const res = await app.inject({ method: 'GET', url: OPENAPI_PATH })
  assert.equal(res.statusCode, 200)
  const doc = res.json()
  assert.equal(doc.openapi, '3.1.0')
  assert.equal(doc.info.title, 'Vitrine · checkout-api')
  for (const code of Object.keys(HTTP_ERROR_CODES)) assert.ok(doc.info.description.includes(`\`${code}\``), code)
  assert.equal(doc.paths[OPENAPI_PATH], undefined, 'the document itself is not an API route')
  const op = doc.paths['/orders'].post
  assert.deepEqual(op.tags, ['orders'])
  assert.deepEqual(Object.keys(op.responses).sort(), ['202', '400', '413', '415', '500'])
  assert.equal(await validateOpenApi(doc), undefined)
  assert.deepEqual(missingResponses(doc), [])
  assert.deepEqual([tagOf('/api/topics/:name', 'gateway'), tagOf('/api', 'gateway'), tagOf('/:id', 'x')], ['topics', 'gateway', 'x'])
})

test('the checks find a route that does not document a status it answers, and a document that is not valid OpenAPI', async t => {
  const routes: FastifyPluginAsync = async (f) => {
    // Declares no 400 and no 404, and answers 409.
    f.get('/things/:id', { schema: { params: Type.Object({ id: Type.String({ maxLength: 3 }) }), response: { 200: Type.Object({}) } } }, async () => {
      throw new ShopError('SHOP_ERR_PRODUCT_EXISTS', 'exists', 409)
    })
  }
  const app = await buildRoutes(routes, {}, [])
  t.after(async () => { await app.close() })
  const doc = app.swagger()
  assert.deepEqual(missingResponses(doc), ['GET /things/{id}: no 400', 'GET /things/{id}: no 404'])
  assert.deepEqual(await undocumentedAnswers(app, doc), ['GET /things/{id} answered 409, documents 200 500'])
  const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: unknown }>> }
  broken.paths['/things/{id}']!.get!.responses = 'none'
  assert.match(await validateOpenApi(broken) ?? 'valid', /responses|invalid|schema/i)
})

test('the health routes every service has are documented, with their 503', async t => {
  // Health depends on the clients by name; empty stand-ins are enough to read its document.
  const named = (name: string) => fp(async () => {}, { name })
  const app = await buildRoutes(async (f) => {
    for (const n of ['vitrine-postgres', 'vitrine-producer', 'vitrine-consumers']) await f.register(named(n))
    await f.register(healthPlugin, { service: 'payment' })
  }, {}, [])
  t.after(async () => { await app.close() })
  const doc = app.swagger()
  assert.equal(await validateOpenApi(doc), undefined)
  assert.deepEqual(Object.keys(doc.paths ?? {}).sort(), ['/health', '/health/live', '/health/ready'])
  assert.deepEqual(Object.keys(doc.paths?.['/health']?.get?.responses ?? {}).sort(), ['200', '500', '503'])
  assert.deepEqual(missingResponses(doc), [])
})

test('every SHOP_ERR_* code a service answers over HTTP is in HTTP_ERROR_CODES (what the documents list)', () => {
  const services = fileURLToPath(new URL('../../../../', import.meta.url))
  // Codes that never reach an HTTP answer: boot, the DLQ CLI, failures a consumer dead-letters, and
  // the streams submitter's own errors (the gateway's SQL route answers them as SHOP_ERR_VALIDATION or 502).
  const notHttp = new Set(['SHOP_ERR_CONFIG', 'SHOP_ERR_MIGRATION_CHANGED', 'SHOP_ERR_PRODUCER_FATAL', 'SHOP_ERR_DLQ_REPLAY', 'SHOP_ERR_PERMANENT', 'SHOP_ERR_UNEXPECTED_REPLY', 'SHOP_ERR_FLINK_SQL', 'SHOP_ERR_STREAMS_SQL'])
  const found = new Set<string>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/'(SHOP_ERR_[A-Z_]+)'/g)) found.add(m[1]!)
    }
  }
  for (const entry of readdirSync(services, { withFileTypes: true })) {
    const src = join(services, entry.name, 'src')
    if (entry.isDirectory() && statSync(src, { throwIfNoEntry: false })?.isDirectory()) walk(src)
  }
  assert.ok(found.size > 10, `${found.size} codes found`)
  const undocumented = [...found].filter(c => !notHttp.has(c) && !(c in HTTP_ERROR_CODES)).sort()
  assert.deepEqual(undocumented, [])
})
