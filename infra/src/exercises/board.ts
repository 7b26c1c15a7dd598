import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ShopError } from '@vitrine/service-kit'
import { EXERCISES, exercise } from './index.ts'
import type { CheckResult, Exercise, ExerciseContext } from './types.ts'

// The scoreboard: what the checker last said about each exercise, kept in the control plane's state
// folder (<stateDir>/exercicios.json) so `make exercicio`, the control plane's background checks and
// the UI's "Exercícios" page all see one verdict, and it survives a restart of the control plane.

export interface ExerciseState {
  n: number
  /** The checker's last verdict. */
  done: boolean
  /** The first time the checker said done since the last setup (ISO time), kept if it later turns undone. */
  doneAt: string | null
  /** When the checker last ran. */
  checkedAt: string | null
  /** When the setup last ran (null: never, `make exercicio` runs it the first time). */
  setupAt: string | null
  missing: string[]
  seen: string[]
  /** Why the exercise cannot run on this shop (pt-BR), e.g. it needs 3 brokers; null when it can. */
  unavailable: string | null
}

export class ExerciseNotFound extends ShopError {
  constructor (n: number) {
    super('SHOP_ERR_EXERCISE_NOT_FOUND', `no exercise ${n} (exercises: 1-${EXERCISES.length})`, 404, { n, known: EXERCISES.map(e => e.n) })
  }
}

/** A setup that threw: the student sees why (Kafka down, a service not running...). */
export class ExerciseFailed extends ShopError {
  constructor (n: number, what: 'setup', err: unknown) {
    super('SHOP_ERR_EXERCISE_FAILED', `exercise ${n} ${what} failed: ${(err as Error)?.message ?? String(err)}`, 500, { n, step: what })
  }
}

const empty = (n: number): ExerciseState => ({ n, done: false, doneAt: null, checkedAt: null, setupAt: null, missing: [], seen: [], unavailable: null })

export function boardFile (stateDir: string): string {
  return join(stateDir, 'exercicios.json')
}

/** Every exercise's state (a missing or unreadable file is an empty board). */
export function readBoard (stateDir: string): ExerciseState[] {
  let saved: Record<string, Partial<ExerciseState>> = {}
  try {
    if (existsSync(boardFile(stateDir))) saved = JSON.parse(readFileSync(boardFile(stateDir), 'utf8')) as Record<string, Partial<ExerciseState>>
  } catch {}
  return EXERCISES.map(e => ({ ...empty(e.n), ...saved[String(e.n)], n: e.n }))
}

function writeBoard (stateDir: string, states: ExerciseState[]): void {
  mkdirSync(stateDir, { recursive: true })
  const file = boardFile(stateDir)
  // Written whole then renamed: a reader (the CLI, another process) never sees half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(states.map(s => [String(s.n), s])), null, 2) + '\n')
  renameSync(`${file}.tmp`, file)
}

function update (stateDir: string, n: number, fn: (s: ExerciseState) => ExerciseState): ExerciseState {
  const states = readBoard(stateDir)
  const i = states.findIndex(s => s.n === n)
  const next = fn(states[i]!)
  states[i] = next
  writeBoard(stateDir, states)
  return next
}

// One setup or check at a time per board: a check racing a setup would judge a half-built start state.
const queues = new Map<string, Promise<unknown>>()
function serial<T> (stateDir: string, fn: () => Promise<T>): Promise<T> {
  const next = (queues.get(stateDir) ?? Promise.resolve()).then(fn, fn)
  queues.set(stateDir, next.catch(() => {}))
  return next
}

function stateDirOf (ctx: ExerciseContext): string {
  return ctx.plane.settings.apps.stateDir
}

function find (n: number): Exercise {
  const e = exercise(n)
  if (e === undefined) throw new ExerciseNotFound(n)
  return e
}

/**
 * How many brokers the cluster has: those our control plane runs, a stopped one included (exercise
 * 7 asks the student to stop one, and its checker must still be asked), or for a cluster run
 * elsewhere those it reports.
 */
