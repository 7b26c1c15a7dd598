import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readTopicNow } from '@vitrine/service-kit'
import { waitFor } from '@vitrine/infra/testing'
import { labSuite, openPage, screenshot } from './helpers.ts'

// Runbook laboratorio/05-compactacao on the real broker: a compacted lab topic, k1 written twice,
// k2 written and deleted with a tombstone, one more write to close the segment, and the cleaner
// watched from the page; what the page shows as the log is what a read of the topic gets.
// The lab topic is under the file's prefix: labSuite's after() deletes it with the rest.
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
  const write = async (key: string, value: string | null): Promise<void> => {
    const before = await rows.count()
    await page.getByTestId('compaction-key').fill(key)
    if (value === null) {
      await page.getByTestId('compaction-tombstone').click()
    } else {
      await page.getByTestId('compaction-value').fill(value)
      await page.getByTestId('compaction-write').click()
    }
    await waitFor(`${key}=${value} shown`, async () => await rows.count() > before, 10_000)
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
