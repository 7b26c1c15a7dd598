import assert from 'node:assert/strict'
import { test } from 'node:test'
import { percentile, percentiles, slopePerSecond } from '../../../src/bench/stats.ts'

test('nearest-rank percentiles', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1)
  assert.equal(percentile(values, 50), 50)
  assert.equal(percentile(values, 99), 99)
  assert.equal(percentile(values, 100), 100)
  assert.equal(percentile([7], 99), 7)
  assert.ok(Number.isNaN(percentile([], 50)))
  assert.deepEqual(percentiles([3, 1, 2, 10]), { count: 4, p50: 2, p95: 10, p99: 10, max: 10 })
})

test('slope of samples in units per second', () => {
  assert.equal(slopePerSecond([{ at: 0, value: 0 }, { at: 1000, value: 5 }, { at: 2000, value: 10 }]), 5)
  assert.equal(slopePerSecond([{ at: 0, value: 3 }]), 0)
})
