import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Page } from 'playwright-core'
import { waitFor } from '@vitrine/infra/testing'
import { ROOT, labSuite, onPage, screenshot } from './helpers.ts'

// The consumer groups lab's lesson (runbooks/laboratorio/02-grupos.md) in Chromium on the real
// broker: after each member the page adds, the assignment it shows is what Kafka's own
// kafka-consumer-groups --describe --members --verbose reports; a closed member's partitions move;
// with more members than partitions, the idle member is the one the tool lists with none.
// Closing the gateway closes the lab's members and deletes its groups and topic.
const lab = labSuite()
const { skip } = lab

type Assignment = Record<string, string>

// A one-shot tool starts in about a third of the time without the optimizing JIT (7 s → 2.7 s on a busy CI box).
const JVM_QUICK_START = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC'

/** client.id → its partitions ("0,1"), from Kafka's consumer-groups tool. */
async function describeWithKafka (group: string): Promise<Assignment> {
  const { stdout } = await promisify(execFile)(join(ROOT, 'infra/bin/kafka'), ['consumer-groups', '--bootstrap-server', lab.env.brokers, '--describe', '--members', '--verbose', '--group', group], { timeout: 60_000, env: { ...process.env, JAVA_TOOL_OPTIONS: JVM_QUICK_START } })
  const lines = stdout.split('\n').map(l => l.trim()).filter(l => l !== '')
  const header = lines.findIndex(l => l.startsWith('GROUP'))
  assert.ok(header >= 0, stdout)
  const cols = lines[header]!.split(/\s+/)
  const client = cols.indexOf('CLIENT-ID')
  // Kafka 4's tool: CURRENT-ASSIGNMENT "topic:0,1" (older ones: ASSIGNMENT "topic(0,1)"); "-" for none.
  const assignment = cols.includes('CURRENT-ASSIGNMENT') ? cols.indexOf('CURRENT-ASSIGNMENT') : cols.indexOf('ASSIGNMENT')
  assert.ok(client >= 0 && assignment >= 0, stdout)
  const out: Assignment = {}
  for (const line of lines.slice(header + 1)) {
    const cells = line.split(/\s+/)
    const cell = cells[assignment] ?? '-'
    const parts = /[:(]([\d,]*)\)?$/.exec(cell)?.[1] ?? ''
    out[cells[client]!] = parts.split(',').filter(p => p !== '').map(Number).sort((a, b) => a - b).join(',')
  }
  return out
}

/** client.id → its partitions, as the page shows them (every member in the group). */
async function shownAssignment (page: Page): Promise<Assignment> {
  const rows = page.getByTestId('grupos-member')
  const out: Assignment = {}
  for (const row of await rows.all()) {
    if (await row.getAttribute('data-in-group') !== 'true') continue
    out[(await row.getAttribute('data-client-id'))!] = (await row.getAttribute('data-partitions'))!
  }
  return out
}

/** Waits until the page shows `members` members in a stable group owning every partition, then compares with Kafka's tool. */
async function assertMatchesKafka (page: Page, group: string, members: number): Promise<Assignment> {
  const group$ = page.getByTestId('grupos-group')
  return await waitFor(`the page and kafka-consumer-groups agree on ${members} members`, async () => {
    if (await group$.getAttribute('data-state') !== 'STABLE') return undefined
    const shown = await shownAssignment(page)
    if (Object.keys(shown).length !== members) return undefined
    const owned = Object.values(shown).flatMap(p => p.split(',')).filter(p => p !== '').sort()
    if (owned.join() !== '0,1,2,3') return undefined
    const kafka = await describeWithKafka(group)
    // The group could have moved between the two readings: read the page again.
    const again = await shownAssignment(page)
    if (JSON.stringify(again) !== JSON.stringify(shown)) return undefined
    assert.deepEqual(kafka, shown)
    return shown
  }, 25_000, 300)
}

