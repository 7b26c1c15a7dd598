import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { readTopicNow } from '@vitrine/service-kit'
import { Admin } from '@platformatic/kafka'
import { gatewayHarness } from './helper.ts'

// The schema-evolution lab's routes against the shared registry and broker: a lab subject copied
// from a shop subject (this file's prefixed products.catalog), its rule, the registry's verdicts,
// registration, and a record written with v2 read back by a consumer on v1.

const h = gatewayHarness()
const R = (): string => h.env.registryUrl.replace(/\/$/, '')
const name = (): string => `${h.env.id}-itest`
const subject = (): string => `lab.${name()}-value`
const topic = (): string => `lab.${name()}`
const url = (path = ''): string => `/api/lab/schemas/subjects/${encodeURIComponent(subject())}${path}`

async function registryVersions (s: string): Promise<number[]> {
  const res = await fetch(`${R()}/subjects/${encodeURIComponent(s)}/versions`)
  return res.status === 404 ? [] : await res.json() as number[]
}

after(async () => {
  // The lab subject and topic are not under the test's prefix: removed here, passed or failed.
  const path = `${R()}/subjects/${encodeURIComponent(subject())}`
  if ((await fetch(path, { method: 'DELETE' })).ok) await fetch(`${path}?permanent=true`, { method: 'DELETE' })
  const admin = new Admin({ clientId: 'lab-schemas-test', bootstrapBrokers: h.env.brokers.split(',') })
  try {
    if ((await admin.listTopics()).includes(topic())) await admin.deleteTopics({ topics: [topic()] })
  } finally {
    await admin.close()
  }
})

// products.catalog v1 with `currency` (default BRL) removed and `cupom` (default null) added: compatible both ways.
function evolved (base: { fields: Array<{ name: string }> }): string {
  return JSON.stringify({ ...base, fields: [...base.fields.filter(f => f.name !== 'currency'), { name: 'cupom', type: ['null', 'string'], default: null }] })
}

