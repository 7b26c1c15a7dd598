import assert from 'node:assert/strict'
import { test } from 'node:test'
import { up } from '../../../src/stack.ts'
import { freeBrokerBase, isolatedSettings } from '../../../src/testing/stack-env.ts'

// KAFKA_AUTH=scram with the registry on a private stack: Apicurio logs in to Kafka as the registry
// principal (quarkus.config.locations, no password on its command line), starts once its ACLs exist,
// and stores a schema in its journal topic under those ACLs alone.

test('KAFKA_AUTH=scram: Apicurio runs as the registry principal and registers a schema', { timeout: 300_000 }, async t => {
  const s = isolatedSettings(t, await freeBrokerBase(), { kafkaAuth: 'scram' })
  await up(s, { only: ['kafka-1', 'registry-backend', 'registry'], catalog: true })
  const schema = JSON.stringify({ type: 'record', name: 'AclProbe', fields: [{ name: 'a', type: 'string' }] })
  const res = await fetch(`http://127.0.0.1:${s.registryPort}/subjects/acl-probe-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema })
  })
  assert.equal(res.status, 200, await res.text())
  const back = await fetch(`http://127.0.0.1:${s.registryPort}/subjects/acl-probe-value/versions/latest`)
  assert.equal(back.status, 200)
  assert.equal((await back.json() as { schema: string }).schema.includes('AclProbe'), true)
})
