import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Fastify from 'fastify'
import { ConfigError, authPlugin, errorsPlugin, loadConfig, serviceConfig } from '@vitrine/service-kit'
import { DEFAULT_HTTP_AUTH, httpAuthEnv, httpAuthSetting, httpSecrets, httpSecretsFile, instructorToken, toolAuthHeaders } from '../../../src/security/http-auth.ts'

function tempState (t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-http-auth-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('HTTP_AUTH is jwt unless asked otherwise, and a bad value is refused naming the variable', () => {
  assert.equal(DEFAULT_HTTP_AUTH, 'jwt')
  assert.equal(httpAuthSetting(''), 'jwt')
  assert.equal(httpAuthSetting('none'), 'none')
  assert.throws(() => httpAuthSetting('basic'), /HTTP_AUTH deve ser jwt ou none/)
})

test('the key and the instructor code are generated once into <state>/secrets/http-auth.json (folder 700, file 600) and kept', t => {
  const stateDir = tempState(t)
  const first = httpSecrets(stateDir)
  assert.ok(first.jwtSecret.length >= 32)
  assert.ok(first.instructorCode.length >= 12)
  assert.equal(statSync(httpSecretsFile(stateDir)).mode & 0o777, 0o600)
  assert.equal(statSync(join(stateDir, 'secrets')).mode & 0o777, 0o700)
  assert.deepEqual(httpSecrets(stateDir), first)
  assert.deepEqual(httpAuthEnv(stateDir, 'jwt'), { HTTP_AUTH: 'jwt', HTTP_JWT_SECRET: first.jwtSecret, HTTP_INSTRUCTOR_CODE: first.instructorCode })
})

test('a service with the stack\'s env accepts the printed instructor token and a tool\'s token, and refuses a token of another stack', async t => {
  const stateDir = tempState(t)
  const other = tempState(t)
  const config = loadConfig(serviceConfig({}), httpAuthEnv(stateDir, 'jwt'))
  const app = Fastify()
  t.after(async () => { await app.close() })
  await app.register(errorsPlugin)
  await app.register(authPlugin, { config })
  app.put('/faults', async () => ({ ok: true }))
  const call = async (headers: Record<string, string>): Promise<number> => (await app.inject({ method: 'PUT', url: '/faults', headers })).statusCode
  assert.equal(await call({ authorization: `Bearer ${instructorToken(stateDir)}` }), 200)
  assert.equal(await call(toolAuthHeaders(stateDir, 'control')), 200)
  assert.equal(await call(toolAuthHeaders(other, 'control')), 401)
  assert.equal(await call({}), 401)
})

test('HTTP_AUTH=jwt without a key (or a short one) stops the boot naming HTTP_JWT_SECRET, never its value', () => {
  const schema = serviceConfig({})
  assert.throws(() => loadConfig(schema, { HTTP_AUTH: 'jwt' }), (err: Error) => err instanceof ConfigError && /HTTP_JWT_SECRET: required/.test(err.message))
  assert.throws(() => loadConfig(schema, { HTTP_AUTH: 'jwt', HTTP_JWT_SECRET: 'segredo-curto' }), (err: Error) => /too short/.test(err.message) && !err.message.includes('segredo-curto'))
  assert.equal(loadConfig(schema, {}).HTTP_AUTH, 'none')
})
