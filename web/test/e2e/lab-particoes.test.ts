import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { KafkaReader, partitionOf } from '@vitrine/service-kit'
import type { Page } from 'playwright-core'
import { ROOT, labSuite, onPage, screenshot } from './helpers.ts'

// Runbook laboratorio/01-particoes, step by step in the browser against the real broker: the
// partition the page predicts for each key is the one the broker reports, and the one Kafka's own
// console producer (the Java client) picks for the same key; growing the topic moves the keys the
// page says it moves.
// Reads back what the broker stored (kit's reader, not the page's gateway), one consumer for the whole test.
let reader: KafkaReader
const lab = labSuite({
  prepare: async env => { reader = new KafkaReader(env.brokers, 'lab-particoes-e2e') },
  cleanup: async () => { await reader?.close() }
})
const { skip } = lab

interface Row { key: string, partition: number, offset: number, predicted: number | null }

async function sentRows (page: Page): Promise<Row[]> {
  return await page.locator('[data-testid="lab-sent-row"]').evaluateAll(rows => rows.map(r => {
    const d = (r as HTMLElement).dataset
    return { key: d.key ?? '', partition: Number(d.partition), offset: Number(d.offset), predicted: d.predicted === '' ? null : Number(d.predicted) }
  }))
}

/**
 * Kafka's console producer (Java client, default partitioner) for `topic`, started now so its JVM
 * boots while the page works; `send` writes `key:value` lines, closes its input and waits for it to exit.
 */
