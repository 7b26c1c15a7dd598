import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TopicSerde, wireSchemaId } from '@vitrine/contracts'
import { readTopicNow } from '@vitrine/service-kit'
import { labSuite, onPage, screenshot } from './helpers.ts'

// The schema-evolution lab (runbooks/laboratorio/04-schemas.md) in Chromium against the shared
// registry and broker: what the page shows is checked with the registry and the topic themselves.
const lab = labSuite({
  // The shop subject the lab copies from: this test's own prefixed products.catalog.
  prepare: async env => { await new TopicSerde(env.registryUrl, env.prefix).register('products.catalog') },
  // The lab subject and topic (not under the test's prefix): the lab's own delete (both, hard), then the registry directly in case it failed half-way.
  cleanup: async ({ ui }) => {
    await ui.gateway.app.inject({ method: 'DELETE', url: `/api/lab/schemas/subjects/${encodeURIComponent(subject())}` }).catch(() => undefined)
    const path = `${registry()}/subjects/${encodeURIComponent(subject())}`
    if ((await fetch(path, { method: 'DELETE' })).ok) await fetch(`${path}?permanent=true`, { method: 'DELETE' })
  }
})
const { skip } = lab
const name = (): string => `${lab.env.id}-e2e`
const subject = (): string => `lab.${name()}-value`
const registry = (): string => lab.env.registryUrl.replace(/\/$/, '')

async function versions (s: string): Promise<number[]> {
  const res = await fetch(`${registry()}/subjects/${encodeURIComponent(s)}/versions`)
  return res.status === 404 ? [] : await res.json() as number[]
}

test('lab Evolução de schema: the registry refuses a field without a default and nothing is registered; a compatible version is registered, produced, and read by the old version with its default', { skip }, async () => {
  await onPage(lab.ui.browser, 'lab-schemas', async page => {
    const shop = `${lab.env.prefix}products.catalog-value`
    await page.goto(`${lab.ui.web.url}/#/lab/schemas`)
    await page.getByTestId('lab-schemas-source').locator(`option[value="${shop}"]`).waitFor({ state: 'attached' })
    await page.getByTestId('lab-schemas-source').selectOption(shop)
    await page.getByTestId('lab-schemas-name').fill(name())
    await page.getByTestId('lab-schemas-create').click()
    await page.getByTestId('lab-schemas-subject').waitFor()
    assert.equal(await page.getByTestId('lab-schemas-compat').inputValue(), 'BACKWARD')
    assert.deepEqual(await fetch(`${registry()}/config/${encodeURIComponent(subject())}`).then(async r => await r.json()), { compatibilityLevel: 'BACKWARD' })
    assert.deepEqual(await versions(subject()), [1])
    const v1 = JSON.parse(await page.getByTestId('lab-schemas-editor').inputValue()) as { fields: Array<{ name: string }> }
    assert.ok(v1.fields.some(f => f.name === 'currency'), 'the editor starts from the shop\'s latest version')

    // Incompatible under BACKWARD: a new field without a default.
    const breaking = JSON.stringify({ ...v1, fields: [...v1.fields, { name: 'cor', type: 'string' }] }, null, 2)
    await page.getByTestId('lab-schemas-editor').fill(breaking)
    await page.getByTestId('lab-schemas-check').click()
    const verdict = page.getByTestId('lab-schemas-verdict')
    await verdict.waitFor()
    assert.match(await verdict.textContent() ?? '', /Incompatível com BACKWARD/)
    const direct = await fetch(`${registry()}/compatibility/subjects/${encodeURIComponent(subject())}/versions/latest?verbose=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: breaking }) }).then(async r => await r.json())
    assert.deepEqual(JSON.parse(await page.getByTestId('lab-schemas-registry-answer').textContent() ?? ''), direct, 'the page shows the registry\'s answer as it came')
    assert.match(await page.getByTestId('lab-schemas-causes').textContent() ?? '', /cor em \/fields\//)
    await page.getByTestId('lab-schemas-register').click()
    await page.getByTestId('lab-schemas-refusal').waitFor()
    assert.match(await page.getByTestId('lab-schemas-refusal').locator('xpath=following-sibling::pre[1]').textContent() ?? '', /Incompatible artifact.*cor/)
    assert.deepEqual(await versions(subject()), [1], 'the registry holds no new version')

    // Compatible: currency (it has a default) removed, cupom added with a default.
    const next = JSON.stringify({ ...v1, fields: [...v1.fields.filter(f => f.name !== 'currency'), { name: 'cupom', type: ['null', 'string'], default: null }] }, null, 2)
    await page.getByTestId('lab-schemas-editor').fill(next)
    await page.getByTestId('lab-schemas-check').click()
    await page.getByText('Compatível com BACKWARD (comparada com a v1)').waitFor()
    await page.getByTestId('lab-schemas-register').click()
    await page.getByTestId('lab-schemas-registered').waitFor()
    assert.deepEqual(await versions(subject()), [1, 2])
    assert.match(await page.getByTestId('lab-schemas-history').textContent() ?? '', /campo novo cupom[\s\S]*campo removido currency/)

    // Produce with v2; the consumer still on v1 reads it back from the topic.
    assert.equal(await page.getByTestId('lab-schemas-writer-version').inputValue(), '2')
    assert.equal(await page.getByTestId('lab-schemas-reader-version').inputValue(), '1')
    const sample = JSON.parse(await page.getByTestId('lab-schemas-record').inputValue()) as Record<string, unknown>
    await page.getByTestId('lab-schemas-record').fill(JSON.stringify({ ...sample, productId: 'p-aula', cupom: 'PROMO10' }))
    await page.getByTestId('lab-schemas-produce').click()
    const old = page.getByTestId('lab-schemas-reader-view')
    await old.waitFor()
    const currency = old.locator('tr[data-field="currency"]')
    assert.match(await currency.textContent() ?? '', /"BRL".*valor padrão/)
    assert.equal(await old.locator('tr[data-field="cupom"]').count(), 0, 'v1 does not know cupom')
    assert.match(await page.getByTestId('lab-schemas-dropped').textContent() ?? '', /cupom/)
    assert.match(await page.getByTestId('lab-schemas-writer-view').textContent() ?? '', /"cupom": "PROMO10"/)

    // What Kafka holds: one record, carrying v2's schema id, as the page says.
    const v2 = await fetch(`${registry()}/subjects/${encodeURIComponent(subject())}/versions/2`).then(async r => await r.json() as { id: number })
    const stored = await readTopicNow(lab.env.brokers, `lab.${name()}`)
    assert.equal(stored.length, 1)
    assert.equal(wireSchemaId(stored[0]!.value), v2.id)
    assert.match(await page.getByTestId('lab-schemas-produced').textContent() ?? '', new RegExp(`offset ${stored[0]!.offset},[\\s\\S]*schema id ${v2.id}`))
    await screenshot(page, 'lab-schemas')
  })
})
