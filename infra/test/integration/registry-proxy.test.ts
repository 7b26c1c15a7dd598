import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { TopicSerde, registryAuthHeaders, subjectOf } from '@vitrine/contracts'
import { createProxy } from '../../src/registry-proxy.ts'
import { kafkaCredentials, storeKafkaPassword } from '../../src/security/kafka-auth.ts'
import { registryUrl } from '../../src/settings.ts'
import { sharedSettings, uniqueName } from '../../src/testing/stack-env.ts'

// The Schema Registry as clients see it: the Confluent REST API at the root of :8081
// (our proxy in front of Apicurio's ccompat API), with global compatibility BACKWARD.

const CONFLUENT_JSON = 'application/vnd.schemaregistry.v1+json'

const order = (fields: unknown[]): string => JSON.stringify({ type: 'record', name: 'OrderCreated', namespace: 'dev.vitrine.test', fields })
const v1 = order([{ name: 'orderId', type: 'string' }, { name: 'totalCents', type: 'long' }])
// A new field with a default: readers on v2 still read v1 records.
const v2 = order([{ name: 'orderId', type: 'string' }, { name: 'totalCents', type: 'long' }, { name: 'currency', type: 'string', default: 'BRL' }])
// Each breaks BACKWARD: v2 records' orderId cannot be read as an int; a new field without a default has no value in old records.
const incompatible = {
  'type changed': order([{ name: 'orderId', type: 'int' }, { name: 'totalCents', type: 'long' }, { name: 'currency', type: 'string', default: 'BRL' }]),
  'required field added': order([{ name: 'orderId', type: 'string' }, { name: 'totalCents', type: 'long' }, { name: 'currency', type: 'string', default: 'BRL' }, { name: 'channel', type: 'string' }])
}

async function compatibleWithLatest (url: string, subject: string, schema: string): Promise<boolean> {
  const res = await fetch(`${url}/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`, {
    method: 'POST',
    headers: { 'content-type': CONFLUENT_JSON },
    body: JSON.stringify({ schema })
  })
  assert.equal(res.status, 200, `compatibility check answered ${res.status}: ${await res.clone().text()}`)
  const body = await res.json() as { is_compatible: boolean }
  return body.is_compatible
}

test('the global compatibility is BACKWARD', async () => {
  const res = await fetch(`${registryUrl(sharedSettings())}/config`)
  assert.equal(res.status, 200)
  assert.equal((await res.json() as { compatibilityLevel: string }).compatibilityLevel, 'BACKWARD')
})

