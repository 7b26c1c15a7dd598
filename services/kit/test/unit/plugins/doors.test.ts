import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import errorsPlugin from '../../../src/plugins/errors.ts'
import doorsPlugin from '../../../src/plugins/doors.ts'
import type { DoorsOptions } from '../../../src/plugins/doors.ts'
import { BaseConfig, ConfigError, loadConfig, serviceConfig } from '../../../src/config.ts'
import { ShopError } from '../../../src/errors.ts'
import { serverOptions } from '../../../src/service.ts'
import type { ServiceConfig } from '../../../src/service.ts'

// Closed doors and limits (issue 16), on the options and error handler every service is built with.
async function app (env: Record<string, string> = {}, routeShares?: DoorsOptions['routeShares']): Promise<FastifyInstance> {
  const config = { ...loadConfig(BaseConfig, env), PORT: 0, LOG_LEVEL: 'silent' as const }
  const f = Fastify(serverOptions('doors-test', config))
  await f.register(errorsPlugin)
  await f.register(doorsPlugin, { config, ...(routeShares ? { routeShares } : {}) })
  f.get('/x', async () => ({ ok: true }))
  f.post('/costly', async () => ({ ok: true }))
  f.get('/metrics', async () => 'm 1')
  f.get('/health', async () => ({ status: 'ok', service: 't', checks: { database: { status: 'ok', detail: 'postgres://vitrine@db:5432' } }, faults: { active: [] } }))
  f.get('/down', async () => { throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', 'inventory is not reachable at http://10.1.2.3:3003/products (ECONNREFUSED)', 502, { service: 'inventory', url: 'http://10.1.2.3:3003', hint: 'see postgres://vitrine:vitrine@db:5432/vitrine' }) })
  await f.ready()
  return f
}

test('an unknown Host (DNS rebinding) is a 421 naming the rule; the machine\'s own names, any port, and ALLOWED_HOSTS pass', async t => {
  const f = await app({ ALLOWED_HOSTS: 'aula.escola.br' })
  t.after(async () => { await f.close() })
  const evil = await f.inject({ method: 'GET', url: '/x', headers: { host: 'rebind.attacker.example:3010' } })
  assert.equal(evil.statusCode, 421)
  assert.equal(evil.json().code, 'SHOP_ERR_HOST_NOT_ALLOWED')
  assert.deepEqual(evil.json().errors.map((e: { field: string, rule: string }) => [e.field, e.rule]), [['headers.host', 'allowedHosts']])
  // Refused before any route: an unknown route behind it is refused the same way.
  assert.equal((await f.inject({ method: 'DELETE', url: '/api/topics/orders.new', headers: { host: 'rebind.attacker.example' } })).statusCode, 421)
  for (const host of ['localhost:3010', '127.0.0.1:9464', '[::1]:3001', 'LOCALHOST', 'host.docker.internal:3002', 'aula.escola.br:3000']) {
    assert.equal((await f.inject({ method: 'GET', url: '/x', headers: { host } })).statusCode, 200, host)
  }
  // Prometheus scrapes with Host localhost:<port>.
  assert.equal((await f.inject({ method: 'GET', url: '/metrics', headers: { host: 'localhost:3010' } })).statusCode, 200)
})

test('a foreign browser Origin is a 403; the page\'s own origin and ALLOWED_ORIGINS pass, the latter with CORS headers', async t => {
  const f = await app()
  t.after(async () => { await f.close() })
  const foreign = await f.inject({ method: 'POST', url: '/costly', headers: { host: '127.0.0.1:3010', origin: 'https://evil.example' } })
  assert.equal(foreign.statusCode, 403)
  assert.equal(foreign.json().code, 'SHOP_ERR_ORIGIN_NOT_ALLOWED')
  assert.equal(foreign.headers['access-control-allow-origin'], undefined)
  assert.equal((await f.inject({ method: 'GET', url: '/x', headers: { host: '127.0.0.1:3010', origin: 'null' } })).statusCode, 403)
  // Same host, other port: another origin.
  assert.equal((await f.inject({ method: 'GET', url: '/x', headers: { host: '127.0.0.1:3010', origin: 'http://127.0.0.1:4444' } })).statusCode, 403)
  const own = await f.inject({ method: 'POST', url: '/costly', headers: { host: '127.0.0.1:3010', origin: 'http://127.0.0.1:3010' } })
  assert.equal(own.statusCode, 200)
  const ui = await f.inject({ method: 'GET', url: '/x', headers: { host: '127.0.0.1:3010', origin: 'http://localhost:3000' } })
  assert.equal(ui.statusCode, 200)
  assert.equal(ui.headers['access-control-allow-origin'], 'http://localhost:3000')
  const preflight = await f.inject({ method: 'OPTIONS', url: '/costly', headers: { host: '127.0.0.1:3010', origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } })
  assert.equal(preflight.statusCode, 204)
  assert.equal(preflight.headers['access-control-allow-origin'], 'http://localhost:3000')
})

test('over RATE_LIMIT_MAX a client gets 429 with Retry-After and SHOP_ERR_RATE_LIMITED; costly routes get their share; /metrics and /health are never limited', async t => {
  const f = await app({ RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_MS: '60000' }, { 'POST /costly': 0.5 })
  t.after(async () => { await f.close() })
  const student = { remoteAddress: '192.0.2.1' }
  for (let i = 0; i < 4; i++) assert.equal((await f.inject({ method: 'GET', url: '/x', ...student })).statusCode, 200)
  const over = await f.inject({ method: 'GET', url: '/x', ...student })
  assert.equal(over.statusCode, 429)
  assert.equal(over.json().code, 'SHOP_ERR_RATE_LIMITED')
  assert.deepEqual(over.json().errors.map((e: { rule: string }) => e.rule), ['rateLimit'])
  const after = Number(over.headers['retry-after'])
  assert.ok(after > 0 && after <= 60, `Retry-After ${String(over.headers['retry-after'])}`)
  for (let i = 0; i < 10; i++) {
    assert.equal((await f.inject({ method: 'GET', url: '/metrics', ...student })).statusCode, 200)
    assert.equal((await f.inject({ method: 'GET', url: '/health', ...student })).statusCode, 200)
    // A process of this machine (the gateway calling a service, a drill, curl) is never limited.
    assert.equal((await f.inject({ method: 'GET', url: '/x' })).statusCode, 200)
  }
  // Another client, behind the web app's proxy on this machine (X-Forwarded-For from a loopback peer), has its own count.
  const other = { 'x-forwarded-for': '10.0.0.7' }
  assert.equal((await f.inject({ method: 'GET', url: '/x', headers: other })).statusCode, 200)
  // The costly route: half of 4, counted apart.
  assert.equal((await f.inject({ method: 'POST', url: '/costly', headers: other })).statusCode, 200)
  assert.equal((await f.inject({ method: 'POST', url: '/costly', headers: other })).statusCode, 200)
  assert.equal((await f.inject({ method: 'POST', url: '/costly', headers: other })).statusCode, 429)
  // A remote peer's X-Forwarded-For is not believed: it cannot dodge its count.
  const remote = { remoteAddress: '192.0.2.9' }
  for (let i = 0; i < 4; i++) assert.equal((await f.inject({ method: 'GET', url: '/x', ...remote, headers: { 'x-forwarded-for': `10.9.9.${i}` } })).statusCode, 200)
  assert.equal((await f.inject({ method: 'GET', url: '/x', ...remote, headers: { 'x-forwarded-for': '10.9.9.99' } })).statusCode, 429)
})

test('every server has a request and a connection timeout (slow clients cannot hold it)', async t => {
  const defaults = Fastify(serverOptions('t', { ...loadConfig(BaseConfig, {}), PORT: 0, LOG_LEVEL: 'silent' }))
  const set = Fastify(serverOptions('t', { ...loadConfig(BaseConfig, { HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_CONNECTION_TIMEOUT_MS: '7000' }), PORT: 0, LOG_LEVEL: 'silent' }))
  // A routes-only test's config has neither: the defaults still apply.
  const bare = Fastify(serverOptions('t', { LOG_LEVEL: 'silent' } as ServiceConfig))
  t.after(async () => { await Promise.all([defaults.close(), set.close(), bare.close()]) })
  assert.equal(defaults.server.requestTimeout, 30_000)
  assert.equal(defaults.server.timeout, 360_000)
  assert.equal(set.server.requestTimeout, 5000)
  assert.equal(set.server.timeout, 7000)
  assert.equal(bare.server.requestTimeout, 30_000)
  assert.ok(bare.server.timeout > 0)
})

test('an error body never carries an internal URL or connection string (they stay in the log)', async t => {
  const f = await app()
  t.after(async () => { await f.close() })
  const res = await f.inject({ method: 'GET', url: '/down' })
  assert.equal(res.statusCode, 502)
  assert.equal(res.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
  assert.match(res.json().message, /^inventory is not reachable at <internal address> \(ECONNREFUSED\)$/)
  assert.equal(res.json().details.service, 'inventory')
  assert.doesNotMatch(res.body, /10\.1\.2\.3|postgres:|http:|vitrine@/)
})

test('HEALTH_DETAIL=local: /health\'s details go only to this machine\'s clients; HEALTH_DETAIL=all to everyone', async t => {
  const f = await app()
  const all = await app({ HEALTH_DETAIL: 'all' })
  t.after(async () => { await Promise.all([f.close(), all.close()]) })
  const local = await f.inject({ method: 'GET', url: '/health' })
  assert.equal(local.json().checks.database.detail, 'postgres://vitrine@db:5432')
  for (const req of [{ remoteAddress: '10.0.0.5' }, { headers: { 'x-forwarded-for': '10.0.0.5' } }]) {
    const remote = await f.inject({ method: 'GET', url: '/health', ...req })
    assert.equal(remote.statusCode, 200)
    assert.deepEqual(remote.json(), { status: 'ok', service: 't', checks: { database: { status: 'ok' } } })
  }
  assert.equal((await all.inject({ method: 'GET', url: '/health', remoteAddress: '10.0.0.5' })).json().checks.database.detail, 'postgres://vitrine@db:5432')
})

test('a config error names the variable and rule but never prints a password', () => {
  const err = (env: Record<string, string>, schema = BaseConfig): string => {
    try {
      loadConfig(schema, env)
    } catch (e) {
      assert.ok(e instanceof ConfigError)
      return e.message
    }
    assert.fail('no config error')
  }
  const db = err({ DATABASE_URL: 'mysql://vitrine:s3cr3t-pw@db.escola:5432/vitrine' })
  assert.match(db, /DATABASE_URL: /)
  assert.match(db, /mysql:\/\/vitrine:\*\*\*@db\.escola:5432\/vitrine/)
  assert.doesNotMatch(db, /s3cr3t-pw/)
  const secret = err({ SOME_PASSWORD: 'x'.repeat(3) }, serviceConfig({ SOME_PASSWORD: Type.String({ minLength: 8 }) }))
  assert.match(secret, /SOME_PASSWORD: .*\(got \(hidden\)\)/)
  assert.doesNotMatch(secret, /xxx/)
})
