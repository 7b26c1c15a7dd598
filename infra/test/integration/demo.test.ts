import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { DEFAULT_APP_PORTS } from '../../src/apps.ts'
import { TSX_LOADER, freePort, isAlive, listeners, pidFile, portInUse, readPid, sleep, spawnDetached, stopGroup } from '../../src/proc.ts'
import { ROOT, appPortOffset, bootstrapServers, loadSettings, registryUrl } from '../../src/settings.ts'
import { down } from '../../src/stack.ts'
import { sharedSettings } from '../../src/testing/index.ts'

// A failed `make demo` leaves nothing behind that it started: demo.ts run as `make demo` runs it, on a
// state folder and ports of its own, with its own PostgreSQL (the shared Kafka and registry only
// used, as external servers) and every service made to exit at boot (an invalid LOG_LEVEL, checked
// before a service connects to anything). What ran before the demo (here a stand-in gateway) stays.

const SERVER = "require('node:http').createServer((req, res) => res.end('{}')).listen(Number(process.env.PORT), '127.0.0.1')"

/**
 * An APP_PORT_OFFSET whose ports are all free: the apps' defaults moved by it, and the other
 * components it moves (Prometheus, Alertmanager, Flink, Connect), which the demo starts too. Offsets
 * land in the ephemeral range, where any outgoing connection may hold a port: one taken there made
 * Prometheus fail first, before the services this test makes fail.
 */
async function freeOffset (): Promise<number> {
  for (;;) {
    const offset = 20_000 + Math.floor(Math.random() * 360) * 100 // at most 55,900: settings refuse more
    const here = loadSettings()
    const shift = offset - appPortOffset()
    const ports = [...Object.values(DEFAULT_APP_PORTS).map(p => p + offset), ...[here.prometheusPort, here.alertmanagerPort, here.flinkGatewayPort, here.flinkUiPort, here.connectPort].map(p => p + shift)]
    if ((await Promise.all(ports.map(async p => await portInUse(p)))).every(used => !used)) return offset
  }
}

test('a demo start that fails stops what that run started, leaves no port of ours, and says why in one line', { timeout: 300_000 }, async (t) => {
  const offset = await freeOffset()
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-demo-'))
  // PostgreSQL runs as its own user when we are root and must reach its data folder.
  chmodSync(stateDir, 0o755)
  const appPorts = Object.fromEntries(Object.entries(DEFAULT_APP_PORTS).map(([name, p]) => [name, p + offset]))
  const s = loadSettings({ stateDir, pgPort: await freePort() })
  const shared = sharedSettings()
  t.after(async () => {
    // Only a safety net: this run's own state folder and ports, never the shared stack's.
    const saved = [process.env.KAFKA_BROKERS, process.env.SCHEMA_REGISTRY_URL]
    process.env.KAFKA_BROKERS = bootstrapServers(shared)
    process.env.SCHEMA_REGISTRY_URL = registryUrl(shared)
    try {
      await down(s, Object.entries(appPorts).map(([name, port]) => ({ name, ports: [port] })))
    } finally {
      for (const [i, name] of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'].entries()) {
        if (saved[i] === undefined) Reflect.deleteProperty(process.env, name)
        else process.env[name] = saved[i]
      }
    }
    rmSync(stateDir, { recursive: true, force: true })
  })

  // Running before the demo: a gateway stand-in with its pid file, answering /health. Left alone.
  const server = join(stateDir, 'gateway-stand-in.cjs')
  writeFileSync(server, SERVER)
  const gateway = spawnDetached(stateDir, 'gateway', process.execPath, [server], { env: { PORT: String(appPorts.gateway) } })
  t.after(async () => { await stopGroup(gateway, 2000) })
  while (!(await portInUse(appPorts.gateway!))) await sleep(50)

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VITRINE_STATE_DIR: stateDir,
    PG_PORT: String(s.pgPort),
    APP_PORT_OFFSET: String(offset),
    KAFKA_BROKERS: bootstrapServers(shared),
    SCHEMA_REGISTRY_URL: registryUrl(shared),
    LOG_LEVEL: 'not-a-level',
    DEMO_RATE: '0'
  }
  for (const name of ['DATABASE_URL', 'CONTROL_PORT', 'VITRINE_DEBUG', 'NODE_TEST_CONTEXT']) Reflect.deleteProperty(env, name)
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(ROOT, 'infra/src/demo.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  const output = `--- stdout\n${stdout}\n--- stderr\n${stderr}`

  assert.equal(code, 1, output)
  // This run did start PostgreSQL (the services only died after it was up) ...
  assert.match(stdout, /Iniciando PostgreSQL/, output)
  // ... and stopped it and the services again, saying so.
  assert.match(stdout, /parado o que esta tentativa iniciou: .*postgres/, output)
  // One line, in Portuguese, naming a service that died; no stack trace, no "what is up keeps running".
  const failure = stderr.trim().split('\n').filter(l => l.trim() !== '')
  assert.equal(failure.length, 1, output)
  assert.match(failure[0]!, /^✘ \S+ parou durante a partida \(porta \d+\).*; corrija-o e tente de novo/, output)
  assert.doesNotMatch(stderr, /\n\s+at /, output)
  assert.doesNotMatch(stderr, /continua rodando/, output)

  // Nothing of ours left: no port listening, no pid file naming a process of this run.
  const ours = [s.pgPort, ...Object.entries(appPorts).filter(([name]) => name !== 'gateway').map(([, p]) => p)]
  for (const port of ours) assert.equal(await portInUse(port), false, `port ${port} still listens: ${JSON.stringify([...listeners([port])])}`)
  for (const name of ['postgres', 'inventory', 'payment', 'notification', 'orchestrator', 'checkout-api', 'control', 'web']) {
    assert.equal(existsSync(pidFile(stateDir, name)), false, `${name}.pid left behind`)
  }
  // What ran before the demo still runs, its pid file untouched.
  assert.equal(readPid(stateDir, 'gateway'), gateway)
  assert.equal(isAlive(gateway), true)
  assert.equal(await portInUse(appPorts.gateway!), true)
})
