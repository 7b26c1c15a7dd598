import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import postgres from 'postgres'
import { appSettings, startApps, stopApp } from '../../../src/apps.ts'
import { ControlPlane } from '../../../src/control/plane.ts'
import controlApp, { controlServerOptions } from '../../../src/control/app.ts'
import { SHOP_SCHEMAS } from '../../../src/control/reset.ts'
import { freePort } from '../../../src/proc.ts'
import { linksClient, linksControlPort } from '../../../src/links.ts'
import { createCatalogTopics, deleteTestTopics, serviceEnv, sharedSettings, testEnv } from '../../../src/testing/index.ts'

// A service's fault toggles through the control plane: set, read back from the service's own
// /health, refused with the field named, cleared in one call; a stopped service and a link the
// brokers were not started with are named errors, not 500s.

const SERVICE = 'notification'
const stack = sharedSettings()
const env = testEnv()
const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-faults-'))
let plane: ControlPlane
let api: FastifyInstance
let url = ''

before(async () => {
  await createCatalogTopics(env)
  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  const apps = appSettings(stack, { stateDir, ports: { [SERVICE]: port, control: await freePort() }, only: [SERVICE], env: serviceEnv(env, { LOG_LEVEL: 'warn' }) })
  plane = new ControlPlane({ stack, apps })
  api = Fastify(controlServerOptions('silent')).withTypeProvider<TypeBoxTypeProvider>()
  await api.register(controlApp, { plane })
  await startApps(stack, {}, apps)
})

after(async () => {
  await api?.close()
  await stopApp(plane.settings.apps, SERVICE).catch(() => {})
  rmSync(stateDir, { recursive: true, force: true })
  await deleteTestTopics(env).catch(() => {})
  const sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} })
  await sql.unsafe(`drop schema if exists "${SHOP_SCHEMAS[SERVICE]}${env.schemaSuffix}" cascade`).catch(() => {})
  await sql.end({ timeout: 5 })
})

const linksUp = async (): Promise<boolean> => await linksClient(linksControlPort(stack)).up()

interface ServiceFaults { service: string, running: boolean, toggles: { active: string[], faults: Record<string, unknown> } | null, error: string | null, link: { available: boolean } }

test('PUT /faults/:service sets the service\'s toggles at once; its /health shows them; DELETE /faults clears every one', { timeout: 60_000 }, async () => {
  const put = await api.inject({ method: 'PUT', url: `/faults/${SERVICE}`, payload: { handlerDelayMs: 1500, pauseConsuming: true } })
  assert.equal(put.statusCode, 200, put.body)
  const body = put.json() as ServiceFaults
  assert.equal(body.running, true)
  assert.deepEqual(body.toggles?.active, ['handlerDelayMs=1500', 'pauseConsuming'])
  const health = await (await fetch(`${url}/health`)).json() as { faults: { active: string[] }, checks: Record<string, { status: string }> }
  assert.deepEqual(health.faults.active, ['handlerDelayMs=1500', 'pauseConsuming'], 'the running process has them: no restart')
  assert.equal(health.checks.faults?.status, 'warn')
  const list = (await api.inject({ url: '/faults' })).json() as { services: ServiceFaults[] }
  assert.deepEqual(list.services.map(s => s.service), [SERVICE])
  assert.equal(list.services[0]?.link.available, await linksUp(), 'the link is shown when the stack\'s links process runs')
  const cleared = await api.inject({ method: 'DELETE', url: '/faults' })
  assert.equal(cleared.statusCode, 200)
  assert.deepEqual((cleared.json() as { services: ServiceFaults[] }).services[0]?.toggles?.active, [])
  const after = await (await fetch(`${url}/faults`)).json() as { active: string[] }
  assert.deepEqual(after.active, [])
})

test('bad input is a 400 naming the field and rule; an unknown service a 404; a link without listeners a 409', { timeout: 30_000 }, async () => {
  const bad = await api.inject({ method: 'PUT', url: `/faults/${SERVICE}`, payload: { failRate: 1.5, slow: true } })
  assert.equal(bad.statusCode, 400)
  const err = bad.json() as { code: string, errors: Array<{ field: string, rule: string }> }
  assert.equal(err.code, 'SHOP_ERR_VALIDATION')
  assert.deepEqual(err.errors.map(e => [e.field, e.rule]).sort(), [['body.failRate', 'maximum'], ['body.slow', 'additionalProperties']])
  const unknown = await api.inject({ method: 'PUT', url: '/faults/gateway', payload: { failRate: 1 } })
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().code, 'SHOP_ERR_COMPONENT_NOT_FOUND')
  const badLink = await api.inject({ method: 'PUT', url: `/faults/${SERVICE}/link`, payload: { latencyMs: -5 } })
  assert.deepEqual(badLink.json().errors.map((e: { field: string, rule: string }) => [e.field, e.rule]), [['body.latencyMs', 'minimum']])
  // The shared stack's links process runs only after make demo on brokers started with the link listeners.
  if (!(await linksUp())) {
    const link = await api.inject({ method: 'PUT', url: `/faults/${SERVICE}/link`, payload: { partitioned: true } })
    assert.equal(link.statusCode, 409, link.body)
    assert.equal(link.json().code, 'SHOP_ERR_LINK_UNAVAILABLE')
  }
})

test('a stopped service: its row says why; a PUT is a 502 naming it', { timeout: 60_000 }, async () => {
  await stopApp(plane.settings.apps, SERVICE)
  const row = (await api.inject({ url: `/faults/${SERVICE}` })).json() as ServiceFaults
  assert.equal(row.running, false)
  assert.match(row.error ?? '', /notification does not answer/)
  const put = await api.inject({ method: 'PUT', url: `/faults/${SERVICE}`, payload: { failRate: 0.5 } })
  assert.equal(put.statusCode, 502)
  assert.equal(put.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
})
