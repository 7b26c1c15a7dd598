import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { createAdmin } from '@vitrine/infra'
import { readTopicNow } from '@vitrine/service-kit'
import { waitFor } from '@vitrine/infra/testing'
import { ROOT, labSuite, onPage, openPage, screenshot } from './helpers.ts'

// Runbook laboratorio/05-compactacao on the real broker: a compacted lab topic, k1 written twice,
// k2 written and deleted with a tombstone, one more write to close the segment, and the cleaner
// watched from the page; what the page shows as the log is what a read of the topic gets.
// Then steps 4 and 5, retention by time and by size, checked against the broker's own numbers.
// The lab topics are under the file's prefix: labSuite's after() deletes them with the rest.
const lab = labSuite()
const { skip } = lab
const name = 'aula-e2e'
const topic = (): string => `${lab.env.prefix}lab.compactacao.${name}`

test('compaction lab: k1=a, k1=b, k2=x, tombstone k2; after the cleaner the page\'s log is the topic\'s, with only k1\'s latest value', { skip, timeout: 60_000 }, async () => {
  const errors: string[] = []
  const page = await openPage(lab.ui.browser, errors)
  await page.goto(`${lab.ui.web.url}/#/lab/compactacao`)
  await page.getByTestId('lab-compactacao').waitFor()
  await page.getByTestId('compaction-new-name').fill(name)
  await page.getByTestId('compaction-new-policy').selectOption('compact')
  await page.getByTestId('compaction-create').click()
  await page.getByTestId('compaction-state').waitFor()

  const rows = page.getByTestId('compaction-log').locator('tbody tr[data-offset]')
  const high = async (): Promise<number> => Number(await page.getByTestId('compaction-state').getAttribute('data-high'))
  // Waits on the next offset, not the rows: under load a write can come more than segment.ms after the
  // last, close the segment, and the cleaner can take a row before the page shows the new one.
  const write = async (key: string, value: string | null): Promise<void> => {
    const before = await high()
    await page.getByTestId('compaction-key').fill(key)
    if (value === null) {
      await page.getByTestId('compaction-tombstone').click()
    } else {
      await page.getByTestId('compaction-value').fill(value)
      await page.getByTestId('compaction-write').click()
    }
    await waitFor(`${key}=${value} shown`, async () => await high() > before, 10_000)
  }
  await write('k1', 'a')
  await write('k1', 'b')
  await write('k2', 'x')
  await write('k2', null)
  await screenshot(page, 'lab-compactacao-antes')

  // The cleaner never touches the active segment: a write after segment.ms (1 s) closes it.
  await page.waitForTimeout(1200)
  await write('k3', 'y')

  const shown = async (): Promise<Array<[number, string, string | null]>> => await rows.evaluateAll(trs => trs.map(tr => {
    const e = tr as HTMLElement
    return [Number(e.dataset.offset), e.dataset.key ?? '', e.dataset.tombstone === 'true' ? null : e.dataset.value ?? ''] as [number, string, string | null]
  }))
  // The broker's cleaner looks for work every log.cleaner.backoff.ms (the stack's 1 s; Kafka's default 15 s).
  // Under load the first segment can roll before k2's tombstone, and a pass can run between the two rolls:
  // it removes k1=a and keeps k2=x (its tombstone not yet cleanable); the next pass takes k2=x. Both are awaited.
  await waitFor('the cleaner removed k1=a and k2=x', async () => !(await shown()).some(([o]) => o === 0 || o === 2), 35_000, 500)

  const log = await shown()
  const stored = await readTopicNow(lab.env.brokers, topic(), 15_000)
  assert.deepEqual(log, stored.map(r => [r.offset, r.key, r.value === null ? null : r.value.toString()]), 'the page shows the log a reader gets')
  assert.deepEqual(log.filter(([, k]) => k === 'k1'), [[1, 'k1', 'b']], 'k1 keeps only its latest value')
  assert.ok(!log.some(([, k, v]) => k === 'k2' && v === 'x'), 'k2\'s value went with its tombstone')
  assert.deepEqual(log.at(-1), [4, 'k3', 'y'])
  const history = page.getByTestId('compaction-history')
  assert.match(await history.locator('tr[data-offset="0"]').textContent() ?? '', /removido pelo cleaner/)
  assert.match(await page.getByTestId('compaction-explain').textContent() ?? '', /Foram escritos 5 registros[\s\S]*já removeu/)
  await screenshot(page, 'lab-compactacao')
  assert.deepEqual(errors, [])
  await page.close()
})

