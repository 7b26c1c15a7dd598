import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { SAGA_APPS, appSettings, startApps, stopApp } from '../apps.ts'
import { ControlPlane } from '../control/plane.ts'
import { SHOP_SCHEMAS } from '../control/reset.ts'
import { exerciseContext } from '../exercises/context.ts'
import type { CheckResult, Exercise, ExerciseContext } from '../exercises/types.ts'
import { freePort } from '../proc.ts'
import { bootstrapServers, databaseUrl, registryUrl } from '../settings.ts'
import type { StackSettings } from '../settings.ts'
import { createCatalogTopics, deleteTestTopics, serviceEnv, testEnv, waitFor } from './saga-env.ts'
import type { TestEnv } from './saga-env.ts'
import { sharedSettings } from './stack-env.ts'

// The shop an exercise test runs on: a private ControlPlane over the shared stack, with the test's
// own topic prefix, group suffix, schema suffix, state folder and free ports, so setups and checkers
// run exactly as on the demo without touching the demo's names.

export interface ExerciseShopOptions {
  /** The services to start (default: the saga's five; [] for a Kafka-only exercise). */
  services?: readonly string[]
  /** Extra variables for every service (they override the fixture's deterministic defaults). */
  env?: Record<string, string | number>
  /** A private stack to run on (isolatedSettings after up()); default: the shared stack. */
  stack?: StackSettings
}

export interface ExerciseShop {
  plane: ControlPlane
  ctx: ExerciseContext
  env: TestEnv
  /** Stops the services, removes the test's topics, groups, subjects, database schemas and state folder. */
  close: () => Promise<void>
}

// Payments neither slow nor failing unless the test asks: a checker's verdict must not depend on luck.
const DEFAULT_ENV: Record<string, string | number> = { PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 0, PAYMENT_FAILURE_RATE: 0 }

export async function startExerciseShop (o: ExerciseShopOptions = {}): Promise<ExerciseShop> {
  const services = [...(o.services ?? SAGA_APPS)]
  const stack = o.stack ?? sharedSettings()
  const env: TestEnv = o.stack === undefined ? testEnv() : { ...testEnv(), brokers: bootstrapServers(o.stack), registryUrl: registryUrl(o.stack), databaseUrl: databaseUrl(o.stack) }
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-exercise-'))
  const ports: Record<string, number> = {}
  for (const name of [...services, 'control']) ports[name] = await freePort()
  const apps = appSettings(stack, { stateDir, ports, only: services, env: serviceEnv(env, { ...DEFAULT_ENV, ...o.env }) })
  const plane = new ControlPlane({ stack, apps })
  const ctx = exerciseContext(plane)

  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    for (const name of services) await stopApp(apps, name).catch(() => {})
    await ctx.close().catch(() => {})
    await deleteTestTopics(env).catch(() => {})
    const sql = postgres(env.databaseUrl, { max: 1, onnotice: () => {} })
    try {
      for (const base of Object.values(SHOP_SCHEMAS)) await sql.unsafe(`drop schema if exists "${base}${env.schemaSuffix}" cascade`).catch(() => {})
    } finally {
      await sql.end({ timeout: 5 }).catch(() => {})
    }
    rmSync(stateDir, { recursive: true, force: true })
  }

  try {
    await createCatalogTopics(env)
    if (services.length > 0) await startApps(stack, {}, apps)
    if (services.includes('checkout-api') && services.includes('inventory')) await catalogSynced(ctx)
  } catch (err) {
    await close()
    throw err
  }
  return { plane, ctx, env, close }
}

/** Waits until checkout-api's replica of the catalog holds every product at inventory's version (orders are priced from it). */
async function catalogSynced (ctx: ExerciseContext): Promise<void> {
  const inv = ctx.schema('inventory')
  const co = ctx.schema('checkout-api')
  await waitFor('checkout-api\'s catalog replica', async () => {
    const [r] = await ctx.sql.unsafe(`select count(*)::int as behind from "${inv}".products p
      left join "${co}".catalog_products c on c.product_id = p.id where c.version is null or c.version < p.version`)
    return r!.behind === 0
  }, 60_000, 200)
}

/** Asserts a verdict is not done and that one of its missing lines matches `why` (what the student reads next). */
export function notDone (r: CheckResult, why: RegExp): void {
  assert.equal(r.done, false, `expected not done, got done (seen: ${(r.seen ?? []).join(' | ')})`)
  assert.ok(r.missing.some(m => why.test(m)), `no missing line matches ${String(why)}: ${r.missing.join(' | ')}`)
}

/** Asserts a verdict is done, with nothing missing. */
export function isDone (r: CheckResult): void {
  assert.deepEqual(r.missing, [], `still missing: ${r.missing.join(' | ')} (seen: ${(r.seen ?? []).join(' | ')})`)
  assert.equal(r.done, true)
}

/** Checks every second until the exercise is done; on timeout, fails with what is still missing. */
export async function becomesDone (e: Exercise, ctx: ExerciseContext, timeoutMs = 60_000): Promise<CheckResult> {
  let last: CheckResult | undefined
  try {
    return await waitFor(`exercise ${e.n} done`, async () => {
      last = await e.check(ctx)
      return last.done ? last : undefined
    }, timeoutMs, 1000)
  } catch (err) {
    assert.fail(`${(err as Error).message}; still missing: ${last?.missing.join(' | ')} (seen: ${(last?.seen ?? []).join(' | ')})`)
  }
}
