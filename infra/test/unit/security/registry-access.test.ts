import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SERVICES, TOPICS, writersOf } from '@vitrine/contracts'
import { authorizeRegistry, basicCredentials, checkLogin, classifyRegistryRequest, mayWriteSubject } from '../../../src/security/registry-access.ts'

test('reads, compatibility checks and lookups change nothing; registrations, deletions and a subject\'s rule change that subject; the rest is the admin\'s', () => {
  const cases: Array<[string, string, ReturnType<typeof classifyRegistryRequest>]> = [
    ['GET', '/subjects/orders.new-value/versions', { kind: 'read' }],
    ['HEAD', '/subjects', { kind: 'read' }],
    ['POST', '/compatibility/subjects/orders.new-value/versions/latest', { kind: 'read' }],
    ['POST', '/subjects/orders.new-value', { kind: 'read' }],
    ['POST', '/subjects/orders.new-value/versions', { kind: 'subject', subject: 'orders.new-value' }],
    ['POST', '/subjects/t1a2b3c4d.orders.new-value/versions?normalize=true', { kind: 'subject', subject: 't1a2b3c4d.orders.new-value' }],
    ['DELETE', '/subjects/lab.aula1-value', { kind: 'subject', subject: 'lab.aula1-value' }],
    ['DELETE', '/subjects/lab.aula1-value?permanent=true', { kind: 'subject', subject: 'lab.aula1-value' }],
    ['DELETE', '/subjects/lab.aula1-value/versions/2', { kind: 'subject', subject: 'lab.aula1-value' }],
    ['PUT', '/config/lab.aula1-value', { kind: 'subject', subject: 'lab.aula1-value' }],
    ['POST', '/subjects/lab%2Eaula1-value/versions', { kind: 'subject', subject: 'lab.aula1-value' }],
    // The same API under Apicurio's own path is classified alike: no second door.
    ['POST', '/apis/ccompat/v7/subjects/orders.new-value/versions', { kind: 'subject', subject: 'orders.new-value' }],
    ['POST', '/apis/registry/v3/groups/default/artifacts/lab.aula1-value/versions?dryRun=true', { kind: 'subject', subject: 'lab.aula1-value' }],
    ['PUT', '/config', { kind: 'admin', what: 'PUT /config' }],
    ['PUT', '/mode', { kind: 'admin', what: 'PUT /mode' }],
    ['PUT', '/mode/orders.new-value', { kind: 'admin', what: 'PUT /mode/orders.new-value' }],
    ['POST', '/apis/registry/v3/groups', { kind: 'admin', what: 'POST /apis/registry/v3/groups' }],
    ['DELETE', '/apis/registry/v3/groups/default/artifacts/orders.new-value', { kind: 'admin', what: 'DELETE /apis/registry/v3/groups/default/artifacts/orders.new-value' }],
    // Paths the backend might resolve differently from here.
    ['POST', '/subjects/lab.x-value/versions/../../orders.new-value/versions', { kind: 'admin', what: 'POST /subjects/lab.x-value/versions/../../orders.new-value/versions' }],
    ['POST', '/subjects/lab.x-value%2F..%2Forders.new-value/versions', { kind: 'admin', what: 'POST /subjects/lab.x-value%2F..%2Forders.new-value/versions' }],
    ['POST', '/subjects/orders.new-value;x.lab.a-value/versions', { kind: 'admin', what: 'POST /subjects/orders.new-value;x.lab.a-value/versions' }],
    ['POST', '/subjects/orders.new-value%3Bx.lab.a-value/versions', { kind: 'admin', what: 'POST /subjects/orders.new-value%3Bx.lab.a-value/versions' }],
    ['POST', '/subjects//versions', { kind: 'admin', what: 'POST /subjects//versions' }],
    ['POST', '/subjects/%E0%A4%A/versions', { kind: 'admin', what: 'POST /subjects/%E0%A4%A/versions' }]
  ]
  for (const [method, url, want] of cases) assert.deepEqual(classifyRegistryRequest(method, url), want, `${method} ${url}`)
})

