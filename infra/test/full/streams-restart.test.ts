import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ControlPlane, controlSettings } from '../../src/control/plane.ts'
import { freePort, logFile, portInUse, readPid, stopGroup } from '../../src/proc.ts'
import { loadSettings } from '../../src/settings.ts'
import { flinkStateDir, latestCheckpoint } from '../../src/streams-flink.ts'
import { createCatalogTopics, deleteTestTopics, testEnv, waitFor } from '../../src/testing/saga-env.ts'

// The supervisor's restart path: Flink started by the control plane gets the streams jobs submitted,
// and after `make kill S=flink` + `make start S=flink` every job is resubmitted from its last
// checkpoint ("resumed"), not started over. A private Flink (its ports and state folder) runs the
// real SQL jobs on the test's own topics of the shared Kafka and registry.

interface Report { job: string, jobId: string, outcome: string, restoredFrom: string | null }

const reports = (stateDir: string): Report[] => existsSync(logFile(stateDir, 'streams-submit'))
  ? readFileSync(logFile(stateDir, 'streams-submit'), 'utf8').split('\n').filter(l => l.includes('"outcome"')).map(l => JSON.parse(l) as Report)
  : []

async function freeRange (n: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = await freePort()
    if (base > 65_000) continue
    if (!(await Promise.all(Array.from({ length: n }, async (_, i) => await portInUse(base + i)))).some(Boolean)) return base
  }
  throw new Error(`no ${n} free ports in a row`)
}

test('control plane: Flink started, killed and started again gets its SQL jobs back, each resumed from its last checkpoint', { timeout: 600_000 }, async (t) => {
  const env = testEnv()
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-flink-restart-'))
  const s = loadSettings({ stateDir, flinkGatewayPort: await freePort(), flinkUiPort: await freeRange(10) })
  const plane = new ControlPlane(controlSettings(s))
  // The submitter is a child of this process: it takes the test's topic prefix and group suffix from here.
  const saved = { TOPIC_PREFIX: process.env.TOPIC_PREFIX, KAFKA_GROUP_SUFFIX: process.env.KAFKA_GROUP_SUFFIX }
  process.env.TOPIC_PREFIX = env.prefix
  process.env.KAFKA_GROUP_SUFFIX = env.groupSuffix
  t.after(async () => {
    for (const name of ['streams-submit', 'flink']) {
      const pid = readPid(stateDir, name)
      if (pid !== undefined) await stopGroup(pid, 15_000)
    }
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k)
      else process.env[k] = v
    }
    await deleteTestTopics(env)
    rmSync(stateDir, { recursive: true, force: true })
  })
  await createCatalogTopics(env)

  await plane.act('flink', 'start')
  const started = await waitFor('the five jobs submitted', async () => { const r = reports(stateDir); return r.length >= 5 && r }, 240_000, 1000)
  assert.deepEqual(started.map(r => r.outcome), ['started', 'started', 'started', 'started', 'started'])
  // Each job checkpoints (every 10 s) into the state folder: what the restart resumes from.
  const checkpoints = await waitFor('a completed checkpoint of every job', async () => {
    const c = started.map(r => latestCheckpoint(stateDir, r.jobId))
    return c.every(Boolean) && c
  }, 120_000, 1000)

  await plane.act('flink', 'kill')
  await plane.act('flink', 'start')
  const again = await waitFor('the five jobs submitted again', async () => { const r = reports(stateDir); return r.length >= 10 && r.slice(5) }, 240_000, 1000)
  assert.deepEqual(again.map(r => r.outcome), ['resumed', 'resumed', 'resumed', 'resumed', 'resumed'])
  again.forEach((r, i) => {
    // At least the checkpoint seen before the kill (a later one may have completed before it).
    const from = /chk-(\d+)$/.exec(r.restoredFrom ?? '')
    assert.ok(r.restoredFrom?.startsWith(join(flinkStateDir(stateDir), 'checkpoints', started[i]!.jobId)), `${r.job} resumed from ${r.restoredFrom}`)
    assert.ok(Number(from?.[1]) >= checkpoints[i]!.id)
  })
})
