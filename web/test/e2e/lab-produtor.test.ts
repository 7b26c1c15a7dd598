import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { readTopicNow } from '@vitrine/service-kit'
import type { Page } from 'playwright-core'
import { waitFor } from '@vitrine/infra/testing'
import { ROOT, labSuite, onPage, screenshot } from './helpers.ts'

// Runbook laboratorio/06-produtor, step by step in the browser against the real broker: acks 0/1/all
// (acks=0's reports name no offset, every record stored), linger.ms 0 vs 50 (the batches the page shows
// are the batches Kafka's own DumpLogSegments finds in the partition's segment file on disk), and a
// dropped Produce answer: duplicates without idempotence, none with it (the values stored twice are
// those a reader of our own finds twice).
const lab = labSuite()
const { skip } = lab
const run = promisify(execFile)

/** The record batches of the partition's segment files, as Kafka's DumpLogSegments prints them (the local broker's disk). */
async function batchesOnDisk (topic: string): Promise<Array<{ base: number, last: number, count: number, producerId: number }>> {
  const state = process.env.VITRINE_STATE_DIR ?? join(ROOT, '.vitrine')
  const nodes = join(state, 'kafka')
  const dirs = readdirSync(nodes).map(n => join(nodes, n, 'data', `${topic}-0`)).filter(d => existsSync(d))
  assert.ok(dirs.length > 0, `the partition's folder ${topic}-0 is under ${nodes} (this test reads the local broker's disk)`)
  const files = readdirSync(dirs[0]!).filter(f => f.endsWith('.log')).sort().map(f => join(dirs[0]!, f))
  const { stdout } = await run(join(ROOT, 'infra/bin/kafka'), ['dump-log', '--files', files.join(',')], { maxBuffer: 64 * 1024 * 1024 })
  return [...stdout.matchAll(/baseOffset: (\d+) lastOffset: (\d+) count: (\d+) baseSequence: -?\d+ lastSequence: -?\d+ producerId: (-?\d+)/g)]
    .map(m => ({ base: Number(m[1]), last: Number(m[2]), count: Number(m[3]), producerId: Number(m[4]) }))
}

async function rows (page: Page, testId: string): Promise<Array<Record<string, string>>> {
  return await page.getByTestId(testId).locator('tbody tr[data-run]').evaluateAll(trs => trs.map(tr => ({ ...(tr as HTMLElement).dataset }) as Record<string, string>))
}

async function idemRuns (page: Page): Promise<Array<Record<string, string>>> {
  return await page.getByTestId('producer-idem-run').evaluateAll(ds => ds.map(d => ({ ...(d as HTMLElement).dataset }) as Record<string, string>))
}

