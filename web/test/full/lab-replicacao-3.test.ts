import { after, before, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Page } from 'playwright-core'
import { bootstrapServers, up } from '@vitrine/infra'
import type { StackSettings } from '@vitrine/infra'
import { cleanup, freeBrokerBase, isolatedSettings, startControlApi, startExerciseShop, testEnv } from '@vitrine/infra/testing'
import type { AfterHook, ControlApi, TestEnv } from '@vitrine/infra/testing'
import type { BrowserSuite } from '../e2e/helpers.ts'
import { ROOT, onPage, screenshot, skipUnlessRunnable, startBrowserSuite } from '../e2e/helpers.ts'

// Runbook laboratorio/03-replicacao on a private cluster of 3 brokers and the separate KRaft
// controller (its own ports and state folder; the shared 1-broker stack is never touched), driven
// from the page: the quorum is the controller's, a preferred-leader election leaves every partition on
// its preferred replica, broker 2 stopped from the UI moves the leaders and shrinks the ISR (the
// leader shown for each partition equals `kafka-topics --describe`), acks=all writes go on; broker 3
// stopped too, the broker refuses them with NOT_ENOUGH_REPLICAS; both started again, the ISR is back to 3.
const skip = skipUnlessRunnable()
const run = promisify(execFile)

const file = { after }
const hook: AfterHook = { after: fn => { cleanup(file, fn) } }
// The file's one after hook, registered here at the top level: a first cleanup() inside before() would
// make an after hook of before() itself, run as soon as it returns.
cleanup(file, () => {})
let stack: StackSettings
let env: TestEnv
let control: ControlApi
let ui: BrowserSuite

before(async () => {
  if (skip) return
  const shared = testEnv()
  stack = isolatedSettings(hook as unknown as TestContext, await freeBrokerBase(3), { brokers: 3, kafkaHeapMb: 384 })
  await up(stack, { only: ['kafka-1', 'kafka-2', 'kafka-3'], catalog: false })
  // No services: the test's catalog topics on this cluster (the gateway's live feed reads them) and a
  // control plane over it, which stops and starts its brokers; the shared registry and database.
  const shop = await startExerciseShop({ services: [], stack })
  cleanup(file, shop.close)
  env = { ...shop.env, registryUrl: shared.registryUrl, databaseUrl: shared.databaseUrl }
  control = await startControlApi(shop.plane)
  cleanup(file, control.close)
  ui = await startBrowserSuite(env, { gatewayEnv: { CONTROL_URL: control.url, CONTROL_TIMEOUT_MS: 150_000 } })
  cleanup(file, ui.close)
}, { timeout: 300_000 })

interface Shown { partition: number, leader: number, isr: number[] }

async function shown (page: Page): Promise<Shown[]> {
  return await page.locator('[data-testid=lab-repl-partition]').evaluateAll(rows => rows.map(r => {
    const d = (r as HTMLElement).dataset
    return { partition: Number(d.partition), leader: Number(d.leader), isr: (d.isr ?? '').split(',').filter(x => x !== '').map(Number) }
  }))
}

/** Waits until the page's partitions satisfy `ok` (the page reads the cluster every second). */
async function until (page: Page, what: string, ok: (rows: Shown[]) => boolean, timeoutMs = 90_000): Promise<Shown[]> {
  const deadline = Date.now() + timeoutMs
  let rows: Shown[] = []
  while (Date.now() < deadline) {
    rows = await shown(page)
    if (rows.length > 0 && ok(rows)) return rows
    await page.waitForTimeout(500)
  }
  assert.fail(`${what} within ${timeoutMs} ms; the page shows ${JSON.stringify(rows)}`)
}

/** Kafka's own `kafka-topics --describe`: each partition's leader and ISR as the Java admin client reads them. */
async function describe (topic: string): Promise<Shown[]> {
  const { stdout } = await run(join(ROOT, 'infra/bin/kafka'), ['topics', '--describe', '--bootstrap-server', bootstrapServers(stack), '--topic', topic], { env: { ...process.env, VITRINE_STATE_DIR: stack.stateDir } })
  return [...stdout.matchAll(/Partition: (\d+)\s+Leader: (-?\d+)\s+Replicas: [\d,]+\s+Isr: ([\d,]*)/g)]
    .map(m => ({ partition: Number(m[1]), leader: Number(m[2]), isr: m[3]!.split(',').filter(x => x !== '').map(Number).sort((a, b) => a - b) }))
    .sort((a, b) => a.partition - b.partition)
}

async function counter (page: Page, attr: 'data-acked' | 'data-failed'): Promise<number> {
  return Number(await page.getByTestId('lab-repl-producer').getAttribute(attr))
}

async function brokerUp (page: Page, id: number, up: boolean, timeoutMs = 120_000): Promise<void> {
  await page.locator(`[data-testid=lab-repl-broker][data-broker="${id}"][data-up="${up}"]`).waitFor({ timeout: timeoutMs })
}

