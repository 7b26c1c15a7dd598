import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { testEnv } from '@vitrine/infra/testing'
import type { BrowserSuite } from './helpers.ts'
import { openPage, screenshot, skipUnlessRunnable, startBrowserSuite } from './helpers.ts'

// The API docs page the gateway serves (Swagger UI at /api/docs): it loads in Chromium, shows the
// gateway's document drawn from its route schemas, and offers every service's document.
const skip = skipUnlessRunnable()

// The docs are the gateway's own page: no web app.
let ui: Omit<BrowserSuite, 'web'>

before(async () => {
  if (skip) return
  ui = await startBrowserSuite(testEnv(), { web: false })
})

after(async () => {
  await ui?.close()
})

test('GET /api/docs loads in Chromium: the gateway\'s operations, the error codes, and a document per service', { skip }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  try {
    await page.goto(`${ui.gateway.url}/api/docs/`)
    await page.locator('.info .title', { hasText: 'Vitrine · gateway' }).waitFor({ timeout: 20_000 })
    // Operations are drawn from the route schemas, grouped by tag; the error table is in the description.
    await page.locator('.opblock-summary-path', { hasText: '/api/topics/{name}' }).first().waitFor()
    assert.ok(await page.locator('.info', { hasText: 'SHOP_ERR_VALIDATION' }).count() > 0)
    const choices = await page.locator('.topbar select option').allTextContents()
    assert.deepEqual(choices, ['gateway', 'checkout-api', 'inventory', 'payment', 'orchestrator', 'notification', 'sales-counter'])
    assert.deepEqual(errors, [])
  } catch (err) {
    await screenshot(page, 'api-docs').catch(() => undefined)
    throw err
  } finally {
    await page.close()
  }
})