function consoleProducer (topic: string): { send: (lines: string[]) => Promise<void> } {
  const child = spawn(join(ROOT, 'infra/bin/kafka'), ['console-producer', '--bootstrap-server', lab.env.brokers, '--topic', topic, '--property', 'parse.key=true', '--property', 'key.separator=:'], { stdio: ['pipe', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const exited = new Promise<number | null>(resolve => child.on('close', resolve))
  return {
    send: async (lines) => {
      child.stdin.end(lines.join('\n') + '\n')
      assert.equal(await exited, 0, `console producer failed: ${stderr}`)
    }
  }
}

const KEYS = ['cliente-1', 'cliente-2', 'cliente-3', 'cliente-4', 'cliente-5', 'cliente-6', 'pedido-42', 'ação']

test('Partições: predicted = broker\'s partition = Kafka console producer\'s for every key; added partitions move exactly the keys shown', { skip, timeout: 120_000 }, async () => {
  const name = `e2e-${lab.env.id}`.toLowerCase().replace(/[^a-z0-9-]/g, '-')
  const topic = `${lab.env.prefix}lab.particoes.${name}`
  const java = consoleProducer(topic)
  await onPage(lab.ui.browser, 'lab-particoes', async (page) => {
    await page.goto(`${lab.ui.web.url}/#/lab/particoes`)

    // Step 1: a lab topic with 3 partitions; 0 partitions is refused naming the field.
    await page.getByTestId('lab-new-name').fill(name)
    await page.getByTestId('lab-new-partitions').fill('0')
    await page.getByTestId('lab-create').click()
    await page.getByTestId('lab-error').filter({ hasText: 'body.partitions' }).waitFor({ timeout: 10_000 })
    await page.getByTestId('lab-new-partitions').fill('3')
    await page.getByTestId('lab-create').click()
    await page.locator(`[data-testid="lab-topic"][data-topic="${topic}"][data-partitions="3"]`).waitFor({ timeout: 15_000 })
    assert.equal(await page.getByTestId('lab-lane').count(), 3)

    // Step 2: the keys, sent from the page; each row is a delivery report, beside murmur2's prediction.
    await page.getByTestId('lab-keys').fill(KEYS.join(', '))
    await page.getByTestId('lab-send').click()
    await page.locator('[data-testid="lab-sent-row"]').nth(KEYS.length - 1).waitFor({ timeout: 15_000 })
    const rows = await sentRows(page)
    assert.deepEqual(rows.map(r => r.key), KEYS)
    for (const r of rows) assert.equal(r.predicted, r.partition, `${r.key}: predicted p${String(r.predicted)}, broker p${r.partition}`)
    // The broker holds each record where the page shows it.
    const stored = await reader.readTopicNow(topic)
    for (const r of rows) assert.ok(stored.some(s => s.key === r.key && s.partition === r.partition && s.offset === r.offset), `${r.key} stored at p${r.partition}#${r.offset}`)
    // The lanes show the same records.
    for (const r of rows) await page.locator(`[data-testid="lab-lane"][data-partition="${r.partition}"] [data-testid="lab-rec"][data-key="${r.key}"][data-offset="${r.offset}"]`).waitFor({ timeout: 5_000 })

    // Step 3: Kafka's console producer (the Java client) writes the same keys: each lands where the page predicted.
    await java.send(KEYS.map(k => `${k}:java`))
    const javaRecords = (await reader.readTopicNow(topic)).filter(s => s.value?.toString() === 'java')
    assert.equal(javaRecords.length, KEYS.length)
    for (const r of rows) assert.equal(javaRecords.find(s => s.key === r.key)?.partition, r.predicted, `${r.key}: console producer's partition`)

    // The page reads the topic back (Reler do broker): the console producer's records, marked as another client's, each where murmur2 predicts.
    const shown = async (): Promise<Array<{ key: string, partition: number, predicted: string, fromLab: string }>> => await page.locator('[data-testid="lab-rec"]').evaluateAll(els => els.map(e => {
      const d = (e as HTMLElement).dataset
      return { key: d.key ?? '', partition: Number(d.partition), predicted: d.predicted ?? '', fromLab: d.fromLab ?? '' }
    }))
    await page.getByTestId('lab-reload').click()
    await page.locator('[data-testid="lab-rec"]').nth(KEYS.length * 2 - 1).waitFor({ timeout: 10_000 })
    const lanes = await shown()
    assert.equal(lanes.length, KEYS.length * 2)
    assert.deepEqual(lanes.filter(r => r.fromLab === 'false').map(r => r.key).sort(), [...KEYS].sort())
    for (const r of lanes) assert.equal(Number(r.predicted), r.partition, `${r.key} in lane p${r.partition}`)

    // Step 4: null keys spread over the partitions (random partitioner, no batching in the lab).
    await page.getByTestId('lab-send-null').click()
    await page.locator('[data-testid="lab-sent-row"][data-key=""]').nth(5).waitFor({ timeout: 15_000 })
    const nulls = await sentRows(page)
    assert.ok(nulls.every(r => r.key === '' && r.predicted === null))
    assert.equal((await shown()).length, KEYS.length * 2 + 6)

    // Step 5: 3 → 6 partitions; the page lists every key with where its records are and where it goes now.
    await page.getByTestId('lab-grow-to').fill('6')
    await page.getByTestId('lab-grow').click()
    await page.locator('[data-testid="lab-topic"][data-partitions="6"]').waitFor({ timeout: 15_000 })
    await page.locator('[data-testid="lab-move-row"]').nth(KEYS.length - 1).waitFor({ timeout: 10_000 })
    const moves = await page.locator('[data-testid="lab-move-row"]').evaluateAll(els => els.map(e => {
      const d = (e as HTMLElement).dataset
      return { key: d.key ?? '', from: Number(d.from), to: Number(d.to), moved: d.moved === 'true' }
    }))
    assert.deepEqual(moves.map(m => m.key).sort(), [...KEYS].sort())
    for (const m of moves) {
      const before = rows.find(r => r.key === m.key)!.partition
      assert.deepEqual(m, { key: m.key, from: before, to: partitionOf(m.key, 6), moved: before !== partitionOf(m.key, 6) }, `${m.key}'s move`)
    }
    const moved = moves.filter(m => m.moved)
    // murmur2 % 6 is murmur2 % 3 or that plus 3: about half the keys stay (4 of these 8 move).
    assert.ok(moved.length > 0 && moved.length < KEYS.length, `some of the eight keys change partition from 3 to 6, not all (${moved.length} do)`)
    assert.equal(await page.getByTestId('lab-lane').count(), 6)

    // Step 6 (the runbook's cliente-2, p1 -> p4): a moved key sent again lands in its new partition.
    const again0 = moved.find(m => m.key === 'cliente-2') ?? moved[0]
    // Step 6: a moved key sent again lands in its new partition (the broker says so): its records are now in two partitions.
    await page.getByTestId('lab-keys').fill(again0!.key)
    await page.getByTestId('lab-send').click()
    await page.locator(`[data-testid="lab-sent-row"][data-key="${again0!.key}"][data-partition="${again0!.to}"]`).waitFor({ timeout: 15_000 })
    const [again] = await sentRows(page)
    assert.deepEqual([again!.partition, again!.predicted], [again0!.to, again0!.to])
    assert.ok((await reader.readTopicNow(topic)).some(s => s.key === again0!.key && s.partition === again0!.to && s.offset === again!.offset))
    // Every keyed record shown, old or new, lab's or console producer's, is where its prediction says.
    for (const r of await shown()) if (r.key !== '') assert.equal(Number(r.predicted), r.partition, `${r.key} in lane p${r.partition}`)
    const explain = await page.getByTestId('lab-explain').innerText()
    assert.match(explain, new RegExp(`de 3 para 6, ${moved.length} de ${KEYS.length} chaves mudaram`))
    await screenshot(page, 'lab-particoes')

    // Step 7: delete the lab topic.
    await page.getByTestId('lab-delete').click()
    await page.getByTestId('lab-topic').waitFor({ state: 'detached', timeout: 15_000 })
  })
  const left = await fetch(`${lab.ui.gateway.url}/api/lab/particoes/topics`).then(async r => await r.json() as { topics: Array<{ topic: string }> })
  assert.ok(!left.topics.some(t => t.topic === topic), 'the lab topic is gone')
})