test('Replicação on 3 brokers and a separate controller: leaders and ISR as Kafka reports them, writes go on with one broker down and are refused with NOT_ENOUGH_REPLICAS with two, the ISR grows back', { skip, timeout: 600_000 }, async () => {
  const topic = `${env.prefix}lab.replicacao`
  await onPage(ui.browser, 'lab-replicacao-3', async (page) => {
    await page.goto(`${ui.web.url}/#/lab/replicacao`)
    // The cluster: three brokers up, the controller a node of its own (node 0) leading the quorum alone.
    await page.getByTestId('lab-repl-cluster').waitFor({ timeout: 20_000 })
    for (const id of [1, 2, 3]) await brokerUp(page, id, true, 20_000)
    assert.equal(await page.getByTestId('lab-repl-single').count(), 0)
    const controller = page.getByTestId('lab-repl-controller')
    await page.locator('[data-testid=lab-repl-controller][data-leader="0"]').waitFor({ timeout: 10_000 })
    assert.equal(await controller.getAttribute('data-separate'), 'true')

    // Step 1: the lab topic, RF 3 and min.insync.replicas=2, and the acks=all writer.
    await page.getByTestId('lab-repl-create').click()
    await until(page, 'six partitions with three replicas in sync', rows => rows.length === 6 && rows.every(r => r.isr.length === 3))
    assert.match(await page.getByTestId('lab-repl-topic').innerText(), /RF 3, min\.insync\.replicas=2/)
    await page.getByTestId('lab-repl-producer-start').click()
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=lab-repl-producer]')?.getAttribute('data-acked')) >= 3, undefined, { timeout: 30_000 })

    // Step 2: the preferred-leader election leaves every partition of the cluster on its preferred replica.
    await page.getByTestId('lab-repl-elect').click()
    const election = page.getByTestId('lab-repl-election')
    await election.waitFor({ timeout: 30_000 })
    // The controller answered for every partition of the cluster: elected now, or already on its preferred leader.
    const answered = Number(await election.getAttribute('data-elected')) + Number(await election.getAttribute('data-not-needed'))
    assert.equal(await election.getAttribute('data-failed'), '0')
    assert.equal(answered, Number(await page.getByTestId('lab-repl-counts').getAttribute('data-partitions')))
    await page.locator('[data-testid=lab-repl-counts][data-not-preferred="0"]').waitFor({ timeout: 30_000 })

    // Step 3: broker 2 stopped from the page. Its partitions get another leader, the ISR shrinks to 2,
    // and the page shows for each partition the leader Kafka's own tool reports.
    await page.locator('[data-testid=lab-repl-stop][data-broker="2"]').click()
    await brokerUp(page, 2, false)
    await until(page, 'broker 2 out of every ISR and leading nothing', rows => rows.every(r => r.leader !== 2 && !r.isr.includes(2) && r.isr.length === 2))
    const described = await describe(topic)
    assert.equal(described.length, 6, 'kafka-topics --describe lists the six partitions')
    await until(page, `the leaders and ISR kafka-topics --describe reports (${JSON.stringify(described)})`,
      rows => JSON.stringify(rows.map(r => [r.partition, r.leader, r.isr])) === JSON.stringify(described.map(r => [r.partition, r.leader, r.isr])), 10_000)
    const acked = await counter(page, 'data-acked')
    await page.waitForFunction(n => Number(document.querySelector('[data-testid=lab-repl-producer]')?.getAttribute('data-acked')) >= n + 4, acked, { timeout: 30_000 })

    // Step 4: broker 3 stopped too. One replica in sync, fewer than min.insync.replicas: the broker refuses.
    await page.locator('[data-testid=lab-repl-stop][data-broker="3"]').click()
    await brokerUp(page, 3, false)
    await until(page, 'only broker 1 in sync and leading', rows => rows.every(r => r.leader === 1 && r.isr.join() === '1'))
    await page.locator('[data-testid=lab-repl-write][data-code=NOT_ENOUGH_REPLICAS]').first().waitFor({ timeout: 30_000 })
    assert.match(await page.getByTestId('lab-repl-last-error').innerText(), /NOT_ENOUGH_REPLICAS \(código 19\)/)
    assert.match(await page.getByTestId('lab-repl-explain').innerText(), /recusa com NOT_ENOUGH_REPLICAS/)
    // The controller quorum is whole: it still answers, and still leads.
    assert.equal(await controller.getAttribute('data-leader'), '0')
    await screenshot(page, 'lab-replicacao-3-brokers')

    // Step 5: both started again: they catch up from the leader and rejoin the ISR; writes are acknowledged again.
    await page.locator('[data-testid=lab-repl-start][data-broker="3"]').click()
    await brokerUp(page, 3, true)
    await page.locator('[data-testid=lab-repl-start][data-broker="2"]').click()
    await brokerUp(page, 2, true)
    await until(page, 'the ISR back to three replicas', rows => rows.every(r => r.isr.length === 3), 120_000)
    await page.locator('[data-testid=lab-repl-producer][data-last-ok="true"]').waitFor({ timeout: 30_000 })
    const back = await describe(topic)
    assert.ok(back.every(p => p.isr.length === 3), `kafka-topics --describe: ${JSON.stringify(back)}`)

    await page.getByTestId('lab-repl-producer-stop').click()
    await page.locator('[data-testid=lab-repl-producer][data-running="false"]').waitFor({ timeout: 10_000 })
    await page.getByTestId('lab-repl-delete').click()
    await page.locator('[data-testid=lab-repl-topic][data-exists="false"]').waitFor({ timeout: 20_000 })
  })
})
