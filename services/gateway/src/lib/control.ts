import { ShopError } from '@vitrine/service-kit'
import type { ExerciseStatusType, ExerciseViewType } from '../schemas/exercises.ts'

// The gateway as a client of the control plane (infra/src/control, :3099 in make demo), for the
// Exercícios page: the exercises with their checkers' verdicts, and "check this one now". Its
// address stays inside the gateway: an error names the control plane and says how to start it.

/** What the student reads when the control plane is not there (pt-BR, shown by the page). */
export const CONTROL_HINT = 'O plano de controle não responde: suba com make demo (ele roda na porta 3099) e tente de novo.'

const unavailable = (why: string): ShopError =>
  new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', `the control plane is not reachable (${why})`, 502, { service: 'control', hint: CONTROL_HINT })

async function call (baseUrl: string, method: 'GET' | 'POST', path: string, timeoutMs: number): Promise<{ status: number, body: unknown }> {
  let res: Response
  try {
    res = await fetch(new URL(path, baseUrl), { method, headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw unavailable((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name)
  }
  try {
    return { status: res.status, body: await res.json() }
  } catch {
    throw unavailable(`answered ${res.status} without JSON`)
  }
}

const iso = (v: unknown): string | null => {
  if (typeof v === 'string' && v !== '') return v
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v).toISOString()
  return null
}
const strings = (v: unknown): string[] => Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []

/** One exercise in the page's shape, whatever the control plane left out (a never-run checker has no status yet). */
export function exerciseView (raw: unknown): ExerciseViewType | undefined {
  const e = raw as Record<string, unknown> | null
  if (e === null || typeof e !== 'object' || typeof e.n !== 'number' || typeof e.slug !== 'string') return undefined
  // The verdict's fields sit beside the exercise's (the control plane's board) or under `status`.
  const s = (typeof e.status === 'object' && e.status !== null ? e.status : e) as Record<string, unknown>
  const status: ExerciseStatusType = {
    done: s.done === true,
    doneAt: iso(s.doneAt),
    checkedAt: iso(s.checkedAt),
    setupAt: iso(s.setupAt),
    missing: strings(s.missing),
    seen: strings(s.seen),
    unavailable: typeof s.unavailable === 'string' && s.unavailable !== '' ? s.unavailable : null
  }
  return {
    n: e.n,
    slug: e.slug,
    title: typeof e.title === 'string' ? e.title : e.slug,
    concepts: strings(e.concepts),
    page: typeof e.page === 'string' ? e.page : `runbooks/exercicios/${e.slug}.md`,
    status
  }
}

function unexpected (status: number, body: unknown): ShopError {
  const code = (body as { code?: string } | null)?.code
  return new ShopError('SHOP_ERR_UPSTREAM', `the control plane answered ${status}${code ? ` ${code}` : ''}`, 502, { service: 'control', hint: CONTROL_HINT })
}

/** Every exercise with its status (`GET /exercises`: a list, or `{ exercises }`). */
export async function listExercises (baseUrl: string, timeoutMs: number): Promise<ExerciseViewType[]> {
  const { status, body } = await call(baseUrl, 'GET', '/exercises', timeoutMs)
  if (status !== 200) throw unexpected(status, body)
  const list = Array.isArray(body) ? body : (body as { exercises?: unknown } | null)?.exercises
  if (!Array.isArray(list)) throw unexpected(status, body)
  return list.map(exerciseView).filter((e): e is ExerciseViewType => e !== undefined).sort((a, b) => a.n - b.n)
}

/** Runs exercise `n`'s checker now (`POST /exercises/:n/check`); an exercise the course lacks is a 404. */
export async function checkExercise (baseUrl: string, n: number, timeoutMs: number): Promise<ExerciseViewType> {
  const { status, body } = await call(baseUrl, 'POST', `/exercises/${n}/check`, timeoutMs)
  if (status === 404 && (body as { code?: string } | null)?.code !== 'SHOP_ERR_ROUTE_NOT_FOUND') {
    throw new ShopError('SHOP_ERR_NOT_FOUND', `there is no exercise ${n}`, 404, { n })
  }
  if (status !== 200) throw unexpected(status, body)
  // The control plane answers with the exercise and its verdict.
  const b = body as Record<string, unknown> | null
  const view = exerciseView(b !== null && typeof b === 'object' && 'exercise' in b ? b.exercise : b)
  if (view) return view
  const listed = (await listExercises(baseUrl, timeoutMs)).find(e => e.n === n)
  if (listed) return listed
  throw unexpected(status, body)
}

/** What the page shows of a list: a change in any of these is pushed (checkedAt alone is not a change). */
export function statusKey (list: readonly ExerciseViewType[]): string {
  return JSON.stringify(list.map(e => [e.n, e.status.done, e.status.doneAt, e.status.setupAt, e.status.missing, e.status.seen, e.status.unavailable]))
}
