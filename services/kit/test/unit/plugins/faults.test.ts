import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { fieldRules, missingResponses, validateOpenApi } from '@vitrine/infra/testing/openapi'
import { serverOptions } from '../../../src/index.ts'
import type { ServiceConfig } from '../../../src/index.ts'
import errorsPlugin from '../../../src/plugins/errors.ts'
import configPlugin from '../../../src/plugins/config.ts'
import faultsPlugin from '../../../src/plugins/faults.ts'
import openapiPlugin, { OPENAPI_PATH } from '../../../src/plugins/openapi.ts'

// GET/PUT/DELETE /faults without a broker: what a PUT refuses (each field and rule named), a change
// of some toggles keeping the others, the boot drills shown, one DELETE for all, the OpenAPI document.

async function build (t: { after: (fn: () => Promise<void>) => void }, env: Partial<ServiceConfig> = {}): Promise<ReturnType<typeof Fastify>> {
  const app = Fastify(serverOptions('payment', { LOG_LEVEL: 'silent' } as ServiceConfig))
  t.after(async () => { await app.close() })
  await app.register(errorsPlugin)
  await app.register(openapiPlugin, { service: 'payment', description: 'Pagamentos.' })
  await app.register(configPlugin, { config: { HANDLER_DELAY_MS: 0, HANDLER_FAIL_TOPICS: '', ...env } as ServiceConfig })
  await app.register(faultsPlugin, { service: 'payment' })
  await app.ready()
  return app
}

test('PUT /faults refuses bad input with each field and rule named, and changes nothing', async t => {
  const app = await build(t)
  const cases: Array<[unknown, string[][]]> = [
    [{ failRate: 2 }, [['body.failRate', 'maximum']]],
    [{ handlerDelayMs: -1, statementTimeoutMs: 1.5 }, [['body.handlerDelayMs', 'minimum'], ['body.statementTimeoutMs', 'type']]],
    [{ pauseConsuming: 'yes' }, [['body.pauseConsuming', 'type']]],
    [{ failTopics: ['Orders New'] }, [['body.failTopics.0', 'pattern']]],
    [{ latency: 100 }, [['body.latency', 'additionalProperties']]],
    [{}, [['body', 'minProperties']]]
  ]
  for (const [body, want] of cases) {
    const res = await app.inject({ method: 'PUT', url: '/faults', payload: body as object })
    assert.equal(res.statusCode, 400, JSON.stringify(body))
    const err = res.json() as { code: string, errors: Array<{ field: string, rule: string }> }
    assert.equal(err.code, 'SHOP_ERR_VALIDATION')
    assert.deepEqual(fieldRules(err).sort(), want.sort(), JSON.stringify(body))
  }
  assert.deepEqual((await app.inject({ url: '/faults' })).json().active, [], 'nothing changed')
})

test('a PUT changes only what it names; GET shows it; DELETE clears every toggle, the boot drills too', async t => {
  const app = await build(t, { HANDLER_DELAY_MS: 300, HANDLER_FAIL_TOPICS: 'orders.commands' })
  const boot = (await app.inject({ url: '/faults' })).json()
  assert.deepEqual(boot, { service: 'payment', faults: { handlerDelayMs: 300, failRate: 1, failTopics: ['orders.commands'], statementTimeoutMs: 0, pauseConsuming: false }, active: ['handlerDelayMs=300', 'failRate=1 (orders.commands)'], changedAt: null })
  const put = await app.inject({ method: 'PUT', url: '/faults', payload: { statementTimeoutMs: 200, pauseConsuming: true } })
  assert.equal(put.statusCode, 200)
  assert.deepEqual(put.json().faults, { handlerDelayMs: 300, failRate: 1, failTopics: ['orders.commands'], statementTimeoutMs: 200, pauseConsuming: true })
  assert.equal(app.faults.get().statementTimeoutMs, 200, 'what the database and consumers read')
  const del = await app.inject({ method: 'DELETE', url: '/faults' })
  assert.equal(del.statusCode, 200)
  assert.deepEqual(del.json().active, [])
  assert.deepEqual((await app.inject({ url: '/faults' })).json().faults, { handlerDelayMs: 0, failRate: 0, failTopics: [], statementTimeoutMs: 0, pauseConsuming: false })
})

test('the /faults routes are in the service\'s OpenAPI document with every status they answer', async t => {
  const app = await build(t)
  const doc = (await app.inject({ url: OPENAPI_PATH })).json()
  assert.deepEqual(Object.keys(doc.paths['/faults']).sort(), ['delete', 'get', 'put'])
  assert.equal(await validateOpenApi(doc), undefined)
  assert.deepEqual(missingResponses(doc), [])
})
