import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { ControlledSuite } from '../e2e/helpers.ts'
import { onPage, screenshot, skipUnlessRunnable, startControlledSuite } from '../e2e/helpers.ts'

// Kafka › Grupos with a saga service's own group open: the instructor starts a second copy of
// inventory (the control plane's inventory-2, same group) and the page shows the group with two
// members, the partitions split between them; stopping the copy hands them back to one.
const skip = skipUnlessRunnable()

let suite: ControlledSuite

before(async () => {
  if (skip) return
  suite = await startControlledSuite({ shop: { services: ['inventory'] } })
}, { timeout: 180_000 })

after(async () => { await suite?.close() })

test('a second instance of inventory started from the group page joins its group; stopped, it leaves', { skip, timeout: 150_000 }, async () => {
  const { ui, shop } = suite
  const group = `inventory${shop.ctx.groupSuffix}`
  await onPage(ui.browser, 'grupo-segunda-instancia', async (page) => {
    await page.goto(`${ui.web.url}/#/kafka/grupos/${encodeURIComponent(group)}`)
    const copy = page.locator('[data-testid=instance-copy]')
    await copy.waitFor({ timeout: 20_000 })
    assert.equal(await copy.getAttribute('data-running'), 'false')
    await page.locator('h3', { hasText: 'Membros (1)' }).waitFor({ timeout: 20_000 })
    await page.getByTestId('instance-copy-toggle').click()
    await page.locator('[data-testid=instance-copy][data-running=true]').waitFor({ timeout: 100_000 })
    await page.locator('h3', { hasText: 'Membros (2)' }).waitFor({ timeout: 30_000 })
    await screenshot(page, 'grupo-segunda-instancia')
    await page.getByTestId('instance-copy-toggle').click()
    await page.locator('[data-testid=instance-copy][data-running=false]').waitFor({ timeout: 60_000 })
    await page.locator('h3', { hasText: 'Membros (1)' }).waitFor({ timeout: 30_000 })
  })
})