test('Produtor: acks 0/1/all, linger.ms 0 vs 50 (batches = Kafka\'s DumpLogSegments), a dropped answer duplicates only without idempotence', { skip, timeout: 120_000 }, async () => {
  const name = `e2e-${lab.env.id}`.toLowerCase().replace(/[^a-z0-9-]/g, '-')
  const topic = `${lab.env.prefix}lab.produtor.${name}`
  await onPage(lab.ui.browser, 'lab-produtor', async (page) => {
    await page.goto(`${lab.ui.web.url}/#/lab/produtor`)
    await page.getByTestId('lab-produtor').waitFor()

    // Step 0: a lab topic.
    await page.getByTestId('producer-new-name').fill(name)
    await page.getByTestId('producer-create').click()
    await page.getByTestId('producer-acks').waitFor()

    // Step 1: acks 0, 1 and all, 200 records each.
    await page.getByTestId('producer-acks-count').fill('200')
    await page.getByTestId('producer-acks-compare').click()
    await waitFor('three acks runs shown', async () => (await rows(page, 'producer-acks-runs')).length === 3, 30_000)
    const acks = await rows(page, 'producer-acks-runs')
    assert.deepEqual(acks.map(r => [r.acks, r.known, r.stored]), [['0', '0', '200'], ['1', '200', '200'], ['all', '200', '200']])
    assert.ok(acks.every(r => Number(r.elapsed) > 0))
    const explainAcks = await page.getByTestId('producer-explain-acks').textContent() ?? ''
    assert.match(explainAcks, /acks=0, 200 registros foram dados como entregues em [\d.,]+ ms, e nenhum relatório trouxe offset/)

    // Step 2: 100 records 2 ms apart, linger.ms 0 then 50.
    await page.getByTestId('producer-linger-count').fill('100')
    await page.getByTestId('producer-spacing').fill('2')
    await page.getByTestId('producer-linger-0').click()
    await waitFor('the linger.ms=0 run shown', async () => (await rows(page, 'producer-linger-runs')).length === 1, 30_000)
    await page.getByTestId('producer-linger-ms').fill('50')
    await page.getByTestId('producer-linger-send').click()
    await waitFor('the linger.ms=50 run shown', async () => (await rows(page, 'producer-linger-runs')).length === 2, 30_000)
    const [l0, l50] = await rows(page, 'producer-linger-runs')
    assert.deepEqual([l0!.linger, l50!.linger, l0!.stored, l50!.stored], ['0', '50', '100', '100'])
    assert.equal(l0!.requests, l0!.batches, 'one partition: one batch per Produce request')
    assert.equal(l50!.requests, l50!.batches)
    assert.ok(Number(l0!.batches) > 2 * Number(l50!.batches), `linger.ms=0 ${l0!.batches} batches, 50: ${l50!.batches}`)
    assert.match(await page.getByTestId('producer-explain-linger').textContent() ?? '', new RegExp(`linger.ms=0, 100 registros chegando a cada 2 ms viraram ${l0!.batches} lotes`))
    await screenshot(page, 'lab-produtor-lotes')

    // Step 3: the dropped answer, without and with idempotence.
    await page.getByTestId('producer-idem-count').fill('10')
    await page.getByTestId('producer-idem-off').click()
    await waitFor('the run without idempotence shown', async () => (await idemRuns(page)).length === 1, 30_000)
    await page.getByTestId('producer-idem-on').click()
    await waitFor('the run with idempotence shown', async () => (await idemRuns(page)).length === 2, 30_000)
    const [off, on] = await idemRuns(page)
    assert.deepEqual([off!.idempotence, off!.stored, off!.duplicates], ['false', '20', '10'])
    assert.deepEqual([on!.idempotence, on!.stored, on!.duplicates, on!.batches], ['true', '10', '0', '1'])
    const onBatch = page.getByTestId('producer-idem-run').nth(1).locator('tbody tr').first()
    assert.ok(Number(await onBatch.getAttribute('data-producer-id')) >= 0)
    assert.equal(await onBatch.getAttribute('data-sequence'), '0')
    assert.match(await page.getByTestId('producer-explain-idem').textContent() ?? '', /10 registros enviados, 20 guardados, 10 valores em dois offsets[\s\S]*10 enviados, 10 guardados, nenhum duplicado/)

    // The log the page reads is the topic's: its duplicates are the values a reader of our own finds twice.
    const stored = await readTopicNow(lab.env.brokers, topic, 15_000)
    const values = stored.map(r => r.value?.toString() ?? '')
    const twice = new Set(values.filter((v, i) => values.indexOf(v) !== i))
    const log = page.getByTestId('producer-log')
    assert.equal(await log.getAttribute('data-high'), String(stored.length))
    assert.equal(await log.getAttribute('data-duplicates'), String(twice.size))
    // The batches the page shows are those Kafka's own tool finds on disk: run by run (after the 600
    // records of step 1, the linger runs hold offsets 600-699 and 700-799), and in the whole log.
    const diskNow = await batchesOnDisk(topic)
    const inRange = (from: number, to: number): number => diskNow.filter(b => b.base >= from && b.last < to).length
    assert.equal(inRange(600, 700), Number(l0!.batches), JSON.stringify(diskNow.slice(-40)))
    assert.equal(inRange(700, 800), Number(l50!.batches))
    assert.equal(await log.getAttribute('data-batches'), String(diskNow.length), 'the page\'s batch count is DumpLogSegments\'s')
    assert.ok(diskNow.filter(b => b.base >= 800 && b.base < 820).every(b => b.producerId === -1), 'the run without idempotence wrote batches without a producer id')
    assert.ok(diskNow.filter(b => b.base >= 820).every(b => b.producerId >= 0))
    await screenshot(page, 'lab-produtor')
  })
})
