import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { databaseUrl, registryUrl } from '../../../src/settings.ts'
import { sharedSettings, testAdmin } from '../../../src/testing/stack-env.ts'
import type { BenchResult } from '../../../src/bench/report.ts'
import { sanityProblems } from '../../../src/bench/report.ts'

// A smoke run of `make bench BENCH_ARGS=--quick` (make test-full: about five minutes): every figure present and sane, and nothing left
// behind. It never asks for a speed: this machine is shared and its speed changes all the time.

const RUN = fileURLToPath(new URL('../../../src/bench/run.ts', import.meta.url))

test('bench --quick measures every figure, writes its JSON and removes what it made', { timeout: 420_000 }, async t => {
  const s = sharedSettings()
  const admin = testAdmin(t, s)
  const out = mkdtempSync(join(tmpdir(), 'vitrine-bench-'))
  t.after(() => rmSync(out, { recursive: true, force: true }))

  const child = spawn(process.execPath, ['--import', 'tsx', RUN, '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  assert.equal(code, 0, `bench --quick failed:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`)

  const files = readdirSync(out).filter(f => f.endsWith('-quick.json'))
  assert.equal(files.length, 1, 'one JSON file for the run')
  assert.ok(!readdirSync(out).includes('history.jsonl'), 'a quick run is not added to the committed history')
  const r = JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as BenchResult
  assert.deepEqual(sanityProblems(r), [])
  assert.equal(r.mode, 'quick')
  assert.ok(r.machine.cores > 0 && r.machine.memoryGb > 0 && r.machine.kafka !== 'unknown' && r.machine.java !== 'unknown')
  assert.equal(r.goals.length, 8)
  assert.deepEqual(r.cleanupProblems, [])
  for (const id of ['M0', 'M1', 'M2', 'M3', 'M4', 'M5']) assert.match(stdout, new RegExp(`^${id} `, 'm'), `the table has a ${id} line`)
  assert.match(stdout, /Metas atingidas: \d+ de \d+/)

  // Nothing of the run is left: topics, consumer groups, registry subjects, database schemas.
  const prefix = String(r.settings.topicPrefix)
  const groupSuffix = String(r.settings.groupSuffix)
  const schemaSuffix = String(r.settings.schemaSuffix)
  assert.match(prefix, /^bench[0-9a-f]{8}\.$/)
  assert.deepEqual((await admin.listTopics()).filter(n => n.startsWith(prefix) || n.startsWith('bench.client-')), [])
  assert.deepEqual([...(await admin.listGroups()).keys()].filter(g => g.endsWith(groupSuffix)), [])
  const subjects = await (await fetch(`${registryUrl(s)}/subjects`)).json() as string[]
  assert.deepEqual(subjects.filter(n => n.startsWith(prefix)), [])
  const sql = postgres(databaseUrl(s), { max: 1, onnotice: () => {} })
  t.after(async () => { await sql.end({ timeout: 5 }) })
  const schemas = await sql`select schema_name from information_schema.schemata where schema_name like ${'%' + schemaSuffix}`
  assert.deepEqual(schemas.map(x => x.schema_name), [])
})
