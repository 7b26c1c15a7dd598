import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import type { AppComponent } from '../../src/apps.ts'
import { appEnv, appSettings, killApp, startApp, stopApp } from '../../src/apps.ts'
import { PortTakenError, freePort, isAlive, pidFile, portInUse, readPid, spawnDetached, stopGroup } from '../../src/proc.ts'
import { ComponentDiedError } from '../../src/stack.ts'
import { cleanup } from '../../src/testing/stack-env.ts'
import type { StackSettings } from '../../src/settings.ts'
import { loadSettings } from '../../src/settings.ts'

// How the supervisor starts, kills and restarts one app, with small stand-in programs (no stack).

// Answers /health on PORT once MARKER exists; exits at once (as a service whose registry is not up) before.
const SERVER = `
const fs = require('node:fs')
if (process.env.MARKER && !fs.existsSync(process.env.MARKER)) process.exit(3)
require('node:http').createServer((req, res) => res.end('{}')).listen(Number(process.env.PORT), '127.0.0.1')
`

function setup (t: TestContext): { dir: string, s: StackSettings, server: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-apps-'))
  cleanup(t, () => rmSync(dir, { recursive: true, force: true }))
  const server = join(dir, 'server.cjs')
  writeFileSync(server, SERVER)
  return { dir, s: { stateDir: dir } as StackSettings, server }
}

async function component (name: string, command: string, args: string[]): Promise<AppComponent> {
  const port = await freePort()
  return { name, port, url: `http://127.0.0.1:${port}`, command, args, cwd: tmpdir() }
}

test('kill is SIGKILL to the whole process group: a wrapper and the server it started both die, the port is free', async (t) => {
  const { dir, s, server } = setup(t)
  // A shell that starts the real server as its child, like pnpm → sh → vite for the UI.
  const c = await component('wrapped', 'sh', ['-c', `'${process.execPath}' '${server}' & wait`])
  const a = appSettings(s, { stateDir: dir, env: {} })
  cleanup(t, async () => { await stopApp(a, c.name, 2000) })
  await startApp(s, a, c)
  assert.equal(await portInUse(c.port), true)
  const wrapper = readPid(dir, c.name)!
  const killed = await killApp(a, c.name)
  assert.equal(killed, wrapper)
  assert.equal(isAlive(wrapper), false)
  assert.equal(await portInUse(c.port), false, 'the child that listened died with its wrapper')
  // The pid file stays: status reports the component as dead, not as never started.
  assert.equal(readPid(dir, c.name), wrapper)
})

test('an app that exits while the stack is still starting is started again once the stack is ready', async (t) => {
  const { dir, s, server } = setup(t)
  const marker = join(dir, 'registry-up')
  const c = await component('early', process.execPath, [server])
  const a = appSettings(s, { stateDir: dir, env: { MARKER: marker } })
  cleanup(t, async () => { await stopApp(a, c.name, 2000) })
  const stackReady = new Promise<void>(resolve => setTimeout(() => { writeFileSync(marker, ''); resolve() }, 1500))
  await startApp(s, a, c, { stackReady })
  assert.ok(existsSync(marker))
  assert.equal(await portInUse(c.port), true)

  // Without a stack to wait for, the same exit is an error naming the app.
  rmSync(marker)
  const d = await component('late', process.execPath, [server])
  await assert.rejects(startApp(s, a, d), (err: Error) => {
    assert.ok(err instanceof ComponentDiedError)
    // One pt-BR line (the CLI shows only the first) naming the app, its port and its log; the log's end in detail.
    assert.equal(err.message.includes('\n'), false, err.message)
    assert.match(err.message, new RegExp(`^late parou durante a partida \\(porta ${d.port}\\); o motivo está em .*late\\.log`))
    assert.equal(typeof err.detail, 'string')
    return true
  })
})

test('a half-dead app (its pid file names a dead process, a child of ours still serves its port) is stopped and started again', async (t) => {
  const { dir, s, server } = setup(t)
  const c = await component('halfdead', process.execPath, [server])
  const a = appSettings(s, { stateDir: dir, env: {} })
  cleanup(t, async () => { await stopApp(a, c.name, 2000) })
  // The orphan: our server (its program lives in the state folder) on the app's port, under another name.
  const orphan = spawnDetached(dir, 'orphan', process.execPath, [server], { env: { PORT: String(c.port) } })
  cleanup(t, async () => { await stopGroup(orphan, 2000) })
  while (!(await portInUse(c.port))) await new Promise(resolve => setTimeout(resolve, 50))
  // The app's own pid file names a process that is gone (the wrapper a runbook's kill -9 hit).
  writeFileSync(pidFile(dir, c.name), '999999')
  await startApp(s, a, c)
  assert.equal(isAlive(orphan), false, 'the leftover on the port was stopped')
  const pid = readPid(dir, c.name)!
  assert.notEqual(pid, 999999)
  assert.ok(isAlive(pid))
  assert.equal(await portInUse(c.port), true)
})

test('a port held by a program that is not ours is refused with one line naming it, and the program is left alone', async (t) => {
  const { dir, s } = setup(t)
  const c = await component('blocked', process.execPath, ['-e', ''])
  const a = appSettings(s, { stateDir: dir, env: {} })
  // Started from outside the project and the state folder: not ours.
  const stranger = spawn(process.execPath, ['-e', SERVER], { env: { ...process.env, PORT: String(c.port) }, cwd: tmpdir(), stdio: 'ignore' })
  cleanup(t, () => { stranger.kill('SIGKILL') })
  while (!(await portInUse(c.port))) await new Promise(resolve => setTimeout(resolve, 50))
  await assert.rejects(startApp(s, a, c), (err: Error) => {
    assert.ok(err instanceof PortTakenError)
    assert.match(err.message, new RegExp(`^A porta ${c.port} está ocupada por pid ${stranger.pid} .*não é deste projeto`))
    assert.equal(err.message.includes('\n'), false)
    return true
  })
  assert.equal(isAlive(stranger.pid!), true)
  assert.equal(readPid(dir, c.name), undefined, 'nothing was started')
})

test('appEnv gives the apps this stack\'s Flink SQL Gateway (its port moves with APP_PORT_OFFSET)', () => {
  const names = ['FLINK_SQL_GATEWAY_URL', 'FLINK_SQL_GATEWAY_PORT', 'APP_PORT_OFFSET'] as const
  const saved = names.map(n => [n, process.env[n]] as const)
  for (const n of names) Reflect.deleteProperty(process.env, n)
  try {
    process.env.APP_PORT_OFFSET = '1000'
    assert.equal(appEnv(loadSettings({ stateDir: tmpdir() })).FLINK_SQL_GATEWAY_URL, 'http://127.0.0.1:9183')
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) Reflect.deleteProperty(process.env, n)
      else process.env[n] = v
    }
  }
})
