import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import sagas from '../../../src/routes/sagas.ts'

// What the orchestrator's routes refuse before they read a saga (no database or broker here: a
// request that got through would be a 500).

type Err = { field: string, rule: string }

async function build (t: { after: (fn: () => Promise<void>) => void }): Promise<FastifyInstance> {
  const routes: FastifyPluginAsync = async (f) => {
    await f.register(sagas)
  }
  const app = await buildRoutes(routes, {}, ['sql'])
  t.after(async () => { await app.close() })
  return app
}

test('GET /sagas/:orderId with a NUL byte, and GET /sagas?limit=1e400, are 400s naming the field', async t => {
  const app = await build(t)
  const nul = await app.inject({ method: 'GET', url: '/sagas/abc%00' })
  assert.equal(nul.statusCode, 400, nul.body)
  assert.ok(nul.json().errors.some((e: Err) => e.field === 'params.orderId' && e.rule === 'noControlCharacters'), nul.body)
  const limit = await app.inject({ method: 'GET', url: '/sagas?limit=1e400' })
  assert.equal(limit.statusCode, 400, limit.body)
  assert.equal(limit.json().errors[0].field, 'querystring.limit')
})
