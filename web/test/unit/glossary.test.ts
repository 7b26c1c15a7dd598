import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { GLOSSARY, glossaryTerm } from '../../src/lib/glossary.ts'

const ROOT = join(import.meta.dirname, '../../..')

test('the glossary: one entry per id (an address part), each docs/conceitos page it names exists, and the terms a class meets are there', () => {
  const ids = GLOSSARY.map(t => t.id)
  assert.equal(new Set(ids).size, ids.length, 'ids are unique')
  for (const t of GLOSSARY) {
    assert.match(t.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${t.id}: lowercase ASCII words joined by hyphens`)
    assert.ok(t.definition.length > 40, `${t.id} has a definition`)
    if (t.doc) assert.ok(existsSync(join(ROOT, t.doc)), `${t.id}: ${t.doc} exists`)
  }
  for (const id of ['topico', 'particao', 'offset', 'chave', 'lider', 'replica', 'isr', 'acks', 'min-insync-replicas', 'consumer-group', 'rebalance', 'lag', 'commit',
    'idempotencia', 'transacao', 'exactly-once', 'outbox', 'saga', 'coreografia', 'orquestracao', 'dlq', 'retry-topic', 'schema', 'compatibilidade',
    'compactacao', 'tombstone', 'retencao', 'segmento', 'kraft', 'controller', 'sasl-scram', 'acl', 'checkpoint', 'cdc']) {
    assert.ok(glossaryTerm(id), `${id} is in the glossary`)
  }
})
