import { test } from 'node:test'
import assert from 'node:assert/strict'
import { assertJwtMatrix, jwtTestConfig, matrixRoutes } from '@vitrine/infra/testing'
import { validateOpenApi } from '@vitrine/infra/testing/openapi'
import { gatewayHarness } from './helper.ts'

// HTTP_AUTH=jwt on the gateway (issue 16): the JWT matrix on every route it registered, the dev
// issuer (customer and instructor sign-in), and an instructor's admin action going through.
const auth = jwtTestConfig()
const CODE = 'codigo-do-instrutor-de-teste'
const NOWHERE = 'http://127.0.0.1:9'
// The shop's services elsewhere: a customer's call in the matrix reaches the handler and must touch nothing real.
const h = gatewayHarness({ ...auth, HTTP_INSTRUCTOR_CODE: CODE, CHECKOUT_API_URL: NOWHERE, INVENTORY_URL: NOWHERE, ORCHESTRATOR_URL: NOWHERE, SALES_COUNTER_URL: NOWHERE, PAYMENT_URL: NOWHERE, CONTROL_URL: NOWHERE, FLINK_SQL_GATEWAY_URL: NOWHERE })

async function api (method: string, url: string, body?: unknown, token?: string): Promise<{ status: number, body: any }> {
  const res = await h.app.inject({ method: method as 'GET', url, ...(body !== undefined ? { payload: body as object } : {}), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  return { status: res.statusCode, body: res.body ? res.json() : null }
}

test('the JWT matrix holds on every gateway route (no token, bad tokens, wrong role), and the refusals are in the OpenAPI document', async () => {
  const { checked, rows } = await assertJwtMatrix(h.app, auth)
  // The admin surface is in it (a route renamed would leave the matrix with nothing to say about it).
  for (const key of ['POST /api/topics', 'DELETE /api/topics/:name', 'PUT /api/shop/traffic', 'POST /api/dlq/replay', 'POST /api/chaos/drills', 'DELETE /api/chaos/faults', 'POST /api/compare', 'PUT /api/sales-counter/mode']) {
    assert.equal(rows.find(r => `${r.method} ${r.url}` === key)?.access, 'instructor', key)
  }
  assert.ok(checked >= 20, `checked ${checked} closed routes`)
  // What anyone may do without a token, besides reading: sign in, and Alertmanager's webhook.
  const openWrites = rows.filter(r => r.access === 'public' && r.method !== 'GET').map(r => `${r.method} ${r.url}`).sort()
  assert.deepEqual(openWrites, ['POST /api/alerts/webhook', 'POST /api/auth/token'])
  // With the refusals declared, the document is still valid OpenAPI 3.
  assert.equal(await validateOpenApi(h.app.swagger()), undefined)
})

test('the live feed stays readable without signing in', async () => {
  for (const url of ['/api/events/recent', '/api/stats', '/api/topics', '/api/groups', '/health']) {
    assert.equal((await api('GET', url)).status, 200, url)
  }
  assert.deepEqual((await api('GET', '/api/auth')).body, { mode: 'jwt', instructorSignIn: true })
})

test('the dev issuer: a customer picks its id; the instructor needs the code; the instructor token creates and deletes a topic, the customer token is refused', async () => {
  const wrong = await api('POST', '/api/auth/token', { role: 'instructor', code: 'chute' })
  assert.equal(wrong.status, 401)
  assert.equal(wrong.body.code, 'SHOP_ERR_UNAUTHENTICATED')
  const bad = await api('POST', '/api/auth/token', { role: 'customer', customerId: 'ana silva' })
  assert.equal(bad.status, 400)
  assert.ok(bad.body.errors.some((e: { field: string }) => e.field.startsWith('body')), JSON.stringify(bad.body))

  const customer = await api('POST', '/api/auth/token', { role: 'customer', customerId: 'ana@example.com' })
  assert.equal(customer.status, 200)
  assert.equal(customer.body.role, 'customer')
  assert.equal(customer.body.sub, 'ana@example.com')
  const instructor = await api('POST', '/api/auth/token', { role: 'instructor', code: CODE })
  assert.equal(instructor.status, 200)
  assert.equal(instructor.body.role, 'instructor')
  assert.ok(Date.parse(instructor.body.expiresAt) > Date.now())

  const name = `${h.env.prefix}auth-check`
  const refused = await api('POST', '/api/topics', { name, partitions: 1 }, customer.body.token)
  assert.equal(refused.status, 403)
  assert.equal(refused.body.code, 'SHOP_ERR_FORBIDDEN')
  const created = await api('POST', '/api/topics', { name, partitions: 1 }, instructor.body.token)
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const deleted = await api('DELETE', `/api/topics/${encodeURIComponent(name)}`, undefined, instructor.body.token)
  assert.equal(deleted.status, 204)
  assert.ok(matrixRoutes(h.app).length > 0)
})
