import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffMs, sleep } from '../../src/time.ts'

test('backoff doubles from the minimum, stops at the maximum, and never overflows', () => {
  const b = { minMs: 500, maxMs: 10_000 }
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(a => backoffMs(a, b)), [500, 1000, 2000, 4000, 8000, 10_000])
  assert.equal(backoffMs(10_000, b), 10_000)
  assert.equal(backoffMs(-1, b), 500)
})

test('sleep waits at least as long as asked; a negative wait still resolves', async () => {
  const t0 = performance.now()
  await sleep(30)
  assert.ok(performance.now() - t0 >= 25)
  await sleep(-5)
})
