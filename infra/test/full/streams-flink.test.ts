import assert from 'node:assert/strict'
import { test } from 'node:test'
import { down, up } from '../../src/stack.ts'
import { portInUse, readPid, sleep } from '../../src/proc.ts'
import { CHECKPOINT_INTERVAL, latestCheckpoint, sqlGatewayUrl } from '../../src/streams-flink.ts'
import { freeBrokerBase, isolatedSettings, waitFor } from '../../src/testing/stack-env.ts'

// A private Flink (its own ports and state folder): the SQL Gateway answers a statement over REST, a
// streaming job writes exactly-once checkpoints where a restarted job would resume from, and `down`
// leaves neither process nor port.

interface ResultPage { resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS', jobID?: string, results?: { data: Array<{ fields: unknown[] }> }, nextResultUri?: string }

async function post<T> (url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}

/** Runs one statement in the session and follows its result pages until the end (or `enough` rows, or the first page with a job id). */
async function run (base: string, session: string, statement: string, o: { enough?: number, untilJob?: boolean } = {}): Promise<{ rows: unknown[][], jobId?: string }> {
  const { operationHandle } = await post<{ operationHandle: string }>(`${base}/v3/sessions/${session}/statements`, { statement })
  let next: string | undefined = `/v3/sessions/${session}/operations/${operationHandle}/result/0?rowFormat=JSON`
  const rows: unknown[][] = []
  const deadline = Date.now() + 90_000
  while (next && Date.now() < deadline) {
    const res = await fetch(base + next)
    if (!res.ok) throw new Error(`${statement}: ${res.status} ${await res.text()}`)
    const page = await res.json() as ResultPage
    if (page.resultType === 'EOS') break
    if (page.resultType === 'PAYLOAD') {
      rows.push(...(page.results?.data ?? []).map(r => r.fields))
      if (o.untilJob && page.jobID) return { rows, jobId: page.jobID }
      if (o.enough !== undefined && rows.length >= o.enough) break
    } else {
      await sleep(300)
    }
    next = page.nextResultUri
  }
  return { rows }
}

test('Flink: the SQL Gateway answers SELECT over REST, a streaming job checkpoints into the state folder, and down frees every port', { timeout: 240_000 }, async t => {
  const s = isolatedSettings(t, await freeBrokerBase())
  await up(s, { only: ['flink'], catalog: false })
  const base = sqlGatewayUrl(s)
  const info = await (await fetch(`${base}/v1/info`)).json() as { productName: string, version: string }
  assert.deepEqual(info, { productName: 'Apache Flink', version: '2.2.0' })

  const { sessionHandle } = await post<{ sessionHandle: string }>(`${base}/v3/sessions`, {})
  const one = await run(base, sessionHandle, 'SELECT 1 + 1')
  assert.deepEqual(one.rows, [[2]])

  // An unbounded job: with a checkpoint every CHECKPOINT_INTERVAL, one completes under <state>/flink/checkpoints/<jobId>.
  await run(base, sessionHandle, "CREATE TEMPORARY TABLE ticks (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5')")
  await run(base, sessionHandle, "CREATE TEMPORARY TABLE sink (n BIGINT) WITH ('connector' = 'blackhole')")
  const job = await run(base, sessionHandle, 'INSERT INTO sink SELECT n FROM ticks', { untilJob: true })
  assert.match(job.jobId ?? '', /^[0-9a-f]{32}$/)
  const checkpoint = await waitFor(`a completed checkpoint of job ${job.jobId} (interval ${CHECKPOINT_INTERVAL})`, async () => latestCheckpoint(s.stateDir, job.jobId), 90_000, 1000)
  assert.ok(checkpoint.id >= 1)
  assert.match(checkpoint.path, new RegExp(`/flink/checkpoints/${job.jobId}/chk-\\d+$`))

  const pid = readPid(s.stateDir, 'flink')
  assert.ok(pid !== undefined)
  assert.deepEqual(await down(s), [])
  assert.equal(await portInUse(s.flinkGatewayPort), false)
  assert.equal(await portInUse(s.flinkUiPort), false)
  // Kept after the process is gone: what a resubmitted job resumes from.
  assert.equal(latestCheckpoint(s.stateDir, job.jobId)?.path !== undefined, true)
})
