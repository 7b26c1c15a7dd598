import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import postgres from 'postgres'
import { ROOT, loadSettings } from '../../src/settings.ts'
import type { StackSettings } from '../../src/settings.ts'
import { isAlive, listeners, nodeTs, portInUse, readPid } from '../../src/proc.ts'
import { components, down } from '../../src/stack.ts'
import { postgresHome, removeOutsideHome } from '../../src/postgres-host.ts'

// A newcomer's first run, on private ports and state folders (the shared stack on the default
// ports is never touched): a clone inside a folder only its owner can enter starts and stops,
// and a start that fails halfway leaves nothing of ours running.

// KAFKA_AUTH and HTTP_AUTH too (make test sets them to none): a newcomer's start has the defaults, SCRAM and JWT.
const EXTERNAL_VARS = ['KAFKA_BROKERS', 'DATABASE_URL', 'SCHEMA_REGISTRY_URL', 'VITRINE_STATE_DIR', 'BROKERS', 'RECREATE', 'KAFKA_AUTH', 'HTTP_AUTH']

function stackEnv (base: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of EXTERNAL_VARS) Reflect.deleteProperty(env, name)
  // Under node:test the progress lines would go to stderr; the CLI must run as a user sees it.
  Reflect.deleteProperty(env, 'NODE_TEST_CONTEXT')
  // LITE=1: no Flink and no Kafka Connect, which these start-up checks do not need (1.3 GB of heap). Every
  // port private (Prometheus's and Alertmanager's too): down() would otherwise stop the shared stack's.
  return { ...env, KAFKA_PORT: String(base), PG_PORT: String(base + 341), SCHEMA_REGISTRY_PORT: String(base + 342), SCHEMA_REGISTRY_BACKEND_PORT: String(base + 343), KAFKA_HEAP_MB: '384', LITE: '1', PROMETHEUS_PORT: String(base + 344), ALERTMANAGER_PORT: String(base + 345), FLINK_SQL_GATEWAY_PORT: String(base + 346), CONNECT_PORT: String(base + 347), FLINK_UI_PORT: String(base + 350), ...extra }
}

function settingsFor (base: number, stateDir: string): StackSettings {
  return loadSettings({ stateDir, kafkaPort: base, pgPort: base + 341, registryPort: base + 342, registryBackendPort: base + 343, brokers: 1, lite: true, prometheusPort: base + 344, alertmanagerPort: base + 345, flinkGatewayPort: base + 346, connectPort: base + 347, flinkUiPort: base + 350 })
}

async function listening (s: StackSettings): Promise<number[]> {
  const ports = components(s).flatMap(c => c.ports)
  const open: number[] = []
  for (const port of ports) if (await portInUse(port)) open.push(port)
  return open
}

/** Hard-linked copy (same file system: seconds, not a download): what is under test is where the files are, not fetching them. */
function linkCopy (from: string, to: string): void {
  if (!existsSync(from)) return
  mkdirSync(join(to, '..'), { recursive: true })
  // Across file systems hard links fail: a plain copy then (slower, same result).
  if (spawnSync('cp', ['-al', from, to], { stdio: 'ignore' }).status !== 0) {
    rmSync(to, { recursive: true, force: true })
    execFileSync('cp', ['-a', from, to])
  }
}

