import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes, emptyDb } from '@vitrine/service-kit'
import { missingResponses, operations, undocumentedAnswers, validateOpenApi } from '@vitrine/infra/testing/openapi'
import routes from '../../src/routes/index.ts'

// The routes app.ts registers (routes/index.ts), in a routes-only app: no broker, a database with no rows.
test('the OpenAPI document is valid OpenAPI 3 and every route documents each status it answers', async t => {
  const app = await buildRoutes(routes, {}, [], { sql: emptyDb })
  t.after(async () => { await app.close() })
  const doc = app.swagger()
  assert.equal(await validateOpenApi(doc), undefined)
  assert.deepEqual(operations(doc).map(([m, p]) => `${m} ${p}`).sort(), ['get /payments/{orderId}'])
  assert.deepEqual(missingResponses(doc), [])
  assert.deepEqual(await undocumentedAnswers(app, doc), [])
})
