import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { testEnv } from '@vitrine/infra/testing'
import type { Gateway } from './helpers.ts'
import { launch, openPage, screenshot, skipUnlessRunnable, startGateway } from './helpers.ts'

// The API docs page the gateway serves (Swagger UI at /api/docs): it loads in Chromium, shows the
// gateway's document drawn from its route schemas, and offers every service's document.
const skip = skipUnlessRunnable()

let gateway: Gateway
let browser: Browser

before(async () => {
  if (skip) return
  gateway = await startGateway(testEnv())
  browser = await launch()
})

after(async () => {
  await browser?.close()
  await gateway?.app.close()
})

test('GET /api/docs loads in Chromium: the gateway\'s operations, the error codes, and a document per service', { skip }, async () => {
  const errors: string[] = []
  const page = await openPage(browser, errors)
  try {
    await page.goto(`${gateway.url}/api/docs/`)
    await page.locator('.info .title', { hasText: 'Vitrine · gateway' }).waitFor({ timeout: 20_000 })
    // Operations are drawn from the route schemas, grouped by tag; the error table is in the description.
    await page.locator('.opblock-summary-path', { hasText: '/api/topics/{name}' }).first().waitFor()
    assert.ok(await page.locator('.info', { hasText: 'SHOP_ERR_VALIDATION' }).count() > 0)
    const choices = await page.locator('.topbar select option').allTextContents()
    assert.deepEqual(choices, ['gateway', 'checkout-api', 'inventory', 'payment', 'orchestrator', 'notification'])
    assert.deepEqual(errors, [])
  } catch (err) {
    await screenshot(page, 'api-docs').catch(() => undefined)
    throw err
  } finally {
    await page.close()
  }
})
