import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { JOBS, jobStatements, pipelineName } from './sql.ts'
import type { JobName, SqlParams } from './sql.ts'
import { SqlGateway } from './sql-gateway.ts'

// Starts the SQL jobs through the SQL Gateway, once: a job whose name is already running is left
// alone (calling this again, or from two places, never starts a duplicate). A job that ran before
// and is gone (Flink was killed) is submitted again from its last retained checkpoint, so it goes
// on from the offsets and window state of that checkpoint instead of counting from scratch.

export interface RunningJob { id: string, name: string, status: string }

export interface SubmitOptions {
  gatewayUrl: string
  params: SqlParams
  jobs?: readonly JobName[]
  /** Remembers each job name's last job id between runs (JSON), so its checkpoint can be found. */
  stateFile: string
  /** The folder of the newest completed checkpoint of a previous job id (infra's latestCheckpoint), if any. */
  resumeFrom?: (previousJobId: string) => string | undefined
  /** Flink REST APIs to ask for jobs when the gateway cannot list them (a local executor's mini clusters). */
  restUrls?: readonly string[]
  /** More settings for every job's session, e.g. a test's shorter 'execution.checkpointing.interval'. */
  config?: Record<string, string>
  log?: (msg: string, fields: Record<string, unknown>) => void
}

export interface JobReport {
  job: JobName
  name: string
  jobId: string
  outcome: 'already-running' | 'started' | 'resumed'
  /** The checkpoint folder a resumed job restored. */
  restoredFrom: string | null
}

const ACTIVE = new Set(['RUNNING', 'CREATED', 'INITIALIZING', 'RESTARTING', 'RECONCILING'])

/** The jobs Flink runs now: SHOW JOBS through the gateway, or each REST API's /jobs/overview. */
export async function runningJobs (gw: SqlGateway, restUrls: readonly string[] = []): Promise<RunningJob[]> {
  const session = await gw.openSession()
  try {
    const r = await gw.run(session, 'SHOW JOBS', { timeoutMs: 20_000 })
    const names = r.columns.map(c => c.name.toLowerCase())
    const at = (row: unknown[], col: string): string => String(row[names.indexOf(col)] ?? '')
    return r.rows.map(row => ({ id: at(row.fields, 'job id'), name: at(row.fields, 'job name'), status: at(row.fields, 'status') }))
  } catch {
    const jobs: RunningJob[] = []
    for (const url of restUrls) {
      const res = await fetch(`${url.replace(/\/$/, '')}/jobs/overview`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
      if (!res?.ok) continue
      const body = await res.json() as { jobs?: Array<{ jid: string, name: string, state: string }> }
      for (const j of body.jobs ?? []) jobs.push({ id: j.jid, name: j.name, status: j.state })
    }
    return jobs
  } finally {
    await gw.closeSession(session)
  }
}

function readState (file: string): Record<string, string> {
  if (!existsSync(file)) return {}
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>
  } catch {
    return {}
  }
}

export async function submitJobs (o: SubmitOptions): Promise<JobReport[]> {
  const gw = new SqlGateway(o.gatewayUrl)
  const state = readState(o.stateFile)
  const running = (await runningJobs(gw, o.restUrls)).filter(j => ACTIVE.has(j.status.toUpperCase()))
  const reports: JobReport[] = []
  const failures: string[] = []
  for (const job of o.jobs ?? JOBS) {
    try {
      reports.push(await submitOne(o, gw, state, running, job))
    } catch (err) {
      // One job that cannot start leaves the others to start; the call still fails, naming it.
      const message = err instanceof Error ? err.message : String(err)
      failures.push(`${job}: ${message}`)
      o.log?.('streams job failed to start', { job, error: message })
    }
  }
  if (failures.length > 0) throw new Error(`streams job(s) not started: ${failures.join('; ')}`)
  return reports
}

const SQL_KEY = '#sql'

/**
 * Whether a job that ran before (its last job id in the state file) may resume from its checkpoint:
 * only with the very statements that wrote it. After an edit of the job (or of tables.sql) the old
 * state would not map onto the new plan and the job would fail to start, so it starts afresh; so does
 * one whose SQL was not recorded.
 */
