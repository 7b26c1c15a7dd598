import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import { missingResponses, operations, undocumentedAnswers, validateOpenApi } from '@vitrine/infra/testing/openapi'
import routes from '../../src/routes/index.ts'

// The routes app.ts registers, in a routes-only app: no broker (the counter and the recount are stand-ins).
test('the OpenAPI document is valid OpenAPI 3 and every route documents each status it answers', async t => {
  const app = await buildRoutes(routes, {}, ['salesCounter', 'truth'])
  t.after(async () => { await app.close() })
  const doc = app.swagger()
  assert.equal(await validateOpenApi(doc), undefined)
  assert.deepEqual(operations(doc).map(([m, p]) => `${m} ${p}`).sort(), ['get /counter', 'get /counter/records', 'get /health', 'get /health/live', 'post /counter/crash-point', 'post /counter/zombie', 'put /counter/mode'])
  assert.deepEqual(missingResponses(doc), [])
  assert.deepEqual(await undocumentedAnswers(app, doc), [])
})