test('the consumer groups lab: each member added is assigned as kafka-consumer-groups says; a closed member\'s partitions move', { skip, timeout: 120_000 }, async () => {
  await onPage(lab.ui.browser, 'lab-grupos', async (page) => {
    await page.goto(`${lab.ui.web.url}/#/lab/grupos`)
    await page.getByTestId('lab-grupos').waitFor()

    // Step 1: a classic eager group and the producer.
    await page.getByTestId('grupos-protocol').selectOption('eager')
    await page.getByTestId('grupos-new').click()
    const group$ = page.getByTestId('grupos-group')
    await group$.waitFor()
    const group = (await group$.getAttribute('data-id'))!
    assert.ok(group.startsWith(`${lab.env.prefix}lab.grupos.eager.`), group)
    await page.getByTestId('grupos-producer').click()
    await waitFor('the producer on', async () => (await page.getByTestId('grupos-producer').textContent())?.includes('Desligar'))

    // Steps 2-4: members one by one; after each, the page shows what the broker assigned.
    let shown: Assignment = {}
    for (let n = 1; n <= 3; n++) {
      await page.getByTestId('grupos-add-member').click()
      shown = await assertMatchesKafka(page, group, n)
    }
    // Eager: the timeline shows a revoke of everything the first member held.
    assert.ok(await page.locator('[data-testid=grupos-event][data-kind=revoke]').count() > 0)
    // Lag is read per partition from the committed offsets.
    await waitFor('commits on every partition', async () => {
      const committed = await page.locator('[data-testid=grupos-partition]').evaluateAll(rows => rows.map(r => r.getAttribute('data-committed')))
      return committed.length === 4 && committed.every(c => c !== '' && Number(c) > 0)
    }, 20_000)

    // Step 5: stop (close) the member with two partitions: they move to the others.
    const [client, parts] = Object.entries(shown).find(([, p]) => p.split(',').length === 2)!
    const row = page.locator(`[data-testid=grupos-member][data-client-id="${client}"]`)
    await row.getByTestId('grupos-stop').click()
    await row.waitFor({ state: 'detached' })
    const moved = await assertMatchesKafka(page, group, 2)
    assert.equal(moved[client], undefined)
    for (const p of parts.split(',')) assert.ok(Object.values(moved).some(m => m.split(',').includes(p)), `partition ${p} moved to another member: ${JSON.stringify(moved)}`)
    assert.ok(await page.locator('[data-testid=grupos-event][data-kind=leave]').count() === 1)
    // The explanation uses the numbers on screen: who reads each partition, and the total lag.
    const explain = await page.getByTestId('grupos-explain').textContent() ?? ''
    for (const row of await page.getByTestId('grupos-member').all()) {
      const name = await row.getAttribute('data-name')
      const partitions = (await row.getAttribute('data-partitions'))!.split(',').join(', ')
      assert.ok(explain.includes(`${name} → ${partitions}`), `${name} → ${partitions} in: ${explain}`)
    }
    assert.match(explain, /Lag total \d+/)

    // Step 6: five members for four partitions. The one left without a partition is the one
    // kafka-consumer-groups --describe --members lists with none, and the page calls it idle.
    for (let n = 3; n <= 5; n++) await page.getByTestId('grupos-add-member').click()
    const five = await assertMatchesKafka(page, group, 5)
    const idle = Object.entries(five).filter(([, p]) => p === '').map(([c]) => c)
    assert.equal(idle.length, 1, JSON.stringify(five))
    const idleRow = page.locator(`[data-testid=grupos-member][data-client-id="${idle[0]}"]`)
    assert.equal(await idleRow.getAttribute('data-partitions'), '')
    assert.match(await idleRow.textContent() ?? '', /ocioso/)
    const idleName = (await idleRow.getAttribute('data-name'))!
    await waitFor('the idle member explained', async () => new RegExp(`Há 5 membros para 4 partições: ${idleName} está ocioso`).test(await page.getByTestId('grupos-explain').textContent() ?? ''), 5_000)
    await screenshot(page, 'lab-grupos')

    // Encerrar laboratório: confirmed, the group goes.
    await page.getByTestId('grupos-end').click()
    await page.getByTestId('confirm-button').click()
    await group$.waitFor({ state: 'detached' })
  })
})
