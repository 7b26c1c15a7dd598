import { test } from 'node:test'
import assert from 'node:assert/strict'
import { schemaVersions } from '@vitrine/contracts'
import { schemaDiff } from '../../src/lib/schema-diff.ts'

test('the registry page names what orders.new v2 changed: the channel field, added with a default', () => {
  const [v1, v2] = schemaVersions('order-created')
  assert.deepEqual(schemaDiff(v1!.schema, v2!.schema), [{ kind: 'added', field: 'channel', text: 'campo novo channel (string, padrão "web")' }])
  assert.deepEqual(schemaDiff(v2!.schema, v1!.schema), [{ kind: 'removed', field: 'channel', text: 'campo removido channel (string, padrão "web")' }])
  assert.deepEqual(schemaDiff(v2!.schema, v2!.schema), [])
})

test('a changed type or default is shown with both sides', () => {
  const before = { fields: [{ name: 'n', type: 'int' }] }
  const after = { fields: [{ name: 'n', type: ['null', 'long'], default: null }] }
  assert.deepEqual(schemaDiff(before, after), [{ kind: 'changed', field: 'n', text: 'n: int, sem padrão → null | long, padrão null' }])
})
