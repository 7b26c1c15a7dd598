import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { AppComponent } from '../../src/apps.ts'
import { appSettings, killApp, startApp, stopApp } from '../../src/apps.ts'
import { freePort, isAlive, portInUse, readPid } from '../../src/proc.ts'
import type { StackSettings } from '../../src/settings.ts'

// How the supervisor starts, kills and restarts one app, with small stand-in programs (no stack).

// Answers /health on PORT once MARKER exists; exits at once (as a service whose registry is not up) before.
const SERVER = `
const fs = require('node:fs')
if (process.env.MARKER && !fs.existsSync(process.env.MARKER)) process.exit(3)
require('node:http').createServer((req, res) => res.end('{}')).listen(Number(process.env.PORT), '127.0.0.1')
`

function setup (t: { after: (fn: () => void) => void }): { dir: string, s: StackSettings, server: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-apps-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
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
  t.after(async () => { await stopApp(a, c.name, 2000) })
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
  t.after(async () => { await stopApp(a, c.name, 2000) })
  const stackReady = new Promise<void>(resolve => setTimeout(() => { writeFileSync(marker, ''); resolve() }, 1500))
  await startApp(s, a, c, { stackReady })
  assert.ok(existsSync(marker))
  assert.equal(await portInUse(c.port), true)

  // Without a stack to wait for, the same exit is an error naming the app.
  rmSync(marker)
  const d = await component('late', process.execPath, [server])
  await assert.rejects(startApp(s, a, d), /late exited during start-up/)
})
