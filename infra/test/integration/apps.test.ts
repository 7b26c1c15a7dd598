import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { appSettings, apps, killApp, startApp, stopApp } from '../../src/apps.ts'
import { commandLine, freePort, listeners, portInUse, readPid } from '../../src/proc.ts'
import { loadSettings } from '../../src/settings.ts'
import { cleanup } from '../../src/testing/stack-env.ts'

// The UI as `make demo` starts it (a vite build, then vite preview), on a port and state folder of its own.

test('the web\'s pid file names vite preview, the process that listens: make kill S=web frees its port', { timeout: 240_000 }, async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-web-'))
  cleanup(t, () => rmSync(stateDir, { recursive: true, force: true }))
  const s = loadSettings({ stateDir })
  const a = appSettings(s, { stateDir, ports: { web: await freePort(), gateway: await freePort() }, only: ['web'] })
  const [web] = apps(a)
  assert.ok(web, 'web/ has a start script')
  cleanup(t, async () => { await stopApp(a, 'web', 2000) })
  await startApp(s, a, web)
  const pid = readPid(stateDir, 'web')!
  assert.deepEqual(listeners([web.port]).get(web.port), [pid], 'the listener is the pid file\'s process, not a child of it')
  assert.match(commandLine(pid).join(' '), /vite\.js preview --outDir /)
  // Built into the state folder, not web/dist of the source tree.
  assert.ok(existsSync(join(stateDir, 'web-dist', 'index.html')))
  assert.equal(await killApp(a, 'web'), pid)
  assert.equal(await portInUse(web.port), false)
})
