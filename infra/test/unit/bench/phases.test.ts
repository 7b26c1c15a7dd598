import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cpuPerOrder, growth, judgeStep } from '../../../src/bench/phases.ts'

const base = { targetPerSec: 100, windowS: 10, acceptedPerSec: 100, finishedPerSec: 99, backlogGrowth: 0, lagGrowth: 0, errors: 0, dropped: 0 }

test('growth compares the last third of the samples with the first third', () => {
  assert.equal(growth([0, 0, 0, 5, 5, 5, 10, 10, 10]), 10)
  assert.equal(growth([3, 1, 3, 1, 3, 1]), 0)
  assert.equal(growth([]), 0)
})

test('a step is sustained when orders finish as fast as they come and nothing piles up', () => {
  assert.deepEqual(judgeStep(base, 6), { sustained: true, why: null })
  assert.equal(judgeStep({ ...base, errors: 2 }, 6).sustained, false)
  assert.equal(judgeStep({ ...base, dropped: 1 }, 6).sustained, false)
  assert.match(judgeStep({ ...base, finishedPerSec: 80 }, 6).why ?? '', /terminou 80/)
  assert.match(judgeStep({ ...base, backlogGrowth: 60 }, 6).why ?? '', /inacabados/)
  // Up to half a second of records is commit saw-tooth, not growth.
  assert.equal(judgeStep({ ...base, lagGrowth: 250 }, 6).sustained, true)
  assert.match(judgeStep({ ...base, lagGrowth: 400 }, 6).why ?? '', /lag/)
})

test('cpuPerOrder: the shop\'s processes\' cores × 1000 ÷ orders per second, each and in total; the rest left out', () => {
  const cpu = { seconds: 10, cores: { inventory: 0.3, postgres: 0.5, bench: 0.2, prometheus: 0.1 }, machineCores: 1.2, otherCores: 0.1, machineBusyShare: 0.6 }
  const shop = (n: string): boolean => n !== 'bench' && n !== 'prometheus'
  assert.deepEqual(cpuPerOrder(cpu, 100, shop), { total: 8, byProcess: { inventory: 3, postgres: 5 } })
  assert.deepEqual(cpuPerOrder(cpu, 0, shop), { total: 0, byProcess: { inventory: 0, postgres: 0 } })
})
