import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { subjectOf } from '@vitrine/contracts'
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
