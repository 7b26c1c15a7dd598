import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Batcher } from '../../../src/lib/batcher.ts'

// Time here is node:test's mock clock: the batcher's waits are checked exactly, whatever the
// machine's load (a wall-clock window of 35-75 ms failed on a busy CI machine).

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

test('a few events wait intervalMs after the first one, then go out together', t => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] })
  const batches: Array<{ at: number, items: string[] }> = []
  const b = new Batcher<string>(items => batches.push({ at: Date.now(), items }), 40, 500)
  const start = Date.now()
  b.push('a')
  t.mock.timers.tick(10)
  b.push('b')
  b.push('c')
  t.mock.timers.tick(29)
  assert.equal(batches.length, 0, 'nothing is sent before the interval')
  t.mock.timers.tick(1)
  assert.equal(batches.length, 1)
  assert.deepEqual(batches[0]!.items, ['a', 'b', 'c'])
  assert.equal(batches[0]!.at - start, 40, 'the first event waited exactly intervalMs')
  // The next item starts a new wait of its own.
  b.push('d')
  t.mock.timers.tick(39)
  assert.equal(batches.length, 1)
  t.mock.timers.tick(1)
  assert.deepEqual(batches.map(x => x.items), [['a', 'b', 'c'], ['d']])
  b.close()
})

test('an idle batcher sends nothing, and a closed one accepts nothing', t => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const batches: number[][] = []
  const b = new Batcher<number>(items => batches.push(items), 5, 10)
  t.mock.timers.tick(20)
  b.flush()
  assert.equal(batches.length, 0)
  b.close()
  b.push(1)
  t.mock.timers.tick(20)
  assert.equal(batches.length, 0)
  assert.equal(b.pending, 0)
  assert.throws(() => new Batcher<number>(() => {}, 10, 0), RangeError)
})
