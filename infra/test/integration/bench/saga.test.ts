import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { BenchSaga } from '../../../src/bench/saga.ts'
import { isAlive, isOurs, portInUse, readPid } from '../../../src/proc.ts'
import { bootstrapServers, databaseUrl, loadSettings, registryUrl } from '../../../src/settings.ts'
import { down, ourRoots } from '../../../src/stack.ts'
import { cleanup, sharedSettings, testAdmin } from '../../../src/testing/index.ts'

// A benchmark that dies without stopping its services (SIGKILL, a crash) must not leave them
// listening unseen: they listen on random ports, so `make down` finds them by their pid files.

const EXTERNAL = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL'] as const

test('a benchmark service left running is ours, has a pid file, and down stops it', { timeout: 240_000 }, async t => {
  const shared = sharedSettings()
  const admin = testAdmin(t, shared)
  // down() on a state folder of its own, with the shared stack marked external: only the benchmark's service is in reach.
  const saved = EXTERNAL.map(name => [name, process.env[name]] as const)
  process.env.KAFKA_BROKERS = bootstrapServers(shared)
  process.env.SCHEMA_REGISTRY_URL = registryUrl(shared)
  process.env.DATABASE_URL = databaseUrl(shared)
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-bench-saga-'))
  const saga = BenchSaga.create(loadSettings({ stateDir }))
  // After the services stop and before the admin closes (cleanup runs last registered first).
  cleanup(t, async () => {
    await saga.stop()
    const problems = await saga.cleanup(admin)
    rmSync(stateDir, { recursive: true, force: true })
    for (const [name, value] of saved) {
      if (value === undefined) Reflect.deleteProperty(process.env, name)
      else process.env[name] = value
    }
    assert.deepEqual(problems, [])
  })

  await saga.createTopics()
  await saga.start(['inventory'], { env: { LOG_LEVEL: 'warn' } })
  const service = saga.services.get('inventory')!
  assert.equal(await portInUse(service.port), true)
  assert.equal(readPid(stateDir, saga.logName('inventory')), service.pid)
  assert.equal(isOurs(service.pid, ourRoots(loadSettings({ stateDir }))), true, 'its command line runs from the project')

  // As `make down` after the benchmark was killed: the service is found, stopped, and nothing is left.
  assert.deepEqual(await down(loadSettings({ stateDir }), []), [])
  assert.equal(isAlive(service.pid), false)
  assert.equal(await portInUse(service.port), false)
  assert.equal(readPid(stateDir, saga.logName('inventory')), undefined)
})
