import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { ControlledSuite } from '../e2e/helpers.ts'
import { onPage, screenshot, skipUnlessRunnable, startControlledSuite } from '../e2e/helpers.ts'

// The Caos page against the real control plane: a private shop (inventory, payment, checkout-api on
// their own topics, groups and schemas), the control plane's API over it, the gateway relaying and
// pushing the drills, the web app and Chromium. The instructor clicks the "schema inválido" drill:
// its timeline grows on the page (chart, fault window, events), then the invariant result appears.
// A fault toggle turned on shows in the toggles section and "limpar tudo" clears it.
const skip = skipUnlessRunnable()

let suite: ControlledSuite

before(async () => {
  if (skip) return
  // No orders of its own (notification is not running to tell customers): the drill's records and the lag are what it checks.
  suite = await startControlledSuite({
    shop: { services: ['inventory', 'payment', 'checkout-api'] },
    control: { drillTimings: { baselineMs: 1000, sampleMs: 500, trafficPerSec: 0, recoveryTimeoutMs: 60_000, settleTimeoutMs: 20_000 } }
  })
}, { timeout: 180_000 })

after(async () => { await suite?.close() })

test('a drill runs from the Caos page: its timeline and its invariant result appear; the toggles are listed and cleared with one click', { skip, timeout: 90_000 }, async () => {
  const { ui, control } = suite
  await onPage(ui.browser, 'caos', async (page) => {
    await page.goto(`${ui.web.url}/#/caos`)
    const scene = page.locator('[data-testid=chaos-scene][data-scene=schema-invalido]')
    await scene.waitFor({ timeout: 20_000 })
    assert.equal(await page.locator('[data-testid=chaos-scene]').count(), 6)
    // On this 1-broker shop the leader kill says why it cannot run, and its button is off.
    const leader = page.locator('[data-testid=chaos-scene][data-scene=lider-morto]')
    assert.match(await leader.locator('[data-testid=chaos-unavailable]').innerText(), /3 brokers/)
    assert.equal(await leader.locator('[data-testid=chaos-run]').isDisabled(), true)

    await scene.locator('[data-testid=chaos-run]').click()
    const timeline = page.locator('[data-testid=chaos-timeline]')
    await timeline.waitFor({ timeout: 10_000 })
    // Pushed by the gateway as it happens: the records dead-lettered, then the invariants.
    await page.locator('[data-testid=chaos-events]', { hasText: 'orders.dlq' }).waitFor({ timeout: 60_000 })
    await page.locator('[data-testid=chaos-invariants][data-ok=true]').waitFor({ timeout: 60_000 })
    assert.equal(await timeline.getAttribute('data-status'), 'passed')
    assert.match(await page.locator('[data-testid=chaos-status]').innerText(), /passou/)
    assert.match(await page.locator('[data-testid=chaos-fault]').innerText(), /^de \d{2}:\d{2}:\d{2}/)
    assert.match(await page.locator('[data-testid=chaos-recovered]').innerText(), /s depois do fim da falha/)
    // The explanation repeats the facts on screen: the recovery time and the orders the invariants covered.
    const recovered = /, ([\d.]+) s depois do fim da falha/.exec(await page.locator('[data-testid=chaos-recovered]').innerText())?.[1]
    const explained = await page.getByTestId('chaos-explain').textContent() ?? ''
    assert.ok(explained.includes(`se recuperou (lag 0, pedidos terminados) ${recovered} s depois do fim da falha`), explained)
    assert.match(explained, /As invariantes da saga valem para os? \d+ pedidos? criados desde o início/)
    assert.ok(Number(await page.locator('[data-testid=chaos-chart]').getAttribute('data-samples')) >= 3)
    const checks = page.locator('[data-testid=chaos-check]')
    assert.equal(await checks.count(), 6)
    assert.equal(await page.locator('[data-testid=chaos-check][data-ok=false]').count(), 0)
    assert.match(await page.locator('[data-testid=chaos-check][data-check=lag]').innerText(), /lag dos consumer groups de volta a 0/)
    await screenshot(page, 'caos')

    // The runtime toggles: one turned on through the control plane shows on the page; "limpar tudo" turns it off.
    const put = await fetch(`${control.url}/faults/inventory`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handlerDelayMs: 250 }) })
    assert.equal(put.status, 200, await put.text())
    const inventory = page.locator('[data-testid=chaos-service-faults][data-service=inventory]')
    await inventory.filter({ hasText: 'handlerDelayMs=250' }).waitFor({ timeout: 15_000 })
    await page.locator('[data-testid=chaos-clear]').click()
    await page.locator('[data-testid=chaos-service-faults][data-service=inventory][data-on="0"]').waitFor({ timeout: 15_000 })
    const after = await (await fetch(`${control.url}/faults/inventory`)).json() as { toggles: { active: string[] } }
    assert.deepEqual(after.toggles.active, [])
  })
})