/** The broker's view of a lab topic's partition 0: log start offset (ListOffsets -2), bytes (DescribeLogDirs), segment files on its disk. */
async function brokerSays (topic: string): Promise<{ low: number, bytes: number, segments: Array<[number, number]> }> {
  const admin = createAdmin(lab.env.brokers, 'vitrine-test')
  try {
    const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -2n }] }] })
    const dirs = await admin.describeLogDirs({ topics: [{ name: topic, partitions: [0] }] })
    const bytes = dirs.flatMap(b => b.results.flatMap(r => r.topics.filter(t => t.name === topic).flatMap(t => t.partitions.map(p => Number(p.partitionSize)))))
    // The local stack's broker folders (.vitrine/kafka/<node>/data): this test reads the broker's disk itself.
    const nodes = join(process.env.VITRINE_STATE_DIR ?? join(ROOT, '.vitrine'), 'kafka')
    const dir = readdirSync(nodes).map(n => join(nodes, n, 'data', `${topic}-0`)).find(d => existsSync(d))
    assert.ok(dir, `the partition's folder ${topic}-0 is under ${nodes}`)
    const segments = readdirSync(dir).filter(f => /^\d{20}\.log$/.test(f)).sort().map(f => [Number(f.slice(0, 20)), statSync(join(dir, f)).size] as [number, number])
    assert.equal(bytes.length, 1, 'one replica (the shared stack has one broker)')
    return { low: Number(listed!.partitions[0]!.offset), bytes: bytes[0]!, segments }
  } finally {
    await admin.close()
  }
}

/** What the page shows now: first offset, bytes on disk and the segments table. */
async function pageSays (page: Page): Promise<{ low: number, bytes: number, segments: Array<[number, number]> }> {
  const state = page.getByTestId('compaction-state')
  const segments = await page.getByTestId('compaction-segments').locator('tbody tr[data-base]').evaluateAll(trs => trs.map(tr => [Number((tr as HTMLElement).dataset.base), Number((tr as HTMLElement).dataset.bytes)] as [number, number]))
  return { low: Number(await state.getAttribute('data-low')), bytes: Number(await state.getAttribute('data-size')), segments }
}