test('registry: v1 registers, a compatible v2 is accepted, incompatible changes get HTTP 409, and the compatibility endpoint agrees', async t => {
  const url = registryUrl(sharedSettings())
  const registry = new SchemaRegistry({ host: url })
  const subject = subjectOf(uniqueName('test-orders.new'))
  t.after(async () => {
    // Soft delete first: the registry only deletes a subject permanently after that.
    await fetch(`${url}/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' })
    await fetch(`${url}/subjects/${encodeURIComponent(subject)}?permanent=true`, { method: 'DELETE' })
  })

  const first = await registry.register({ type: SchemaType.AVRO, schema: v1 }, { subject })
  assert.ok(Number.isInteger(first.id) && first.id > 0)

  assert.equal(await compatibleWithLatest(url, subject, v2), true)
  const second = await registry.register({ type: SchemaType.AVRO, schema: v2 }, { subject })
  assert.notEqual(second.id, first.id)
  assert.equal(await registry.getLatestSchemaId(subject), second.id)

  for (const [change, schema] of Object.entries(incompatible)) {
    assert.equal(await compatibleWithLatest(url, subject, schema), false, `${change}: the compatibility endpoint said compatible`)
    await assert.rejects(registry.register({ type: SchemaType.AVRO, schema }, { subject }), (err: unknown) => {
      assert.equal((err as { status?: number }).status, 409, `${change}: expected HTTP 409, got ${String(err)}`)
      return true
    })
  }

  const versions = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`).then(async r => await r.json())
  assert.deepEqual(versions, [1, 2])
})

test('KAFKA_AUTH=scram: writes need a Kafka principal\'s password and only the topic\'s writer (or admin) may change its subject; reads stay open', async t => {
  // A private proxy in scram mode in front of the shared Apicurio, with passwords of its own.
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-registry-auth-'))
  const passwords = kafkaCredentials(stateDir)
  const proxy = createProxy(sharedSettings().registryBackendPort, { kafkaAuth: 'scram', stateDir })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  const as = (username: string, password = passwords[username]!): { username: string, password: string } => ({ username, password })
  // orders.new of a test's prefixed copy of the catalog: checkout-api is its writer.
  const prefix = `t${randomUUID().slice(0, 8)}.`
  const subject = subjectOf(prefix + 'orders.new')
  const adminSubject = subjectOf(uniqueName('test-registry-admin'))
  t.after(async () => {
    for (const name of [subject, adminSubject]) {
      const headers = registryAuthHeaders(as('admin'))
      await fetch(`${url}/subjects/${encodeURIComponent(name)}`, { method: 'DELETE', headers }).catch(() => {})
      await fetch(`${url}/subjects/${encodeURIComponent(name)}?permanent=true`, { method: 'DELETE', headers }).catch(() => {})
    }
    proxy.closeAllConnections()
    await new Promise(resolve => proxy.close(resolve))
    rmSync(stateDir, { recursive: true, force: true })
  })
  const post = async (name: string, headers: Record<string, string> = {}): Promise<Response> => await fetch(`${url}/subjects/${encodeURIComponent(name)}/versions`, {
    method: 'POST', headers: { 'content-type': CONFLUENT_JSON, ...headers }, body: JSON.stringify({ schema: v1 })
  })

  const anonymous = await post(subject)
  assert.equal(anonymous.status, 401)
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm=/)
  assert.deepEqual(Object.keys(await anonymous.json() as object).sort(), ['error_code', 'message'])
  const wrong = await post(subject, registryAuthHeaders(as('checkout-api', passwords.payment)))
  assert.equal(wrong.status, 401)
  assert.equal((await wrong.json() as { error_code: number }).error_code, 40101)
  // The brokers' controller user is no registry login, whatever its password.
  assert.equal((await post(subject, registryAuthHeaders(as('controller')))).status, 401)

  // payment writes no orders.new: the registry refuses it the subject, through the services' own client too.
  const foreign = await post(subject, registryAuthHeaders(as('payment')))
  assert.equal(foreign.status, 403)
  assert.equal((await foreign.json() as { error_code: number }).error_code, 40301)
  await assert.rejects(new TopicSerde(url, prefix, as('payment')).register('orders.new'), (err: unknown) => (err as { status?: number }).status === 403)
  assert.equal((await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`)).status, 404, 'nothing was stored')

  // Its writer registers it (the catalog's history, v1 then v2, as a service does at start), and reads it back with its login.
  const id = await new TopicSerde(url, prefix, as('checkout-api')).register('orders.new')
  assert.ok(id > 0)
  const read = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`)
  assert.equal(read.status, 200, 'reads need no credentials')
  assert.deepEqual(await read.json(), [1, 2])
  assert.equal((await fetch(`${url}/schemas/ids/${id}`, { headers: registryAuthHeaders(as('payment')) })).status, 200, 'any principal reads with its own login')
  assert.equal((await fetch(`${url}/schemas/ids/${id}`, { headers: registryAuthHeaders(as('payment', 'wrong')) })).status, 401, 'a read with a wrong password is refused')
  // Checks change nothing: the runbooks' compatibility curl works without a login.
  assert.equal(await compatibleWithLatest(url, subject, JSON.stringify({ type: 'record', name: 'X', fields: [] })), false)
  // A subject's rule is part of its contract: only its writer or admin sets it; the global rule is admin's.
  const rule = async (path: string, login: { username: string, password: string }): Promise<number> =>
    (await fetch(`${url}/config${path}`, { method: 'PUT', headers: { 'content-type': CONFLUENT_JSON, ...registryAuthHeaders(login) }, body: JSON.stringify({ compatibility: 'BACKWARD' }) })).status
  assert.equal(await rule(`/${encodeURIComponent(subject)}`, as('payment')), 403)
  assert.equal(await rule('', as('checkout-api')), 403)

  // The admin may write anything (the supervisor's tools: exercises, drills, the demo).
  const registry = new SchemaRegistry({ host: url, auth: as('admin') })
  assert.ok((await registry.register({ type: SchemaType.AVRO, schema: v1 }, { subject: adminSubject })).id > 0)
  assert.equal((await post(adminSubject, registryAuthHeaders(as('checkout-api')))).status, 403)

  // A rotated password (make kafka-senha) holds at once: the old one is refused.
  const old = passwords['checkout-api']!
  const rotated = storeKafkaPassword(stateDir, 'checkout-api')
  assert.equal((await post(subject, registryAuthHeaders(as('checkout-api', old)))).status, 401)
  assert.equal((await post(subject, registryAuthHeaders(as('checkout-api', rotated)))).status, 200)
})
