import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { sqlGatewayUrl, up } from '@vitrine/infra'
import { createCatalogTopics, deleteTestTopics, freeBrokerBase, isolatedSettings, testEnv } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import type { BrowserSuite } from '../e2e/helpers.ts'
import { deleteTestSubjects, openPage, screenshot, skipUnlessRunnable, startBrowserSuite } from '../e2e/helpers.ts'

// The SQL page in Chromium against a Flink of the test's own: a write is refused with the pt-BR
// rule; a SELECT shows its rows (Flink plans and runs it in a mini cluster, through the SQL Gateway).
const skip = skipUnlessRunnable()

let env: TestEnv
let ui: BrowserSuite
const stops: Array<() => Promise<void>> = []

before(async () => {
  if (skip) return
  env = testEnv()
  await createCatalogTopics(env)
  // isolatedSettings wants a test context for its teardown; this file's after() runs it.
  const s = isolatedSettings({ after: (fn: () => Promise<void>) => { stops.push(fn) } } as never, await freeBrokerBase())
  await up(s, { only: ['flink'], catalog: false })
  ui = await startBrowserSuite(env, { gatewayEnv: { FLINK_SQL_GATEWAY_URL: sqlGatewayUrl(s), STREAMS_SQL_MAX_ROWS: 3, STREAMS_SQL_TIMEOUT_MS: 90_000 } })
})

after(async () => {
  await ui?.close()
  for (const stop of stops.reverse()) await stop()
  if (env) {
    await deleteTestTopics(env)
    await deleteTestSubjects(env)
  }
})

test('the SQL page refuses INSERT, DROP and CREATE in pt-BR, and a SELECT over the stream shows its rows', { skip, timeout: 240_000 }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  await page.goto(`${ui.web.url}/#/sql`)
  const box = page.getByTestId('sql-statement')
  for (const statement of ['INSERT INTO orders_confirmed SELECT * FROM orders_confirmed', 'DROP TABLE orders_confirmed', 'CREATE TABLE x (a INT)']) {
    await box.fill(statement)
    await page.getByTestId('sql-run').click()
    const message = await page.getByTestId('sql-error').textContent({ timeout: 10_000 })
    assert.match(message ?? '', /não é permitido aqui: a página SQL só lê \(SELECT, EXPLAIN, SHOW ou DESCRIBE\)/, statement)
  }
  await box.fill("SELECT cliente, total FROM (VALUES ('ana', 1000), ('bruno', 2500), ('carla', 990)) AS t (cliente, total)")
  await page.getByTestId('sql-run').click()
  await page.getByTestId('sql-result').waitFor({ timeout: 120_000 })
  const cells = await page.locator('[data-testid=sql-result] tbody tr').allTextContents()
  await screenshot(page, 'sql-page')
  assert.equal(cells.length, 3, cells.join(' | '))
  for (const [name, total] of [['ana', 1000], ['bruno', 2500], ['carla', 990]] as const) assert.ok(cells.some(c => c.includes(name) && c.includes(String(total))), `${name} not shown: ${cells.join(' | ')}`)
  assert.deepEqual(errors, [])
})