/** The page and the broker agree (the page reads every 1.5 s: asked again until they do, or 10 s). */
async function sameAsBroker (page: Page, topic: string): Promise<{ low: number, bytes: number, segments: Array<[number, number]> }> {
  let last: unknown
  return await waitFor('the page shows the broker\'s first offset, bytes and segments', async () => {
    const [shown, broker] = [await pageSays(page), await brokerSays(topic)]
    last = { shown, broker }
    return JSON.stringify(shown) === JSON.stringify(broker) ? broker : undefined
  }, 10_000, 500).catch(err => { throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}`) })
}

async function createLabTopic (page: Page, name: string, policy: 'delete' | 'size'): Promise<void> {
  await page.getByTestId('compaction-new-name').fill(name)
  await page.getByTestId('compaction-new-policy').selectOption(policy)
  await page.getByTestId('compaction-create').click()
  await waitFor(`${name} selected`, async () => (await page.getByTestId('compaction-state').textContent().catch(() => ''))?.includes(`lab.compactacao.${name}`) === true, 10_000)
}

/** Writes `times` records (the page's Vezes) and waits until the page's next offset says so. */
async function writeTimes (page: Page, times: number): Promise<void> {
  const high = Number(await page.getByTestId('compaction-state').getAttribute('data-high'))
  await page.getByTestId('compaction-key').fill('k')
  await page.getByTestId('compaction-value').fill('a')
  await page.getByTestId('compaction-count').fill(String(times))
  await page.getByTestId('compaction-write').click()
  await waitFor(`${times} more records shown`, async () => Number(await page.getByTestId('compaction-state').getAttribute('data-high')) === high + times, 10_000)
}

test('retention lab: by time, the records older than retention.ms leave and the first offset moves; by size, the oldest segment leaves while the rest still holds retention.bytes; the page\'s first offset, bytes and segments are the broker\'s', { skip, timeout: 90_000 }, async () => {
  const velho = 'velho-e2e'
  const grande = 'grande-e2e'
  await onPage(lab.ui.browser, 'lab-retencao', async (page) => {
    await page.goto(`${lab.ui.web.url}/#/lab/compactacao`)
    await page.getByTestId('lab-compactacao').waitFor()

    // Step 4: three records on a topic with retention.ms=10 s; its 10 s run while step 5 is done.
    await createLabTopic(page, velho, 'delete')
    await writeTimes(page, 3)
    const written = Date.now()
    assert.deepEqual((await pageSays(page)).low, 0)

    // Step 5: three bursts of ten records, each more than segment.ms (1 s) after the last: three segments.
    await createLabTopic(page, grande, 'size')
    const limit = Number(/retention\.bytes=(\d+)/.exec(await page.getByTestId('compaction-state').textContent() ?? '')?.[1])
    assert.ok(limit > 0, 'the page shows the topic\'s retention.bytes')
    for (let burst = 0; burst < 3; burst++) {
      if (burst > 0) await page.waitForTimeout(1100)
      await writeTimes(page, 10)
    }
    // The broker's retention check (every 5 s here) deletes the oldest segment: the first offset moves.
    await waitFor('the size retention deleted a segment', async () => Number(await page.getByTestId('compaction-state').getAttribute('data-low')) > 0, 20_000, 500)
    const size = await sameAsBroker(page, `${lab.env.prefix}lab.compactacao.${grande}`)
    const total = size.segments.reduce((n, [, b]) => n + b, 0)
    assert.equal(total, size.bytes, 'the segment files add up to the partition size DescribeLogDirs reports')
    assert.equal(size.segments[0]![0], size.low, 'the log starts at its oldest segment\'s base offset: whole segments are deleted')
    assert.ok(total >= limit && total - size.segments[0]![1] < limit, `what is left still holds retention.bytes and would not without its oldest segment (${JSON.stringify({ limit, segments: size.segments })})`)
    assert.match(await page.getByTestId('compaction-size-verdict').textContent() ?? '', /menos que [\d.]+: ele fica/)
    const history = page.getByTestId('compaction-history')
    assert.match(await history.locator('tr[data-offset="0"]').textContent() ?? '', /apagado pela retenção/)
    await screenshot(page, 'lab-retencao-tamanho')

    // Back to step 4: more than 10 s after the three, one more write closes their segment; the check deletes it.
    await page.getByTestId('compaction-topic').selectOption(velho)
    await waitFor(`${velho} shown`, async () => (await page.getByTestId('compaction-state').textContent().catch(() => ''))?.includes(`lab.compactacao.${velho}`) === true, 10_000)
    await page.waitForTimeout(Math.max(0, written + 10_500 - Date.now()))
    await writeTimes(page, 1)
    await waitFor('the time retention deleted the three old records', async () => Number(await page.getByTestId('compaction-state').getAttribute('data-low')) >= 3, 20_000, 500)
    const time = await sameAsBroker(page, `${lab.env.prefix}lab.compactacao.${velho}`)
    assert.ok(time.low >= 3, 'offsets 0-2 are gone (the fourth record follows 10 s after its write)')
    const stored = await readTopicNow(lab.env.brokers, `${lab.env.prefix}lab.compactacao.${velho}`, 15_000)
    assert.ok(stored.every(r => r.offset >= time.low), 'a reader gets nothing before the first offset')
    assert.match(await page.getByTestId('compaction-explain').textContent() ?? '', /os offsets 0 a [23] já foram apagados pela retenção/)
    if (time.segments.length > 0) {
      assert.match(await page.getByTestId('compaction-time-verdict').textContent() ?? '', new RegExp(`O segmento mais velho \\(${time.segments[0]![0]},`), 'the explanation names the oldest segment the broker has')
    }
    await screenshot(page, 'lab-retencao-tempo')
  })
})
