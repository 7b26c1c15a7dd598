import { after, before, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { TopicSerde } from '@vitrine/contracts'
import { freePort } from '@vitrine/infra'
import { createCatalogTopics, deleteTestTopics, openProducer, serviceEnv, testEnv, waitFor } from '@vitrine/infra/testing'
import type { BrowserSuite } from '../e2e/helpers.ts'
import { ROOT, openPage, screenshot, skipUnlessRunnable, startBrowserSuite } from '../e2e/helpers.ts'

// (make test-full: it builds the web app and starts its own counter, too heavy for make test's budget.)
// The Exactly-once page against a real sales-counter (its own process, the test's topics): the
// totals and the recount, the crash point ("derrubar agora") with the counter started again by the
// test as the control plane would, the aborted record in the two-readers table, and the zombie
// drill showing the fenced error.
const skip = skipUnlessRunnable()
const env = testEnv()
let ui: BrowserSuite
let counterUrl: string
let port: number
const children: ChildProcess[] = []

function startCounter (): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: join(ROOT, 'services/sales-counter'),
    env: { ...process.env, ...serviceEnv(env, { PORT: port, SALES_COUNTER_COMMIT_MS: 50 }) },
    stdio: 'ignore'
  })
  children.push(child)
  return child
}

const healthy = async (): Promise<boolean> => await fetch(`${counterUrl}/health`).then(r => r.ok, () => false)

before(async () => {
  if (skip) return
  await createCatalogTopics(env)
  port = await freePort()
  counterUrl = `http://127.0.0.1:${port}`
  startCounter()
  await waitFor('the sales-counter', healthy, 90_000, 250)
  ui = await startBrowserSuite(env, { gatewayEnv: { SALES_COUNTER_URL: counterUrl } })
}, { timeout: 240_000 })

after(async () => {
  await ui?.close()
  await Promise.all(children.filter(c => c.exitCode === null && c.signalCode === null).map(async c => await new Promise(resolve => { c.once('exit', resolve); c.kill('SIGTERM') })))
  if (skip) return
  // The counter is a static group member: its group goes once its session (6 s) expired.
  await new Promise(resolve => setTimeout(resolve, 6500))
  await deleteTestTopics(env).catch(err => console.error('cleanup failed', err))
})

async function orders (t: TestContext, n: number): Promise<void> {
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = await openProducer(t, env.brokers)
  for (let i = 0; i < n; i++) {
    const orderId = randomUUID()
    producer.produce(env.prefix + 'orders.confirmed', null, await serde.encode('orders.confirmed', { eventId: randomUUID(), orderId, customerId: 'c-1', totalCents: 2500, occurredAt: Date.now() }), orderId, Date.now())
  }
  await new Promise<void>((resolve, reject) => producer.flush(15_000, err => (err ? reject(err) : resolve())))
}

test('the page shows the totals against the recount, a crash leaving an aborted record, and the fenced zombie', { skip, timeout: 180_000 }, async (t) => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  try {
    await page.goto(`${ui.web.url}/#/exactly-once`)
    await orders(t, 4)
    await page.locator('[data-testid=counted-orders]', { hasText: '4' }).waitFor({ timeout: 30_000 })
    assert.equal(await page.locator('[data-testid=truth-orders]').innerText(), '4')
    assert.equal(await page.locator('[data-testid=duplicates]').getAttribute('data-count'), '0')
    assert.equal(await page.locator('[data-testid=current-mode]').innerText(), 'exactly-once')
    // The explanation says it with the numbers on screen.
    await waitFor('the totals explained', async () => /O contador soma 4 pedidos e a recontagem de orders\.confirmed dá 4: nenhuma duplicata\.[\s\S]*Em exactly-once o total e os offsets vão na mesma transação/.test(await page.getByTestId('eos-explain').textContent() ?? ''), 5_000)

    // "derrubar agora": the next batch exits the counter between producing and committing.
    await page.locator('[data-testid=crash-now]').click()
    await page.locator('[data-testid=crash-now]', { hasText: 'crash armado' }).waitFor({ timeout: 10_000 })
    const crashed = children[0]!
    const exit = new Promise(resolve => crashed.once('exit', resolve))
    await orders(t, 3)
    assert.equal(await exit, 70, 'the counter exits at its crash point')
    await page.locator('[data-testid=eos-down]').waitFor({ timeout: 20_000 })
    // The supervisor's part (the control plane under make demo).
    startCounter()
    await page.locator('[data-testid=counted-orders]', { hasText: '7' }).waitFor({ timeout: 90_000 })
    assert.equal(await page.locator('[data-testid=duplicates]').getAttribute('data-count'), '0')
    await waitFor('the restart explained', async () => /soma 7 pedidos e a recontagem de orders\.confirmed dá 7: nenhuma duplicata[\s\S]*Esta instância começou do último total confirmado em sales\.totals/.test(await page.getByTestId('eos-explain').textContent() ?? ''), 5_000)
    // The crashed transaction's record: read_uncommitted sees it, read_committed never will.
    await page.locator('[data-testid=records] tr[data-kind=aborted]').first().waitFor({ timeout: 20_000 })
    assert.ok(await page.locator('[data-testid=records] tr[data-kind=marker]').count() > 0, 'transaction markers shown')

    // A second instance with the same transactional.id fences the running one.
    await page.locator('[data-testid=zombie]').click()
    await page.locator('[data-testid=fencing-error]').waitFor({ timeout: 60_000 })
    assert.match(await page.locator('[data-testid=fencing-error]').innerText(), /FENCED/)

    await page.locator('[data-testid=mode-at-least-once]').click()
    await page.locator('[data-testid=current-mode]', { hasText: 'at-least-once' }).waitFor({ timeout: 30_000 })
    assert.deepEqual(errors, [])
  } catch (err) {
    console.error(`screenshot: ${await screenshot(page, 'exactly-once-failure').catch(() => '(none)')}`)
    throw err
  } finally {
    await page.close()
  }
})
