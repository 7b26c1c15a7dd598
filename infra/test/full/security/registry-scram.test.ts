import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TopicSerde, registryAuthHeaders } from '@vitrine/contracts'
import { kafkaPassword } from '../../../src/security/kafka-auth.ts'
import { up } from '../../../src/stack.ts'
import { freeBrokerBase, isolatedSettings } from '../../../src/testing/stack-env.ts'

// KAFKA_AUTH=scram with the registry on a private stack: Apicurio logs in to Kafka as the registry
// principal (quarkus.config.locations, no password on its command line), starts once its ACLs exist,
// and stores a schema in its journal topic under those ACLs alone. The supervisor's proxy in front of
// it takes the stack's Kafka passwords for every write (registry-proxy.ts).

test('KAFKA_AUTH=scram: Apicurio runs as the registry principal and registers a schema; the proxy asks the stack\'s Kafka logins for writes', { timeout: 300_000 }, async t => {
  const s = isolatedSettings(t, await freeBrokerBase(), { kafkaAuth: 'scram' })
  await up(s, { only: ['kafka-1', 'registry-backend', 'registry'], catalog: true })
  const url = `http://127.0.0.1:${s.registryPort}`
  const login = (principal: string): { username: string, password: string } => ({ username: principal, password: kafkaPassword(s.stateDir, principal) })
  const schema = JSON.stringify({ type: 'record', name: 'AclProbe', fields: [{ name: 'a', type: 'string' }] })
  const post = async (headers: Record<string, string>): Promise<Response> => await fetch(`${url}/subjects/acl-probe-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...headers },
    body: JSON.stringify({ schema })
  })
  assert.equal((await post({})).status, 401, 'a write without credentials')
  assert.equal((await post(registryAuthHeaders(login('checkout-api')))).status, 403, 'a subject of no catalog topic is the admin\'s')
  const res = await post(registryAuthHeaders(login('admin')))
  assert.equal(res.status, 200, await res.text())
  const back = await fetch(`${url}/subjects/acl-probe-value/versions/latest`)
  assert.equal(back.status, 200, 'reads need no credentials')
  assert.equal((await back.json() as { schema: string }).schema.includes('AclProbe'), true)
  // A service registers its own topic's schemas with its login (the stack's secrets), and no other's.
  assert.ok(await new TopicSerde(url, '', login('checkout-api')).register('orders.new') > 0)
  await assert.rejects(new TopicSerde(url, '', login('payment')).register('orders.new'), (err: unknown) => (err as { status?: number }).status === 403)
})