test('a clone inside a folder only root can enter starts with `make up` (PostgreSQL included) and `make down` leaves nothing listening', { timeout: 420_000, skip: process.platform !== 'linux' && 'reads /proc' }, async t => {
  const base = 25092
  const parent = mkdtempSync(join(tmpdir(), 'vitrine-private-'))
  assert.equal(statSync(parent).mode & 0o777, 0o700, 'mkdtemp should give a private folder')
  const clone = join(parent, 'vitrine')
  const s = settingsFor(base, join(clone, '.vitrine'))
  t.after(async () => {
    // Whatever happened, nothing of the clone keeps running and its files go (PostgreSQL's may live outside it).
    await down(s).catch(() => {})
    spawnSync(process.execPath, nodeTs(join(clone, 'infra/src/cli.ts'), ['clean']).args, { cwd: clone, env: stackEnv(base), stdio: 'ignore' })
    rmSync(parent, { recursive: true, force: true })
  })
  execFileSync('git', ['clone', '--quiet', ROOT, clone])
  // What `make setup` would install, from this checkout: node_modules of the workspace and the downloaded jars.
  // Every workspace package's node_modules: infra imports the kit (and so needs the kit's dependencies), as a real install has.
  const packages = ['contracts', 'infra', 'web', ...readdirSync(join(ROOT, 'services')).map(d => `services/${d}`)]
  for (const dir of ['node_modules', ...packages.map(p => `${p}/node_modules`), 'infra/kafka/target', 'infra/registry/target']) linkCopy(join(ROOT, dir), join(clone, dir))
  // Fresh copies (not links) so make sees them newer than the freshly checked-out lock file and poms.
  for (const file of ['node_modules/.modules.yaml', 'infra/kafka/target/lib.stamp']) {
    rmSync(join(clone, file), { force: true })
    copyFileSync(join(ROOT, file), join(clone, file))
  }

  const up = spawnSync('make', ['--no-print-directory', 'up'], { cwd: clone, env: stackEnv(base), encoding: 'utf8', timeout: 300_000 })
  const upOut = `${up.stdout}${up.stderr}`
  assert.equal(up.status, 0, `make up failed:\n${upOut}`)
  assert.doesNotMatch(upOut, /EACCES|\n\s+at /, 'make up printed a permission error or a stack trace')

  // PostgreSQL really runs: the application's role answers, and the pid file names the process that listens.
  const sql = postgres({ host: 'localhost', port: s.pgPort, user: 'vitrine', password: 'vitrine', database: 'vitrine', max: 1, onnotice: () => {} })
  try {
    const [row] = await sql`select current_user as who`
    assert.equal(row?.who, 'vitrine')
  } finally {
    await sql.end({ timeout: 2 })
  }
  const pgPid = readPid(s.stateDir, 'postgres')
  assert.ok(pgPid !== undefined, 'no postgres pid file')
  assert.deepEqual(listeners([s.pgPort]).get(s.pgPort), [pgPid], 'the postgres pid file does not hold the process listening on its port')
  const registryPid = readPid(s.stateDir, 'registry')
  assert.deepEqual(listeners([s.registryPort]).get(s.registryPort), [registryPid], 'the registry pid file does not hold the process listening on its port')
  if (process.getuid?.() === 0) {
    // The postgres user cannot enter the clone: its files were placed outside, and the log says where.
    const home = postgresHome(s)
    assert.ok(!home.startsWith(parent), `PostgreSQL's folder ${home} is inside the private folder`)
    assert.match(upOut, new RegExp(`binários e dados em ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  }

  // The default start is the secure one: SCRAM users and the catalog's ACLs, and the admin tool logs in by itself.
  assert.match(upOut, /ACLs: \d+ criadas/, 'make up did not apply the ACLs of KAFKA_AUTH=scram (the default)')
  const topics = spawnSync(join(clone, 'infra/bin/kafka'), ['topics', '--bootstrap-server', `localhost:${base}`, '--list'], { cwd: clone, env: stackEnv(base), encoding: 'utf8', timeout: 60_000 })
  assert.equal(topics.status, 0, `infra/bin/kafka topics --list failed on the SCRAM cluster:\n${topics.stdout}${topics.stderr}`)
  assert.match(topics.stdout, /^orders\.new$/m)
  // A command naming the other mode while this stack runs (make test's none) is refused before it starts anything.
  const other = spawnSync('make', ['--no-print-directory', 'up'], { cwd: clone, env: stackEnv(base, { KAFKA_AUTH: 'none' }), encoding: 'utf8', timeout: 120_000 })
  assert.notEqual(other.status, 0, `KAFKA_AUTH=none make up on a running SCRAM stack succeeded:\n${other.stdout}${other.stderr}`)
  assert.match(`${other.stdout}${other.stderr}`, /já roda com KAFKA_AUTH=scram, e este comando pediu KAFKA_AUTH=none: pare tudo com `make down`/)

  const downRun = spawnSync('make', ['--no-print-directory', 'down'], { cwd: clone, env: stackEnv(base), encoding: 'utf8', timeout: 120_000 })
  assert.equal(downRun.status, 0, `make down failed:\n${downRun.stdout}${downRun.stderr}`)
  assert.match(downRun.stdout, /nada ficou para trás/)
  assert.deepEqual(await listening(s), [], 'ports still listening after make down')
  assert.equal(isAlive(pgPid), false, 'postgres still runs after make down')
})

test('PostgreSQL failing at start: one clear line, a non-zero exit, and the Kafka this run started is stopped', { timeout: 180_000, skip: process.platform !== 'linux' && 'reads /proc' }, async t => {
  const base = 27092
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-test-'))
  // Open to the postgres user, so the server is started on the broken folder below.
  chmodSync(stateDir, 0o755)
  const s = settingsFor(base, stateDir)
  t.after(async () => {
    await down(s).catch(() => {})
    removeOutsideHome(s)
    rmSync(stateDir, { recursive: true, force: true })
  })
  // A data folder that says it is PostgreSQL 17 and holds nothing else: the server refuses to start on it.
  const data = join(stateDir, 'postgres', 'data')
  mkdirSync(join(stateDir, 'postgres'))
  mkdirSync(data, { mode: 0o700 })
  writeFileSync(join(data, 'PG_VERSION'), '17\n')
  writeFileSync(join(data, 'postgresql.conf'), 'this is not a setting\n')

  const { command, args } = nodeTs(join(ROOT, 'infra/src/cli.ts'), ['up'])
  const r = spawnSync(command, args, { cwd: ROOT, env: stackEnv(base, { VITRINE_STATE_DIR: stateDir }), encoding: 'utf8', timeout: 150_000 })
  assert.notEqual(r.status, 0, `cli up succeeded on a broken data folder:\n${r.stdout}${r.stderr}`)
  const errorLines = r.stderr.split('\n').filter(l => l.trim() !== '')
  assert.equal(errorLines.length, 1, `expected one line on stderr, got:\n${r.stderr}`)
  assert.match(errorLines[0]!, /^✘ PostgreSQL .*make clean/)
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'a stack trace was printed')
  // Kafka started in this run (at the same time as PostgreSQL) and was stopped again.
  assert.match(r.stdout, /Iniciando Kafka/)
  assert.match(r.stdout, /parado o que esta tentativa iniciou: .*kafka-1/)
  assert.deepEqual(await listening(s), [], 'a port of ours still listens after the failed start')
  for (const name of ['kafka-1', 'postgres']) assert.equal(readPid(stateDir, name), undefined, `${name} still has a pid file`)
  assert.ok(existsSync(join(data, 'PG_VERSION')), 'the data folder was removed: a failed start must not delete data')
  assert.equal(readFileSync(join(data, 'postgresql.conf'), 'utf8'), 'this is not a setting\n')
})
