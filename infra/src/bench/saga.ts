import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import type { Admin } from '@platformatic/kafka'
import { registryAuthHeaders, topicsReadBy } from '@vitrine/contracts'
import type { ServiceName } from '@vitrine/contracts'
import { sleep } from '@vitrine/service-kit/time'
import type { StackSettings } from '../settings.ts'
import { ROOT, bootstrapServers, databaseUrl, registryUrl } from '../settings.ts'
import { appEnv } from '../apps.ts'
import { tailLog, freePort, pidFile, removePid } from '../proc.ts'
import type { TestEnv } from '../testing/saga-env.ts'
import { createCatalogTopics, deleteTestTopics, serviceEnv } from '../testing/saga-env.ts'

// The shop's services as separate processes, as `make demo` runs them, but on a topic prefix, group
// suffix and database schema suffix of their own and on free ports: the benchmark never touches the
// demo, other people's tests or their data, and removes everything it made when it ends.

export type SagaService = 'inventory' | 'payment' | 'notification' | 'orchestrator' | 'checkout-api'

export const SAGA_SERVICES: readonly SagaService[] = ['inventory', 'payment', 'notification', 'orchestrator', 'checkout-api']

const DB_SCHEMA: Record<SagaService, string> = { 'checkout-api': 'checkout', payment: 'payment', inventory: 'inventory', notification: 'notification', orchestrator: 'orchestrator' }

export interface RunningService { name: SagaService, port: number, url: string, pid: number, child: ChildProcess, exited: Promise<void> }

export class ServiceStartError extends Error {
  code = 'SHOP_ERR_BENCH_SERVICE_START'
}

export { freePort }

export function serverFile (name: SagaService): string {
  return join(ROOT, 'services', name, 'src', 'server.ts')
}

async function ready (url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch {
    return false
  }
}

export interface StartOptions {
  /** Extra variables for every service (payment delay, deadlines, log level ...). */
  env: Record<string, string | number>
  /** Write a V8 CPU profile of each service here when it exits. */
  profileDir?: string
  readyTimeoutMs?: number
}

export class BenchSaga {
  readonly services = new Map<SagaService, RunningService>()
  /** Second instances of the services, while the scale-out check runs. */
  readonly twins = new Map<SagaService, RunningService>()

  private constructor (readonly env: TestEnv, private readonly s: StackSettings) {}

  /** Names no one else uses: `bench<id>.` topics, `-bench<id>` groups, `_bench<id>` schemas. */
  static create (s: StackSettings): BenchSaga {
    const id = randomUUID().slice(0, 8)
    return new BenchSaga({
      id,
      prefix: `bench${id}.`,
      groupSuffix: `-bench${id}`,
      schemaSuffix: `_bench${id}`,
      brokers: process.env.KAFKA_BROKERS ?? bootstrapServers(s),
      registryUrl: registryUrl(s),
      databaseUrl: databaseUrl(s)
    }, s)
  }

  logName (name: SagaService): string {
    return `bench-${name}`
  }

  async createTopics (): Promise<void> {
    await createCatalogTopics(this.env)
  }

  /**
   * Starts the services together and waits until each is ready. A service in `optional` that fails
   * to start is stopped and reported, not thrown: the orchestrator may still be under construction.
   */
  async start (names: readonly SagaService[], o: StartOptions, optional: readonly SagaService[] = []): Promise<Record<string, string>> {
    const ports = new Map<SagaService, number>()
    for (const name of names) ports.set(name, await freePort())
    const inventoryUrl = `http://127.0.0.1:${ports.get('inventory') ?? 0}`
    const failures: Record<string, string> = {}
    await Promise.all(names.map(async name => {
      const failure = await this.launch(name, ports.get(name)!, inventoryUrl, o, this.services, this.logName(name))
      if (failure) failures[name] = failure
    }))
    const fatal = Object.keys(failures).filter(n => !optional.includes(n as SagaService))
    if (fatal.length > 0) throw new ServiceStartError(fatal.map(n => `${n} ${failures[n]}`).join('\n'))
    return failures
  }

  /** How many instances of each service run now: 2 between startTwins and stopTwins. */
  get instances (): number {
    return this.twins.size > 0 ? 2 : 1
  }

  /**
   * A second instance of each running service (the scale-out check): its own port, the same
   * topics, groups and schemas, so each group splits its partitions between the two.
   */
  async startTwins (o: StartOptions): Promise<void> {
    const inventoryUrl = this.services.get('inventory')?.url ?? 'http://127.0.0.1:0'
    const failures: string[] = []
    await Promise.all([...this.services.keys()].map(async name => {
      const failure = await this.launch(name, await freePort(), inventoryUrl, o, this.twins, this.twinLogName(name))
      if (failure) failures.push(`${name} (2ª instância) ${failure}`)
    }))
    if (failures.length > 0) {
      await this.stopTwins()
      throw new ServiceStartError(failures.join('\n'))
    }
  }

  async stopTwins (): Promise<void> {
    await Promise.all([...this.twins.keys()].map(async name => await this.stopOne(name, this.twins, this.twinLogName(name))))
  }

  twinLogName (name: SagaService): string {
    return `bench-${name}-2`
  }

