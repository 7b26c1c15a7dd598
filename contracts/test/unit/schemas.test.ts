import assert from 'node:assert/strict'
import { test } from 'node:test'
import avro from 'avsc'
import { schemaNames, schemaVersions } from '../../src/schemas.ts'
import { TOPICS } from '../../src/topics.ts'

// Schema evolution as the registry enforces it (BACKWARD): a reader on version N must read what
// a writer on version N-1 wrote. avsc's resolver refuses exactly the changes that break that.

function resolves (reader: unknown, writer: unknown): void {
  avro.Type.forSchema(reader as avro.Schema).createResolver(avro.Type.forSchema(writer as avro.Schema))
}

test('schema files exist and every version parses', () => {
  const names = schemaNames()
  assert.ok(names.length > 0)
  for (const name of names) for (const v of schemaVersions(name)) assert.doesNotThrow(() => avro.Type.forSchema(v.schema as avro.Schema), v.file)
})

test('versions of each schema are numbered 1, 2, 3 ... with no gap', () => {
  for (const name of schemaNames()) assert.deepEqual(schemaVersions(name).map(v => v.version), schemaVersions(name).map((_, i) => i + 1), name)
})

test('every X.vN.avsc is BACKWARD compatible with X.v(N-1).avsc', () => {
  for (const name of schemaNames()) {
    const versions = schemaVersions(name)
    for (let i = 1; i < versions.length; i++) {
      assert.doesNotThrow(() => resolves(versions[i]!.schema, versions[i - 1]!.schema), `${versions[i]!.file} cannot read data written with ${versions[i - 1]!.file}`)
    }
  }
})

test('the check can fail: a new field without a default or a changed type does not resolve', () => {
  const v1 = { type: 'record', name: 'T', fields: [{ name: 'id', type: 'string' }] }
  assert.throws(() => resolves({ ...v1, fields: [...v1.fields, { name: 'n', type: 'long' }] }, v1))
  assert.throws(() => resolves({ ...v1, fields: [{ name: 'id', type: 'int' }] }, v1))
  assert.doesNotThrow(() => resolves({ ...v1, fields: [...v1.fields, { name: 'n', type: 'long', default: 0 }] }, v1))
})

test('every schema a topic names exists', () => {
  const names = new Set(schemaNames())
  for (const t of TOPICS) if (t.schema !== null) assert.ok(names.has(t.schema), `${t.name} names the missing schema ${t.schema}`)
})
