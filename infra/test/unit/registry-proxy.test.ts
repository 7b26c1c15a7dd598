import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { SECRETS_COMMAND, passwordVar } from '../../src/compose-security.ts'
import { CCOMPAT_PREFIX, ProxyConfigError, backendPath, createProxy, proxyOptions, rewrite } from '../../src/registry-proxy.ts'
import { ADMIN_PRINCIPAL, scramPrincipals } from '../../src/security/acls.ts'

test('Confluent API paths move under the ccompat prefix, with their query strings', () => {
  assert.equal(CCOMPAT_PREFIX, '/apis/ccompat/v7')
  const cases: Array<[string, string]> = [
    ['/subjects', '/apis/ccompat/v7/subjects'],
    ['/subjects/orders.new-value/versions', '/apis/ccompat/v7/subjects/orders.new-value/versions'],
    ['/subjects/orders.new-value?permanent=true', '/apis/ccompat/v7/subjects/orders.new-value?permanent=true'],
    ['/schemas/ids/7', '/apis/ccompat/v7/schemas/ids/7'],
    ['/config', '/apis/ccompat/v7/config'],
    ['/config/orders.new-value', '/apis/ccompat/v7/config/orders.new-value'],
    ['/compatibility/subjects/orders.new-value/versions/latest', '/apis/ccompat/v7/compatibility/subjects/orders.new-value/versions/latest'],
    ['/mode', '/apis/ccompat/v7/mode'],
    ['/contexts', '/apis/ccompat/v7/contexts'],
    ['/subjects?deleted=true', '/apis/ccompat/v7/subjects?deleted=true'],
    ['/', '/apis/ccompat/v7'],
    ['/?x=1', '/apis/ccompat/v7?x=1']
  ]
  for (const [from, to] of cases) assert.equal(rewrite(from), to, from)
})

test('everything else (Apicurio\'s own API and UI) passes through unchanged', () => {
  for (const url of ['/apis/registry/v3/groups', '/apis/ccompat/v7/subjects', '/health/ready', '/ui/', '/subjectsx', '/configs', '/schemasfoo/1', '/q/metrics']) {
    assert.equal(rewrite(url), url, url)
  }
})

test('the supervisor\'s arguments: Apicurio on 127.0.0.1, a state folder for KAFKA_AUTH=scram', () => {
  assert.deepEqual(proxyOptions(['8081', '8085']), { listenHost: '127.0.0.1', listenPort: 8081, backend: { host: '127.0.0.1', port: 8085, api: 'apicurio' }, passwords: 'none' })
  assert.deepEqual(proxyOptions(['8081', '8085', '/tmp/state']).passwords, { stateDir: '/tmp/state' })
  for (const bad of [[], ['8081'], ['x', '8085'], ['8081', '8085', '/s', 'extra'], ['8081', '8085', '--backend-api', 'karapace'], ['8081', '8085', '--nope']]) {
    assert.throws(() => proxyOptions(bad), ProxyConfigError, JSON.stringify(bad))
  }
})

test('--passwords-from-env takes compose/.env\'s passwords from the environment, and refuses to start without every principal\'s', () => {
  const env = Object.fromEntries(scramPrincipals().map(p => [passwordVar(p), `pw-${p}`]))
  const options = proxyOptions(['8081', '8081', '--listen-host', '0.0.0.0', '--backend-host', 'schema-registry', '--backend-api', 'confluent', '--passwords-from-env'], env)
  assert.deepEqual({ ...options, passwords: undefined }, { listenHost: '0.0.0.0', listenPort: 8081, backend: { host: 'schema-registry', port: 8081, api: 'confluent' }, passwords: undefined })
  assert.ok(options.passwords !== 'none' && 'credentials' in options.passwords)
  assert.deepEqual(options.passwords.credentials(), Object.fromEntries(scramPrincipals().map(p => [p, `pw-${p}`])))
  const { [passwordVar(ADMIN_PRINCIPAL)]: _admin, ...withoutAdmin } = env
  assert.throws(() => proxyOptions(['8081', '8081', '--passwords-from-env'], withoutAdmin), (err: Error) => err instanceof ProxyConfigError && err.message.includes(passwordVar(ADMIN_PRINCIPAL)) && err.message.includes(SECRETS_COMMAND))
  assert.throws(() => proxyOptions(['8081', '8081', '/tmp/state', '--passwords-from-env'], env), ProxyConfigError)
})

