import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyPluginAsync } from 'fastify'
import { buildRoutes, emptyDb } from '@vitrine/service-kit'
import { missingResponses, operations, undocumentedAnswers, validateOpenApi } from '@vitrine/infra/testing/openapi'
import type { CheckoutConfigType } from '../../src/config.ts'
import ordersRoutes from '../../src/routes/orders.ts'
import catalogRoutes from '../../src/routes/catalog.ts'
import trafficRoutes from '../../src/routes/traffic.ts'

// The routes app.ts registers, in a routes-only app (no broker, a database with no rows).
const routes: FastifyPluginAsync = async (fastify) => {
  await fastify.register(ordersRoutes, { config: { MAX_ITEMS: 20, MAX_QUANTITY: 100 } as CheckoutConfigType })
  await fastify.register(catalogRoutes)
  await fastify.register(trafficRoutes)
}

test('the OpenAPI document is valid OpenAPI 3 and every route documents each status it answers', async t => {
  const app = await buildRoutes(routes, {}, ['outbox', 'producer', 'catalog', 'traffic'], { sql: emptyDb })
  t.after(async () => { await app.close() })
  const doc = app.swagger()
  assert.equal(await validateOpenApi(doc), undefined)
  assert.deepEqual(operations(doc).map(([m, p]) => `${m} ${p}`).sort(), ['delete /traffic', 'get /catalog', 'get /orders', 'get /orders/{id}', 'get /traffic', 'post /orders', 'put /traffic'])
  assert.deepEqual(missingResponses(doc), [])
  assert.deepEqual(await undocumentedAnswers(app, doc), [])
  // Examples from the schemas: an order to send, what it answers, and a refusal with its code.
  const post = doc.paths?.['/orders']?.post as { requestBody: { content: Record<string, { example?: unknown }> }, responses: Record<string, { content: Record<string, { example?: { code?: string } }> }> }
  assert.ok(post.requestBody.content['application/json']?.example)
  assert.ok(post.responses['202']?.content['application/json']?.example)
  assert.equal(post.responses['400']?.content['application/json']?.example?.code, 'SHOP_ERR_VALIDATION')
})
