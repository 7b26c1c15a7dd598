import { test } from 'node:test'
import assert from 'node:assert/strict'
import avro from 'avsc'
import { ShopError } from '@vitrine/service-kit'
import { parseAvro, readVerdict, resolveRecord, sampleOf, validateValue } from '../../../src/lib/lab-schemas.ts'

const V1 = { type: 'record', name: 'Produto', fields: [{ name: 'id', type: 'string' }, { name: 'moeda', type: 'string', default: 'BRL' }, { name: 'nome', type: 'string' }] }

function errorsOf (fn: () => unknown): Array<{ field: string, rule: string, message: string }> {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ShopError)
    assert.equal(err.statusCode, 400)
    return (err.details as { errors: Array<{ field: string, rule: string, message: string }> }).errors
  }
  assert.fail('expected a 400')
}

test('parseAvro names the field and the rule avsc breaks', () => {
  assert.equal(parseAvro(JSON.stringify(V1)).type.typeName, 'record')
  assert.deepEqual(errorsOf(() => parseAvro('{"type": ')).map(e => [e.field, e.rule]), [['body.schema', 'json']])
  assert.deepEqual(errorsOf(() => parseAvro('["null", "string"]')).map(e => [e.field, e.rule]), [['body.schema.type', 'record']])
  assert.deepEqual(errorsOf(() => parseAvro('{"type": "record", "fields": []}')).map(e => [e.field, e.rule]), [['body.schema.name', 'required']])
  const badType = errorsOf(() => parseAvro(JSON.stringify({ ...V1, fields: [...V1.fields, { name: 'cor', type: 'strin' }] })))
  assert.deepEqual([badType[0]!.field, badType[0]!.rule], ['body.schema.fields.3', 'avro'])
  assert.match(badType[0]!.message, /^field cor: .*strin/)
  const badDefault = errorsOf(() => parseAvro(JSON.stringify({ ...V1, fields: [{ name: 'qtd', type: 'int', default: 'muitos' }, ...V1.fields] })))
  assert.equal(badDefault[0]!.field, 'body.schema.fields.0')
  assert.match(badDefault[0]!.message, /qtd/)
})

test('validateValue names each wrong field; sampleOf takes defaults, then an example per type', () => {
  const type = avro.Type.forSchema(V1 as avro.Schema)
  assert.deepEqual(sampleOf(type), { id: 'exemplo', moeda: 'BRL', nome: 'exemplo' })
  validateValue(type, sampleOf(type))
  assert.deepEqual(errorsOf(() => validateValue(type, { id: 'p-1', moeda: 'BRL', nome: 7 })).map(e => [e.field, e.rule]), [['body.value.nome', 'avro']])
  const nested = avro.Type.forSchema({ type: 'record', name: 'N', fields: [{ name: 'itens', type: { type: 'array', items: { type: 'record', name: 'I', fields: [{ name: 'q', type: 'int' }] } } }, { name: 'cupom', type: ['null', 'string'], default: null }] })
  assert.deepEqual(sampleOf(nested), { itens: [{ q: 1 }], cupom: null })
})

test('resolveRecord: the reader\'s missing fields take their defaults, the writer\'s extra ones are dropped, or why it cannot read', () => {
  const v2 = { ...V1, fields: [V1.fields[0], V1.fields[2], { name: 'cupom', type: ['null', 'string'], default: null }] }
  const bytes = avro.Type.forSchema(v2 as avro.Schema).toBuffer({ id: 'p-1', nome: 'Caneca', cupom: 'PROMO10' })
  const seen = resolveRecord(bytes, v2, V1)
  assert.deepEqual({ ...seen.writer as object }, { id: 'p-1', nome: 'Caneca', cupom: 'PROMO10' })
  assert.deepEqual({ ...seen.reader as object }, { id: 'p-1', moeda: 'BRL', nome: 'Caneca' })
  assert.deepEqual([seen.defaulted, seen.dropped, seen.error], [['moeda'], ['cupom'], null])
  // A writer without `nome`, which the reader needs and has no default for.
  const v3 = { ...V1, fields: [V1.fields[0]] }
  const cannot = resolveRecord(avro.Type.forSchema(v3 as avro.Schema).toBuffer({ id: 'p-2' }), v3, V1)
  assert.equal(cannot.reader, null)
  assert.match(cannot.error ?? '', /nome/)
})

test('readVerdict says who reads whom and who upgrades first', () => {
  assert.match(readVerdict(true, 'BACKWARD', 3, []), /versão proposta precisa ler as mensagens escritas com a versão 3 .*Atualize primeiro os consumidores/)
  assert.match(readVerdict(true, 'FORWARD', 2, []), /ainda com a versão 2 .*Atualize primeiro os produtores/)
  assert.match(readVerdict(true, 'FULL_TRANSITIVE', 2, []), /todas as versões registradas.*qualquer ordem/)
  const no = readVerdict(false, 'BACKWARD', 1, [{ description: 'cor', context: '/fields/3' }])
  assert.match(no, /^Incompatível com BACKWARD.*cor \(\/fields\/3\).*HTTP 409/)
})