test('a catalog subject is its topic\'s writers\' (and the admin\'s), under any run prefix; nobody else\'s', () => {
  for (const spec of TOPICS.filter(t => t.schema !== null)) {
    const writers = writersOf(spec)
    for (const prefix of ['', 't1a2b3c4d.']) {
      const subject = `${prefix}${spec.name}-value`
      assert.equal(mayWriteSubject('admin', subject), true, subject)
      for (const service of SERVICES) assert.equal(mayWriteSubject(service, subject), writers.includes(service), `${service} on ${subject}`)
    }
  }
  assert.equal(mayWriteSubject('checkout-api', 'orders.new-key'), true)
  assert.equal(mayWriteSubject('payment', 'orders.new-value'), false)
  // Flink's outputs: streams registers them (avro-confluent sinks), and only it.
  assert.equal(mayWriteSubject('streams', 'streams.order-kpis-value'), true)
  assert.equal(mayWriteSubject('streams', 't1a2b3c4d.streams.top-products-value'), true)
  assert.equal(mayWriteSubject('gateway', 'streams.order-kpis-value'), false)
})

test('the labs\' subjects are the gateway\'s, the exercises\' the exercises principal\'s; drills and unknown subjects only the admin\'s', () => {
  assert.equal(mayWriteSubject('gateway', 'lab.aula1-value'), true)
  assert.equal(mayWriteSubject('gateway', 't1a2b3c4d.lab.aula1-value'), true)
  assert.equal(mayWriteSubject('payment', 'lab.aula1-value'), false)
  assert.equal(mayWriteSubject('exercises', 'ex08.clientes-value'), true)
  assert.equal(mayWriteSubject('exercises', 't1a2b3c4d.ex08.clientes-value'), true)
  for (const subject of ['orders.new-value', 'lab.aula1-value', 'vitrine-caos-incompativel_t1-value']) assert.equal(mayWriteSubject('exercises', subject), false, subject)
  for (const subject of ['ex08.clientes-value', 'vitrine-caos-incompativel_t1-value', 'orders.new', 'whatever-value', 'xorders.new-value']) {
    for (const service of SERVICES) assert.equal(mayWriteSubject(service, subject), false, `${service} on ${subject}`)
    assert.equal(mayWriteSubject('admin', subject), true)
  }
  // The registry's own principal stores schemas in Kafka; it changes none through the API.
  assert.equal(mayWriteSubject('registry', 'orders.new-value'), false)
})

test('the decision: reads open, writes need a login, a foreign subject or an admin operation is forbidden', () => {
  const register = classifyRegistryRequest('POST', '/subjects/orders.new-value/versions')
  assert.equal(authorizeRegistry(null, { kind: 'read' }), 'allow')
  assert.equal(authorizeRegistry(null, register), 'unauthenticated')
  assert.equal(authorizeRegistry('checkout-api', register), 'allow')
  assert.equal(authorizeRegistry('payment', register), 'forbidden')
  assert.equal(authorizeRegistry('admin', register), 'allow')
  assert.equal(authorizeRegistry('gateway', { kind: 'admin', what: 'PUT /config' }), 'forbidden')
  assert.equal(authorizeRegistry('admin', { kind: 'admin', what: 'PUT /config' }), 'allow')
})

test('HTTP Basic is parsed, and a login is checked against the stack\'s Kafka passwords (SCRAM principals only)', () => {
  const header = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`
  assert.equal(basicCredentials(undefined), undefined)
  assert.deepEqual(basicCredentials(header('payment:a:b')), { username: 'payment', password: 'a:b' })
  assert.equal(basicCredentials('Bearer abc'), null)
  assert.equal(basicCredentials(header('no-colon')), null)
  const credentials = { admin: 'pa', payment: 'pp', controller: 'pc' }
  assert.equal(checkLogin(credentials, 'payment', 'pp'), true)
  assert.equal(checkLogin(credentials, 'payment', 'pa'), false)
  assert.equal(checkLogin(credentials, 'payment', ''), false)
  assert.equal(checkLogin(credentials, 'nobody', 'pp'), false)
  // The brokers' controller identity logs in on the controller listener alone.
  assert.equal(checkLogin(credentials, 'controller', 'pc'), false)
})