test('before a Confluent registry the paths pass as they are; before Apicurio the Confluent ones are rewritten', () => {
  assert.equal(backendPath({ api: 'confluent' }, '/subjects/orders.new-value/versions?normalize=true'), '/subjects/orders.new-value/versions?normalize=true')
  assert.equal(backendPath({ api: 'confluent' }, '/'), '/')
  assert.equal(backendPath({ api: 'apicurio' }, '/subjects'), '/apis/ccompat/v7/subjects')
})

interface Seen { method: string, url: string, authorization: string | undefined }

/** A stand-in Confluent registry on loopback that records what reaches it, and a scram proxy before it. */
async function confluentBehindProxy (t: { after: (fn: () => Promise<void> | void) => void }, credentials: Record<string, string>): Promise<{ url: string, seen: Seen[] }> {
  const seen: Seen[] = []
  const backend = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization })
    req.resume()
    res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
    res.end('{"id":1}')
  })
  await new Promise<void>(resolve => backend.listen(0, '127.0.0.1', resolve))
  const proxy = createProxy({ host: '127.0.0.1', port: (backend.address() as AddressInfo).port, api: 'confluent' }, { kafkaAuth: 'scram', credentials: () => credentials })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    proxy.closeAllConnections()
    backend.closeAllConnections()
    await new Promise(resolve => proxy.close(resolve))
    await new Promise(resolve => backend.close(resolve))
  })
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, seen }
}

const basic = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64')

test('before a Confluent registry: writes need a principal with given passwords, the subject\'s owner or admin, and reach it unrewritten and without the password', async t => {
  const credentials = Object.fromEntries(scramPrincipals().map(p => [p, `pw-${p}`]))
  const { url, seen } = await confluentBehindProxy(t, credentials)
  const post = (path: string, authorization?: string): Promise<Response> => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...(authorization === undefined ? {} : { authorization }) }, body: '{"schema":"\\"string\\""}' })
  const register = '/subjects/orders.new-value/versions'

  assert.equal((await fetch(url + '/subjects')).status, 200, 'reads are open')
  assert.equal((await post(register)).status, 401)
  assert.equal((await post(register, basic('checkout-api', 'wrong'))).status, 401)
  assert.equal((await post(register, basic('payment', credentials.payment!))).status, 403)
  assert.equal(seen.filter(s => s.method === 'POST').length, 0, 'no refused write reached the registry')
  assert.equal((await post(register, basic('checkout-api', credentials['checkout-api']!))).status, 200)
  assert.deepEqual(seen.at(-1), { method: 'POST', url: register, authorization: undefined })
  assert.equal((await fetch(url + '/config', { method: 'PUT', headers: { authorization: basic(ADMIN_PRINCIPAL, credentials[ADMIN_PRINCIPAL]!) }, body: '{"compatibility":"BACKWARD"}' })).status, 200)
  assert.deepEqual(seen.at(-1)?.url, '/config')
})

test('a write whose path carries a path parameter is the admin\'s: the backend may drop it and land in another subject', async t => {
  const credentials = Object.fromEntries(scramPrincipals().map(p => [p, `pw-${p}`]))
  const { url, seen } = await confluentBehindProxy(t, credentials)
  // Without the ;… the classifier reads a lab subject, which the gateway may write.
  const sneaky = '/subjects/orders.new-value;x.lab.a-value/versions'
  const post = (user: string): Promise<Response> => fetch(url + sneaky, { method: 'POST', headers: { authorization: basic(user, credentials[user]!) }, body: '{}' })
  assert.equal((await post('gateway')).status, 403)
  assert.equal(seen.length, 0)
  assert.equal((await post(ADMIN_PRINCIPAL)).status, 200)
  // Reads change nothing, with or without one.
  assert.equal((await fetch(url + '/subjects/orders.new-value;x/versions')).status, 200)
})
