import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { Batcher } from '../../../src/lib/batcher.ts'

test('a burst is pushed in batches of at most maxBatch, in order, without waiting for the timer', () => {
  const batches: number[][] = []
  const b = new Batcher<number>(items => batches.push(items), 1000, 100)
  for (let i = 0; i < 1050; i++) b.push(i)
  assert.equal(batches.length, 10, 'ten full batches went out at once')
  assert.ok(batches.every(x => x.length === 100))
  assert.equal(b.pending, 50)
  b.close()
  assert.equal(batches.length, 11)
  assert.deepEqual(batches.flat(), Array.from({ length: 1050 }, (_, i) => i))
})

test('a few events wait at most intervalMs, then go out together', async () => {
  const batches: Array<{ at: number, items: string[] }> = []
  const b = new Batcher<string>(items => batches.push({ at: Date.now(), items }), 40, 500)
  const start = Date.now()
  b.push('a')
  await sleep(10)
  b.push('b')
  b.push('c')
  assert.equal(batches.length, 0, 'nothing is sent before the interval')
  await sleep(80)
  assert.equal(batches.length, 1)
  assert.deepEqual(batches[0]!.items, ['a', 'b', 'c'])
  const waited = batches[0]!.at - start
  assert.ok(waited >= 35 && waited < 75, `the first event waited ${waited} ms, expected about 40`)
  b.close()
})

test('an idle batcher sends nothing, and a closed one accepts nothing', async () => {
  const batches: number[][] = []
  const b = new Batcher<number>(items => batches.push(items), 5, 10)
  await sleep(20)
  b.flush()
  assert.equal(batches.length, 0)
  b.close()
  b.push(1)
  await sleep(20)
  assert.equal(batches.length, 0)
  assert.throws(() => new Batcher<number>(() => {}, 10, 0), RangeError)
})