test('the lab: copy a shop subject, set its rule, the registry\'s verdicts, register, produce and read back with the old version', async () => {
  await h.serde.register('products.catalog')
  const shop = `${h.env.prefix}products.catalog-value`
  const shopVersions = await registryVersions(shop)

  const list = await h.app.inject({ method: 'GET', url: '/api/lab/schemas/subjects' })
  assert.equal(list.statusCode, 200)
  assert.deepEqual(list.json().sources.find((s: { subject: string }) => s.subject === shop)?.versions, shopVersions)

  // Bad starts: not a shop subject, a bad name, a shop subject the registry does not have yet.
  const notShop = await h.app.inject({ method: 'POST', url: '/api/lab/schemas/subjects', payload: { from: 'whatever-value', name: name() } })
  assert.equal(notShop.statusCode, 400)
  assert.equal(notShop.json().errors[0].field, 'body.from')
  assert.equal(notShop.json().errors[0].rule, 'catalog')
  const badName = await h.app.inject({ method: 'POST', url: '/api/lab/schemas/subjects', payload: { from: shop, name: 'Com Espaço' } })
  assert.equal(badName.statusCode, 400)
  assert.match(badName.json().errors[0].field, /name/)
  const absent = await h.app.inject({ method: 'POST', url: '/api/lab/schemas/subjects', payload: { from: `${h.env.prefix}payments.refunded-value`, name: name() } })
  assert.equal(absent.statusCode, 404)
  assert.equal(absent.json().code, 'SHOP_ERR_SUBJECT_NOT_FOUND')

  const created = await h.app.inject({ method: 'POST', url: '/api/lab/schemas/subjects', payload: { from: shop, name: name() } })
  assert.equal(created.statusCode, 201, created.body)
  const detail = created.json()
  assert.equal(detail.subject, subject())
  assert.equal(detail.topic, topic())
  assert.equal(detail.compatibility, 'BACKWARD')
  assert.deepEqual(detail.versions.map((v: { version: number }) => v.version), [1])
  assert.equal(detail.versions[0].schema.name, 'Product')
  assert.equal(detail.versions[0].sample.currency, 'BRL', 'the sample takes each field\'s default')
  assert.deepEqual(await fetch(`${R()}/config/${encodeURIComponent(subject())}`).then(async r => await r.json()), { compatibilityLevel: 'BACKWARD' })
  assert.ok(await h.app.kafkaConsole.exists(topic()), 'the lab topic exists')
  const again = await h.app.inject({ method: 'POST', url: '/api/lab/schemas/subjects', payload: { from: shop, name: name() } })
  assert.equal(again.statusCode, 409)
  assert.equal(again.json().code, 'SHOP_ERR_SUBJECT_EXISTS')
  assert.ok(list.json().lab.every((s: { subject: string }) => s.subject.startsWith('lab.')))
  const listed = await h.app.inject({ method: 'GET', url: '/api/lab/schemas/subjects' })
  assert.deepEqual(listed.json().lab.find((s: { subject: string }) => s.subject === subject())?.versions, [1])

  // Unknown and non-lab subjects.
  const unknown = await h.app.inject({ method: 'GET', url: `/api/lab/schemas/subjects/lab.${h.env.id}-none-value` })
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().code, 'SHOP_ERR_SUBJECT_NOT_FOUND')
  const notLab = await h.app.inject({ method: 'GET', url: `/api/lab/schemas/subjects/${encodeURIComponent(shop)}` })
  assert.equal(notLab.statusCode, 400)
  assert.equal(notLab.json().errors[0].field, 'params.subject')
  assert.equal((await h.app.inject({ method: 'GET', url: url() })).json().compatibility, 'BACKWARD')

  // The rule, set in the registry.
  const forward = await h.app.inject({ method: 'PUT', url: url('/compatibility'), payload: { compatibility: 'FORWARD_TRANSITIVE' } })
  assert.equal(forward.statusCode, 200)
  assert.equal(forward.json().compatibility, 'FORWARD_TRANSITIVE')
  assert.deepEqual(await fetch(`${R()}/config/${encodeURIComponent(subject())}`).then(async r => await r.json()), { compatibilityLevel: 'FORWARD_TRANSITIVE' })
  const badLevel = await h.app.inject({ method: 'PUT', url: url('/compatibility'), payload: { compatibility: 'NONE' } })
  assert.equal(badLevel.statusCode, 400)
  assert.match(badLevel.json().errors[0].field, /compatibility/)
  const noSubject = await h.app.inject({ method: 'PUT', url: `/api/lab/schemas/subjects/lab.${h.env.id}-none-value/compatibility`, payload: { compatibility: 'FULL' } })
  assert.equal(noSubject.statusCode, 404)
  assert.equal((await h.app.inject({ method: 'PUT', url: url('/compatibility'), payload: { compatibility: 'BACKWARD' } })).statusCode, 200)

  // Invalid proposals: a 400 naming the field and the rule, before the registry is asked.
  const v1 = detail.versions[0].schema as { fields: Array<Record<string, unknown>> }
  const notJson = await h.app.inject({ method: 'POST', url: url('/check'), payload: { schema: '{"type": "record",' } })
  assert.equal(notJson.statusCode, 400)
  assert.deepEqual([notJson.json().errors[0].field, notJson.json().errors[0].rule], ['body.schema', 'json'])
  const badType = JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'cor', type: 'strin' }] })
  const invalid = await h.app.inject({ method: 'POST', url: url('/check'), payload: { schema: badType } })
  assert.equal(invalid.statusCode, 400)
  assert.deepEqual([invalid.json().errors[0].field, invalid.json().errors[0].rule], [`body.schema.fields.${v1.fields.length}`, 'avro'])
  assert.match(invalid.json().errors[0].message, /cor.*strin/)
  const badDefault = JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'cor', type: 'int', default: 'azul' }] })
  const invalidDefault = await h.app.inject({ method: 'POST', url: url('/versions'), payload: { schema: badDefault } })
  assert.equal(invalidDefault.statusCode, 400)
  assert.equal(invalidDefault.json().errors[0].field, `body.schema.fields.${v1.fields.length}`)
  const notRecord = await h.app.inject({ method: 'POST', url: url('/check'), payload: { schema: '"string"' } })
  assert.deepEqual([notRecord.statusCode, notRecord.json().errors[0].field, notRecord.json().errors[0].rule], [400, 'body.schema.type', 'record'])
  const checkUnknown = await h.app.inject({ method: 'POST', url: `/api/lab/schemas/subjects/lab.${h.env.id}-none-value/check`, payload: { schema: JSON.stringify(v1) } })
  assert.equal(checkUnknown.statusCode, 404, 'Apicurio would call anything compatible with a subject it lacks')

  // Incompatible under BACKWARD: a new field without a default. The registry's verdict, and nothing registered.
  const breaking = JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'cor', type: 'string' }] })
  const no = await h.app.inject({ method: 'POST', url: url('/check'), payload: { schema: breaking } })
  assert.equal(no.statusCode, 200)
  assert.equal(no.json().compatible, false)
  assert.deepEqual(no.json().registry, { path: `/compatibility/subjects/${encodeURIComponent(subject())}/versions/latest?verbose=true`, status: 200, body: { is_compatible: false } })
  assert.ok(no.json().causes.some((c: { description: string }) => c.description === 'cor'), JSON.stringify(no.json().causes))
  assert.match(no.json().reading, /Incompatível com BACKWARD/)
  const refused = await h.app.inject({ method: 'POST', url: url('/versions'), payload: { schema: breaking } })
  assert.equal(refused.statusCode, 409)
  assert.equal(refused.json().code, 'SHOP_ERR_SCHEMA_INCOMPATIBLE')
  assert.match(refused.json().message, /Incompatible artifact.*cor/)
  assert.deepEqual(await registryVersions(subject()), [1], 'nothing registered')

  // Compatible: register it.
  const next = evolved(v1 as never)
  const yes = await h.app.inject({ method: 'POST', url: url('/check'), payload: { schema: next } })
  assert.equal(yes.json().compatible, true)
  assert.deepEqual(yes.json().causes, [])
  assert.match(yes.json().reading, /Compatível com BACKWARD.*consumidores/)
  const registered = await h.app.inject({ method: 'POST', url: url('/versions'), payload: { schema: next } })
  assert.equal(registered.statusCode, 201, registered.body)
  assert.equal(registered.json().version, 2)
  assert.deepEqual(await registryVersions(subject()), [1, 2])
  assert.deepEqual(await registryVersions(shop), shopVersions, 'the shop\'s subject is untouched')

  // Produce with v2; a consumer still on v1 reads it: currency takes its default, cupom is dropped.
  const sample = (await h.app.inject({ method: 'GET', url: url() })).json().versions[1].sample
  const value = { ...sample, productId: 'p-lab', name: 'Caneca', cupom: 'PROMO10' }
  const produced = await h.app.inject({ method: 'POST', url: url('/produce'), payload: { value } })
  assert.equal(produced.statusCode, 200, produced.body)
  const p = produced.json()
  assert.equal(p.topic, topic())
  assert.equal(p.writer.version, 2)
  assert.equal(p.writer.id, registered.json().id, 'the record carries v2\'s schema id')
  assert.equal(p.wire.magic, 0)
  assert.equal(p.writer.value.cupom, 'PROMO10')
  assert.equal(p.writer.value.currency, undefined)
  assert.equal(p.reader.version, 1)
  assert.equal(p.reader.error, null)
  assert.equal(p.reader.value.currency, 'BRL', 'the old reader fills the field v2 removed with its default')
  assert.equal(p.reader.value.cupom, undefined)
  assert.deepEqual(p.reader.defaulted, ['currency'])
  assert.deepEqual(p.reader.dropped, ['cupom'])
  const stored = await readTopicNow(h.env.brokers, topic())
  assert.equal(stored.length, 1)
  assert.equal(stored[0]!.offset, p.offset)
  assert.equal(stored[0]!.value!.readInt32BE(1), registered.json().id)

  // The other way: written with v1 (sample), read by v2: cupom takes its default.
  const old = await h.app.inject({ method: 'POST', url: url('/produce'), payload: { writerVersion: 1, readerVersion: 2 } })
  assert.equal(old.statusCode, 200, old.body)
  assert.equal(old.json().reader.value.cupom, null)
  assert.deepEqual(old.json().reader.defaulted, ['cupom'])

  // Bad records.
  const wrong = await h.app.inject({ method: 'POST', url: url('/produce'), payload: { value: { ...value, priceCents: 'caro' } } })
  assert.equal(wrong.statusCode, 400)
  assert.deepEqual([wrong.json().errors[0].field, wrong.json().errors[0].rule], ['body.value.priceCents', 'avro'])
  const noVersion = await h.app.inject({ method: 'POST', url: url('/produce'), payload: { writerVersion: 9 } })
  assert.equal(noVersion.statusCode, 400)
  assert.equal(noVersion.json().errors[0].field, 'body.writerVersion')
  const produceUnknown = await h.app.inject({ method: 'POST', url: `/api/lab/schemas/subjects/lab.${h.env.id}-none-value/produce`, payload: {} })
  assert.equal(produceUnknown.statusCode, 404)

  // currency back as an int (default 0) reads v2's records (no currency) but not v1's (a string): BACKWARD
  // passes, BACKWARD_TRANSITIVE does not, and the check asks about every version, as registration does.
  const v2 = JSON.parse(next) as { fields: Array<{ name: string }> }
  const back = JSON.stringify({ ...v2, fields: [...v2.fields, { name: 'currency', type: 'int', default: 0 }] })
  assert.equal((await h.app.inject({ method: 'POST', url: url('/check'), payload: { schema: back } })).json().compatible, true)
  assert.equal((await h.app.inject({ method: 'PUT', url: url('/compatibility'), payload: { compatibility: 'BACKWARD_TRANSITIVE' } })).statusCode, 200)
  const transitive = await h.app.inject({ method: 'POST', url: url('/check'), payload: { schema: back } })
  assert.equal(transitive.json().compatible, false)
  assert.equal(transitive.json().registry.path, `/compatibility/subjects/${encodeURIComponent(subject())}/versions?verbose=true`)
  assert.ok(transitive.json().causes.some((c: { description: string }) => /INT not compatible with writer type: STRING/.test(c.description)), JSON.stringify(transitive.json().causes))
  assert.match(transitive.json().reading, /todas as versões registradas/)
  assert.equal((await h.app.inject({ method: 'POST', url: url('/versions'), payload: { schema: back } })).statusCode, 409)
  assert.deepEqual(await registryVersions(subject()), [1, 2])
  assert.equal((await h.app.inject({ method: 'PUT', url: url('/compatibility'), payload: { compatibility: 'BACKWARD' } })).statusCode, 200)

  // v3 drops `name`, which has no default: BACKWARD lets it in (v3 reads v2), but a consumer on v2 cannot read it.
  const v3 = JSON.stringify({ ...v2, fields: [...v2.fields.filter(f => f.name !== 'name'), { name: 'estoque', type: 'int', default: 0 }] })
  assert.equal((await h.app.inject({ method: 'POST', url: url('/versions'), payload: { schema: v3 } })).json().version, 3)
  const unreadable = await h.app.inject({ method: 'POST', url: url('/produce'), payload: {} })
  assert.equal(unreadable.statusCode, 200, unreadable.body)
  assert.deepEqual([unreadable.json().writer.version, unreadable.json().reader.version, unreadable.json().reader.value], [3, 2, null])
  assert.match(unreadable.json().reader.error, /name/)

  // Delete: subject and topic gone.
  assert.equal((await h.app.inject({ method: 'DELETE', url: url() })).statusCode, 204)
  assert.deepEqual(await registryVersions(subject()), [])
  assert.equal(await h.app.kafkaConsole.exists(topic()), false)
  assert.equal((await h.app.inject({ method: 'DELETE', url: url() })).statusCode, 404)
})
