import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RESULTS_DIR, parseArgs, plan } from '../../../src/bench/run.ts'

test('arguments: --quick, --profile and --out', () => {
  assert.deepEqual(parseArgs([]), { quick: false, profile: false, outDir: RESULTS_DIR })
  assert.deepEqual(parseArgs(['--quick', '--out', '/tmp/x', '--profile']), { quick: true, profile: true, outDir: '/tmp/x' })
  assert.match(RESULTS_DIR, /infra\/bench-results$/)
})

test('--quick measures less of everything, with the same record size and order mix', () => {
  const quick = plan(true)
  const full = plan(false)
  assert.ok(quick.ceilingRecords < full.ceilingRecords && quick.clientRecords < full.clientRecords)
  assert.ok(quick.search.maxSteps < full.search.maxSteps && quick.search.windowS < full.search.windowS)
  assert.ok(quick.latencyS < full.latencyS && quick.httpS < full.httpS)
  assert.deepEqual(quick.mix, full.mix)
})