  /** Spawns one service process and waits for its readiness; the reason when it did not get ready (then it is stopped). */
  private async launch (name: SagaService, port: number, inventoryUrl: string, o: StartOptions, into: Map<SagaService, RunningService>, logName: string): Promise<string | undefined> {
    const url = `http://127.0.0.1:${port}`
    mkdirSync(join(this.s.stateDir, 'logs'), { recursive: true })
    const out = openSync(join(this.s.stateDir, 'logs', `${logName}.log`), 'w')
    // A folder per service: tsx's loader thread writes a profile of its own beside the main thread's.
    const profile = o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(o.profileDir, logName.replace(/^bench-/, ''))}`] : []
    const child = spawn(process.execPath, [...profile, '--import', import.meta.resolve('tsx'), 'src/server.ts'], {
      cwd: join(ROOT, 'services', name),
      env: { ...process.env, ...appEnv(this.s), ...serviceEnv(this.env, { ...o.env, PORT: port, HOST: '127.0.0.1', INVENTORY_URL: inventoryUrl }) },
      stdio: ['ignore', out, out],
      // Its own process group and a pid file, like the supervisor's: if the benchmark dies without
      // stopping it (SIGKILL), `make down` finds it by the file, as its port is a random one.
      detached: true
    })
    closeSync(out)
    mkdirSync(join(this.s.stateDir, 'pids'), { recursive: true })
    if (child.pid !== undefined) writeFileSync(pidFile(this.s.stateDir, logName), String(child.pid))
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
    into.set(name, { name, port, url, pid: child.pid ?? -1, child, exited })
    const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000)
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break
      if (await ready(url)) return undefined
      await sleep(300)
    }
    const why = child.exitCode !== null ? `exited with ${child.exitCode}` : 'was not ready in time'
    const failure = `${why}. Last lines of ${join(this.s.stateDir, 'logs', logName + '.log')}:\n${tailLog(this.s.stateDir, logName, 8)}`
    await this.stopOne(name, into, logName)
    return failure
  }

  url (name: SagaService): string {
    const s = this.services.get(name)
    if (!s) throw new Error(`${name} is not running`)
    return s.url
  }

  has (name: SagaService): boolean {
    return this.services.has(name)
  }

  /** The consumer groups of the running services and the topics each reads (from the catalog). */
  groups (): Array<{ group: string, service: SagaService, topics: string[] }> {
    return [...this.services.keys()].map(name => ({
      group: name + this.env.groupSuffix,
      service: name,
      topics: topicsReadBy(name as ServiceName).map(t => this.env.prefix + t.name)
    }))
  }

  private async stopOne (name: SagaService, from = this.services, logName = this.logName(name)): Promise<void> {
    const s = from.get(name)
    if (!s) return
    from.delete(name)
    removePid(this.s.stateDir, logName)
    if (s.child.exitCode !== null || s.child.signalCode !== null) return
    s.child.kill('SIGTERM')
    const gone = await Promise.race([s.exited.then(() => true), sleep(25_000).then(() => false)])
    if (!gone) {
      s.child.kill('SIGKILL')
      await s.exited
    }
  }

  /** SIGSTOP pauses a service where it is (M4 measures checkout-api alone); SIGCONT lets it go on. */
  signal (names: readonly SagaService[], sig: 'SIGSTOP' | 'SIGCONT'): void {
    for (const name of names) {
      for (const s of [this.services.get(name), this.twins.get(name)]) {
        if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill(sig)
      }
    }
  }

  /** SIGTERM (each service closes its consumers, relay, producer, pool), SIGKILL after 25 s. */
  async stop (): Promise<void> {
    // A paused process would not act on SIGTERM until continued.
    this.signal([...this.services.keys()], 'SIGCONT')
    await this.stopTwins()
    await Promise.all([...this.services.keys()].map(async name => await this.stopOne(name)))
  }

  /** Deletes the topics, consumer groups, registry subjects and database schemas this run made. */
  async cleanup (admin: Admin): Promise<string[]> {
    const problems: string[] = []
    const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn()
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`)
      }
    }
    await attempt('topics', async () => await deleteTestTopics(this.env))
    await attempt('consumer groups', async () => {
      const groups = SAGA_SERVICES.map(n => n + this.env.groupSuffix)
      const existing = new Set((await admin.listGroups()).keys())
      const mine = groups.filter(g => existing.has(g))
      if (mine.length > 0) await admin.deleteGroups({ groups: mine })
    })
    await attempt('registry subjects', async () => {
      const res = await fetch(`${this.env.registryUrl}/subjects`, { signal: AbortSignal.timeout(10_000) })
      const subjects = (await res.json()) as string[]
      for (const subject of subjects.filter(n => n.startsWith(this.env.prefix))) {
        const at = `${this.env.registryUrl}/subjects/${encodeURIComponent(subject)}`
        // Confluent's API deletes in two steps: soft, then permanent.
        await fetch(at, { method: 'DELETE', headers: registryAuthHeaders(), signal: AbortSignal.timeout(10_000) })
        await fetch(`${at}?permanent=true`, { method: 'DELETE', headers: registryAuthHeaders(), signal: AbortSignal.timeout(10_000) })
      }
    })
    await attempt('database schemas', async () => {
      const sql = postgres(this.env.databaseUrl, { max: 1, onnotice: () => {} })
      try {
        for (const schema of Object.values(DB_SCHEMA)) await sql.unsafe(`drop schema if exists "${schema}${this.env.schemaSuffix}" cascade`)
      } finally {
        await sql.end({ timeout: 5 })
      }
    })
    return problems
  }
}

export function orchestratorPresent (): boolean {
  return existsSync(serverFile('orchestrator'))
}
