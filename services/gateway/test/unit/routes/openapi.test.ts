import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyPluginAsync } from 'fastify'
import { buildRoutes } from '@vitrine/service-kit'
import { missingResponses, operations, undocumentedAnswers, validateOpenApi } from '@vitrine/infra/testing/openapi'
import apiRoutes from '../../../src/routes/api/index.ts'
import healthRoutes from '../../../src/routes/health.ts'
import { DOCUMENTED } from '../../../src/routes/api/docs.ts'

// Nothing listens on port 9: a forwarded call, a Prometheus query, the control plane or a service's document is a 502.
const nowhere = 'http://127.0.0.1:9'
const config = { CHECKOUT_API_URL: nowhere, INVENTORY_URL: nowhere, ORCHESTRATOR_URL: nowhere, PAYMENT_URL: nowhere, NOTIFICATION_URL: nowhere, PROMETHEUS_URL: nowhere, ALERTMANAGER_URL: nowhere, PROMETHEUS_TIMEOUT_MS: 1000, CONTROL_URL: nowhere, CONTROL_TIMEOUT_MS: 1000, LOG_DIR: '/nonexistent/vitrine-logs', LOG_TAIL_BYTES: 1024, LOG_MAX_LINES: 10 }

// What app.ts registers after its clients: the health routes and everything under /api.
const routes: FastifyPluginAsync = async (f) => {
  await f.register(healthRoutes)
  await f.register(apiRoutes, { prefix: '/api', config: config as never })
}

test('the gateway\'s OpenAPI document is valid OpenAPI 3, every route documents each status it answers, and the docs page lists every service', async t => {
  const app = await buildRoutes(routes, {}, ['kafkaConsole', 'kafkaReader', 'serde', 'live', 'registryBrowser', 'alerts', 'compare', 'exercises', 'io', 'orderReplay'], { config: { TOPIC_PREFIX: '', ...config } })
  t.after(async () => { await app.close() })
  const doc = app.swagger()
  assert.equal(await validateOpenApi(doc), undefined)
  assert.ok(operations(doc).length > 20, `${operations(doc).length} operations`)
  // An order's logs are a list, empty when no line names it: never a 404.
  assert.deepEqual(missingResponses(doc, { no404: ['GET /api/orders/{orderId}/logs'] }), [])
  assert.deepEqual(await undocumentedAnswers(app, doc), [])

  // The page and its list: the gateway's document, then each service's, fetched through the gateway.
  const page = await app.inject({ method: 'GET', url: '/api/docs/' })
  assert.equal(page.statusCode, 200)
  assert.match(page.headers['content-type'] as string, /text\/html/)
  const init = await app.inject({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' })
  for (const name of ['gateway', ...Object.keys(DOCUMENTED)]) assert.ok(init.body.includes(`"name":"${name}"`), `${name} is listed: ${init.body}`)
  const own = await app.inject({ method: 'GET', url: '/api/docs/json' })
  assert.equal(own.json().info.title, 'Vitrine · routes-test')
  const down = await app.inject({ method: 'GET', url: '/api/docs/services/payment' })
  assert.equal(down.statusCode, 502, down.body)
  assert.equal(down.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
  const unknown = await app.inject({ method: 'GET', url: '/api/docs/services/kafka' })
  assert.equal(unknown.statusCode, 400)
  assert.equal(unknown.json().errors[0].field, 'params.service')
})