export function resumePlan (state: Record<string, string>, name: string, statements: readonly string[]): { previousJobId: string | null, sqlHash: string, sqlChanged: boolean } {
  const sqlHash = createHash('sha256').update(statements.join('\n;\n')).digest('hex').slice(0, 16)
  const previous = state[name]
  const same = state[`${name}${SQL_KEY}`] === sqlHash
  return { previousJobId: previous && same ? previous : null, sqlHash, sqlChanged: previous !== undefined && !same }
}

async function submitOne (o: SubmitOptions, gw: SqlGateway, state: Record<string, string>, running: RunningJob[], job: JobName): Promise<JobReport> {
  const name = pipelineName(job, o.params.TOPIC_PREFIX)
  const live = running.find(j => j.name === name)
  if (live) {
    o.log?.('streams job already running', { job, name, jobId: live.id })
    return { job, name, jobId: live.id, outcome: 'already-running', restoredFrom: null }
  }
  const statements = jobStatements(job, { ...o.params, TRANSACTIONAL_ID: name })
  const { previousJobId: previous, sqlHash, sqlChanged } = resumePlan(state, name, statements)
  if (sqlChanged) o.log?.('streams job SQL changed since its last run: starting it without its checkpoint', { job, name, previousJobId: state[name] })
  // A resumed job killed before its first checkpoint has none of its own: it goes on from the one it restored.
  const restoredKey = `${name}#restored`
  const lineage = state[restoredKey] && existsSync(join(state[restoredKey], '_metadata')) ? state[restoredKey] : undefined
  const restoredFrom = previous ? (o.resumeFrom?.(previous) ?? lineage ?? null) : null
  const session = await gw.openSession({}, name)
  try {
    const settings = [
      `SET 'pipeline.name' = '${name}'`,
      ...Object.entries(o.config ?? {}).map(([key, value]) => `SET '${key}' = '${value}'`),
      ...(restoredFrom ? [`SET 'execution.state-recovery.path' = '${restoredFrom}'`] : [])
    ]
    let jobId: string | null = null
    for (const statement of [...settings, ...statements]) {
      const r = await gw.run(session, statement, { timeoutMs: 120_000 })
      jobId = r.jobId ?? jobId
    }
    if (!jobId) throw new Error(`the SQL Gateway started no job for ${name}`)
    state[name] = jobId
    state[`${name}${SQL_KEY}`] = sqlHash
    if (restoredFrom) state[restoredKey] = restoredFrom
    else Reflect.deleteProperty(state, restoredKey)
    mkdirSync(dirname(o.stateFile), { recursive: true })
    writeFileSync(o.stateFile, JSON.stringify(state, null, 2) + '\n')
    o.log?.('streams job submitted', { job, name, jobId, restoredFrom })
    return { job, name, jobId, outcome: restoredFrom ? 'resumed' : 'started', restoredFrom }
  } finally {
    await gw.closeSession(session)
  }
}

/** The REST API (of the job's mini cluster, with a local executor) that knows `jobId`, if any. */
export async function jobRestUrl (restUrls: readonly string[], jobId: string): Promise<string | undefined> {
  for (const url of restUrls) {
    const res = await fetch(`${url.replace(/\/$/, '')}/jobs/${jobId}`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
    if (res?.ok) return url.replace(/\/$/, '')
  }
  return undefined
}

/** A job's checkpoint counts and the id of the checkpoint it restored at start (null: it started fresh). */
export async function jobCheckpoints (restUrl: string, jobId: string): Promise<{ completed: number, latestId: number | null, restoredId: number | null }> {
  const res = await fetch(`${restUrl}/jobs/${jobId}/checkpoints`, { signal: AbortSignal.timeout(5000) })
  if (!res.ok) throw new Error(`Flink REST ${restUrl}: checkpoints of ${jobId} → ${res.status}`)
  const body = await res.json() as { counts?: { completed?: number }, latest?: { completed?: { id?: number } | null, restored?: { id?: number } | null } }
  return { completed: body.counts?.completed ?? 0, latestId: body.latest?.completed?.id ?? null, restoredId: body.latest?.restored?.id ?? null }
}

/** Cancels a job (its checkpoints stay on disk: retained on cancellation). */
export async function cancelJob (restUrls: readonly string[], jobId: string): Promise<boolean> {
  const url = await jobRestUrl(restUrls, jobId)
  if (!url) return false
  const res = await fetch(`${url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH', signal: AbortSignal.timeout(5000) }).catch(() => undefined)
  return res?.ok ?? false
}