export async function clusterBrokers (ctx: ExerciseContext): Promise<number> {
  const ours = ctx.plane.names().filter(name => /^kafka-\d+$/.test(name)).length
  const admin = ctx.admin('vitrine-exercises')
  try {
    return Math.max(ours, (await admin.metadata({ topics: [] })).brokers.size)
  } catch {
    return ours
  } finally {
    await admin.close().catch(() => {})
  }
}

function unavailable (e: Exercise, brokers: number): string | null {
  const want = e.requires?.brokers
  if (want === undefined || brokers >= want) return null
  return `este exercício precisa de um cluster com ${want} brokers e o desta loja tem ${brokers}: suba a loja com make demo BROKERS=${want}`
}

/** The exercise's state as the board holds it. */
export function exerciseState (ctx: ExerciseContext, n: number): ExerciseState {
  find(n)
  return readBoard(stateDirOf(ctx)).find(s => s.n === n)!
}

/** Puts the system into the exercise's starting state and clears its verdict (done, doneAt). */
export async function runSetup (ctx: ExerciseContext, n: number): Promise<ExerciseState> {
  const e = find(n)
  const dir = stateDirOf(ctx)
  return await serial(dir, async () => {
    const why = unavailable(e, e.requires?.brokers === undefined ? 0 : await clusterBrokers(ctx))
    if (why !== null) return update(dir, n, s => ({ ...s, unavailable: why, missing: [why] }))
    try {
      await e.setup(ctx)
    } catch (err) {
      throw new ExerciseFailed(n, 'setup', err)
    }
    return update(dir, n, () => ({ ...empty(n), setupAt: new Date().toISOString() }))
  })
}

async function judge (ctx: ExerciseContext, e: Exercise, brokers: number | undefined): Promise<ExerciseState> {
  const dir = stateDirOf(ctx)
  let why: string | null = null
  let verdict: CheckResult
  try {
    why = unavailable(e, e.requires?.brokers === undefined ? 0 : brokers ?? await clusterBrokers(ctx))
    verdict = why !== null ? { done: false, missing: [why] } : await e.check(ctx)
  } catch (err) {
    // A checker that cannot read the system (Kafka down, a service stopped) is a verdict, not a crash.
    verdict = { done: false, missing: [`não foi possível conferir agora: ${(err as Error)?.message ?? String(err)}`] }
  }
  const now = new Date().toISOString()
  return update(dir, e.n, s => ({
    ...s,
    done: verdict.done,
    doneAt: s.doneAt ?? (verdict.done ? now : null),
    checkedAt: now,
    missing: verdict.done ? [] : verdict.missing,
    seen: verdict.seen ?? [],
    unavailable: why
  }))
}

/** Runs the exercise's checker and records its verdict. */
export async function runCheck (ctx: ExerciseContext, n: number): Promise<ExerciseState> {
  const e = find(n)
  return await serial(stateDirOf(ctx), async () => await judge(ctx, e, undefined))
}

/**
 * Checks every exercise, one after the other (the brokers counted once). `started`: only those whose
 * setup ran (the background round: no checker runs for an exercise nobody began). `stop` ends the
 * round early (the control plane closing).
 */
export async function checkAll (ctx: ExerciseContext, o: { started?: boolean, stop?: () => boolean } = {}): Promise<ExerciseState[]> {
  const begun = new Set(readBoard(stateDirOf(ctx)).filter(s => s.setupAt !== null).map(s => s.n))
  const list = o.started === true ? EXERCISES.filter(e => begun.has(e.n)) : EXERCISES
  const needs = list.some(e => e.requires?.brokers !== undefined)
  const brokers = needs ? await clusterBrokers(ctx).catch(() => undefined) : undefined
  const out: ExerciseState[] = []
  for (const e of list) {
    if (o.stop?.() === true) break
    out.push(await serial(stateDirOf(ctx), async () => await judge(ctx, e, brokers)))
  }
  return out
}
