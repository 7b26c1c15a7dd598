#!/usr/bin/env node
// Runs a package's node:test files of one kind: `vitrine-test unit` runs test/unit/**/*.test.ts.
// Node 20's --test takes no glob, so the files are found here. Kinds: unit, integration (make test),
// e2e (web, make test) and full (heavy suites only `make test-full` runs: fault matrix, long scenarios).
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { spawn } from 'node:child_process'

const kind = process.argv[2] ?? 'unit'
const dir = join(process.cwd(), 'test', kind)
const files = existsSync(dir)
  ? readdirSync(dir, { recursive: true }).map(String).filter(f => /\.test\.ts$/.test(f)).sort().map(f => join(dir, f))
  : []
if (files.length === 0) {
  console.log(`no ${kind} tests in ${process.cwd()}`)
  process.exit(0)
}
// Unit files are independent and mostly pay for loading TypeScript: two at a time. The others share a
// broker and a database and are timed against them: one at a time.
const base = ['--import', 'tsx', '--test', `--test-concurrency=${kind === 'unit' ? 2 : 1}`, ...(process.env.TEST_REPORTER ? [`--test-reporter=${process.env.TEST_REPORTER}`] : [])]
// A suite that stops printing for this long is stuck (a hook awaiting a client that never answers:
// node:test's own timeouts do not cover hooks). It is stopped and fails, naming its last line, instead
// of holding CI until its 90-minute limit.
const silenceMs = Number(process.env.VITRINE_TEST_SILENCE_MS ?? 15 * 60_000)
// A folder the run's files share and the run removes: what every file would otherwise redo, done once
// (the web app's build, web/test/e2e/helpers.ts).
const runDir = mkdtempSync(join(tmpdir(), 'vitrine-test-run-'))

function run (list) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [...base, ...list], { stdio: ['inherit', 'pipe', 'pipe'], detached: true, env: { UV_THREADPOOL_SIZE: '32', ...process.env, VITRINE_TEST_RUN_DIR: runDir } })
    let last = ''
    let heard = Date.now()
    const hear = (out) => (chunk) => {
      heard = Date.now()
      const text = chunk.toString()
      const lines = text.trim().split('\n')
      last = lines[lines.length - 1] || last
      out.write(chunk)
    }
    child.stdout.on('data', hear(process.stdout))
    child.stderr.on('data', hear(process.stderr))
    let stuck = false
    const watchdog = setInterval(() => {
      if (Date.now() - heard < silenceMs) return
      stuck = true
      console.error(`\nvitrine-test: nothing printed for ${Math.round(silenceMs / 1000)} s; the suite is stuck and is stopped. Last line: ${last}`)
      try { process.kill(-child.pid, 'SIGKILL') } catch {}
    }, 5_000)
    child.on('exit', (code, signal) => {
      clearInterval(watchdog)
      resolve(stuck ? 1 : code ?? (signal ? 1 : 0))
    })
  })
}

// Unit files: one run, two at a time. The others: one file per run, timed, so every CI log says where
// make test's 30 minutes go (the table at the end).
const times = []
let failed = 0
if (kind === 'unit') {
  failed = await run(files)
} else {
  for (const file of files) {
    const started = Date.now()
    const code = await run([file])
    times.push({ file: relative(process.cwd(), file), seconds: (Date.now() - started) / 1000, code })
    if (code !== 0) failed = code
  }
  const total = times.reduce((n, t) => n + t.seconds, 0)
  console.log(`\n# vitrine-test ${kind} in ${JSON.parse(readFileSync('package.json', 'utf8')).name}: ${times.length} files, ${total.toFixed(0)} s`)
  for (const t of [...times].sort((a, b) => b.seconds - a.seconds)) console.log(`#   ${t.seconds.toFixed(1).padStart(6)} s  ${t.code === 0 ? 'ok    ' : 'FAILED'}  ${t.file}`)
}
rmSync(runDir, { recursive: true, force: true })
process.exit(failed)
