#!/usr/bin/env node
// Runs a package's node:test files of one kind: `vitrine-test unit` runs test/unit/**/*.test.ts.
// Node 20's --test takes no glob, so the files are found here. Kinds: unit, integration (make test),
// e2e (web, make test) and full (heavy suites only `make test-full` runs: fault matrix, long scenarios).
import { readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

const kind = process.argv[2] ?? 'unit'
const dir = join(process.cwd(), 'test', kind)
const files = existsSync(dir)
  ? readdirSync(dir, { recursive: true }).map(String).filter(f => /\.test\.ts$/.test(f)).sort().map(f => join(dir, f))
  : []
if (files.length === 0) {
  console.log(`no ${kind} tests in ${process.cwd()}`)
  process.exit(0)
}
const args = ['--import', 'tsx', '--test', '--test-concurrency=1', ...(process.env.TEST_REPORTER ? [`--test-reporter=${process.env.TEST_REPORTER}`] : []), ...files]
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { UV_THREADPOOL_SIZE: '32', ...process.env } })
process.exit(r.status ?? 1)
