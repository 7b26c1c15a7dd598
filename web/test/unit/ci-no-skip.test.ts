import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// CI cannot pass by skipping: with CI=true a browser suite without Chromium fails; without CI it is skipped (and says why).
const SUITE = fileURLToPath(new URL('../e2e/console.test.ts', import.meta.url))

function runWithoutChromium (ci: string): { status: number | null, output: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium', CI: ci }
  // Set by node --test for its own children; the suite run here must report on its own.
  delete env.NODE_TEST_CONTEXT
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', SUITE], { env, encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` }
}

test('with CI=true, the browser suite fails when Chromium is missing, naming it', { timeout: 150_000 }, () => {
  const r = runWithoutChromium('true')
  assert.notEqual(r.status, 0, r.output.slice(-2000))
  assert.match(r.output, /cannot be skipped: chromium is not installed at \/nonexistent\/chromium/)
})

test('without CI, the same suite is skipped with the reason', { timeout: 150_000 }, () => {
  const r = runWithoutChromium('')
  assert.equal(r.status, 0, r.output.slice(-2000))
  assert.match(r.output, /# SKIP chromium is not installed/)
  assert.match(r.output, /# pass 0/)
})
