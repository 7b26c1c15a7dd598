import { ShopError } from '@vitrine/service-kit'
import type { StackSettings } from '../settings.ts'
import { bootstrapServers, databaseUrl, loadSettings } from '../settings.ts'
import { components, status as stackStatus, up } from '../stack.ts'
import type { AppComponent, AppSettings } from '../apps.ts'
import { SAGA_APPS, appPid, appSettings, apps, instanceCopies, killApp, startApp, stopApp } from '../apps.ts'
import { isAlive, portInUse, readPid, removePid, sleep, stopGroup, stopSignal } from '../proc.ts'
import type { Admin } from '@platformatic/kafka'
import { createAdmin } from '../topics.ts'
import { adminSasl } from '../security/kafka-auth.ts'
import { toolAuthHeaders } from '../security/http-auth.ts'
import { CONTROLLER_COMPONENT, nodeFormatted } from '../kafka-node.ts'
import { submitStreamsJobs } from '../streams-flink.ts'
import type { ResetReportType } from '@vitrine/service-kit/reset'
import type { GroupReset } from './reset.ts'
import { SHOP_SCHEMAS, moveGroupsToEnd, resetDatabase } from './reset.ts'

// The one control plane: status of every component (the stack, the services, the UI), start, stop,
// restart and kill of one of them, and the shop's reset. The HTTP API (app.ts), `make status|start|
// stop|restart|kill|reset` (cli.ts), and later the chaos drills, labs and exercises all go through
// this class. It takes its settings, so a test runs it on its own ports, state folder, topic
// prefix, group suffix and schema suffix, beside the shared stack without touching it.

export interface ControlSettings {
  stack: StackSettings
  apps: AppSettings
}

/** The demo's control plane: the local stack and the apps on their default ports (CONTROL_PORT from .env). */
export function controlSettings (stack: StackSettings = loadSettings(), o: Partial<AppSettings> = {}): ControlSettings {
  return { stack, apps: appSettings(stack, o) }
}

export type ComponentKind = 'stack' | 'service' | 'web' | 'control'
export type Action = 'start' | 'stop' | 'restart' | 'kill'

export interface ComponentStatus {
  name: string
  kind: ComponentKind
  pid: number | null
  alive: boolean
  ports: Array<{ port: number, listening: boolean }>
  /** Run outside our supervisor (KAFKA_BROKERS, DATABASE_URL, SCHEMA_REGISTRY_URL point elsewhere): we do not start or stop it. */
  external: boolean
  url: string | null
}

export interface ActionResult { action: Action, component: ComponentStatus, /** The process the action stopped or killed. */ previousPid: number | null }

/** What a reset did: the same shape POST /reset answers and the gateway relays (kit's reset.ts). */
export type ResetReport = ResetReportType

interface TrafficSettings { rate: number, mode: string, failPaymentShare: number, outOfStockShare: number }

export class ComponentNotFound extends ShopError {
  constructor (name: string, known: string[]) {
    super('SHOP_ERR_COMPONENT_NOT_FOUND', `no component "${name}" (known: ${known.join(', ')})`, 404, { component: name, known })
  }
}

export class ControlPlane {
  private queue: Promise<unknown> = Promise.resolve()

  constructor (readonly settings: ControlSettings = controlSettings()) {}

  /**
   * The stack as it runs: a cluster started with BROKERS=3 is still three brokers when this plane
   * was started without the variable (a make target after make demo BROKERS=3), as its pid files show.
   */
  private get s (): StackSettings {
    const s = this.settings.stack
    // The controller's folder stays when brokers 2 and 3 are both stopped (their pid files go): still three.
    const bigger = s.brokers === 1 && (['kafka-2', 'kafka-3', CONTROLLER_COMPONENT].some(n => readPid(s.stateDir, n) !== undefined) || nodeFormatted({ ...s, brokers: 3 }, 'controller'))
    return bigger ? { ...s, brokers: 3 } : s
  }

  private get a (): AppSettings { return this.settings.apps }

  /** One action at a time: a restart racing a reset would leave nobody knowing what runs. */
  private serial<T> (fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => {})
    return next
  }

  names (): string[] {
    return [...components(this.s).map(c => c.name), ...this.own().map(c => c.name)]
  }

  /** Our apps, and the second copies of the saga services (started only when asked for). */
  private own (): AppComponent[] {
    return [...apps(this.a), ...instanceCopies(this.a)]
  }

  private app (name: string): AppComponent | undefined {
    return this.own().find(c => c.name === name)
  }

  async status (): Promise<ComponentStatus[]> {
    const stack = (await stackStatus(this.s)).map((r): ComponentStatus => ({ name: r.name, kind: 'stack', pid: r.pid ?? null, alive: r.alive, ports: r.ports, external: r.external, url: null }))
    const own = await Promise.all(this.own().map(async (c): Promise<ComponentStatus> => {
      const pid = readPid(this.a.stateDir, c.name)
      return {
        name: c.name,
        kind: c.name === 'web' ? 'web' : c.name === 'control' ? 'control' : 'service',
        pid: pid ?? null,
        alive: pid !== undefined && isAlive(pid),
        ports: [{ port: c.port, listening: await portInUse(c.port) }],
        external: false,
        url: c.url,
        ...(c.copyOf !== undefined ? { copyOf: c.copyOf } : {})
      }
    }))
    return [...stack, ...own]
  }

  async one (name: string): Promise<ComponentStatus> {
    const row = (await this.status()).find(r => r.name === name)
    if (!row) throw new ComponentNotFound(name, this.names())
    return row
  }

  private check (name: string, action: Action): void {
    if (!this.names().includes(name)) throw new ComponentNotFound(name, this.names())
    // The API cannot pull the floor from under itself; `make down` stops it.
    if (name === 'control') throw new ShopError('SHOP_ERR_COMPONENT_PROTECTED', `the control plane cannot ${action} itself; use make down to stop everything`, 409, { component: name, action })
    const stack = components(this.s).find(c => c.name === name)
    if (stack?.external) throw new ShopError('SHOP_ERR_COMPONENT_EXTERNAL', `${name} runs outside Vitrine (its address comes from the environment), so it is not ours to ${action}`, 409, { component: name, action })
  }

  async act (name: string, action: Action): Promise<ActionResult> {
    this.check(name, action)
    return await this.serial(async () => {
      const previousPid = readPid(this.app(name) ? this.a.stateDir : this.s.stateDir, name) ?? null
      if (action === 'stop' || action === 'restart') await this.stopOne(name)
      if (action === 'kill') await this.killOne(name)
      if (action === 'start' || action === 'restart') await this.startOne(name)
      return { action, component: await this.one(name), previousPid }
    })
  }

  private async startOne (name: string): Promise<void> {
    const c = this.app(name)
    if (c) return await startApp(this.s, this.a, c)
    await up(this.s, { only: [name], catalog: false })
    // `make kill S=flink` then `make start S=flink`: the jobs died with its JVM and resume from their checkpoints.
    if (name === 'flink') submitStreamsJobs(this.s)
  }

  private async stopOne (name: string): Promise<void> {
    if (this.app(name)) {
      await stopApp(this.a, name)
      return
    }
    const pid = readPid(this.s.stateDir, name)
    if (pid === undefined) return
    await stopGroup(pid, name.startsWith('kafka') ? 30_000 : 15_000, stopSignal(name))
    removePid(this.s.stateDir, name)
  }

  /** SIGKILL to the component's whole process group: the crash a drill wants, not a shutdown. */
  private async killOne (name: string): Promise<void> {
    if (this.app(name)) {
      await killApp(this.a, name)
      return
    }
    const pid = readPid(this.s.stateDir, name)
    if (pid === undefined || !isAlive(pid)) return
    try { process.kill(-pid, 'SIGKILL') } catch {}
    const deadline = Date.now() + 10_000
    while (isAlive(pid) && Date.now() < deadline) await sleep(50)
  }

  /** The shop's topic prefix, group suffix and schema suffix (a test's own copy; empty in make demo). */
  shopEnv (): { prefix: string, groupSuffix: string, schemaSuffix: string } {
    return { prefix: this.a.env.TOPIC_PREFIX ?? '', groupSuffix: this.a.env.KAFKA_GROUP_SUFFIX ?? '', schemaSuffix: this.a.env.DB_SCHEMA_SUFFIX ?? '' }
  }

  /**
   * An Admin client on this plane's cluster (every broker of a BROKERS=3 one, so a broker stopped in
   * a lab is no obstacle), logged in as the admin with KAFKA_AUTH=scram: the plane does what the
   * services' principals may not (a reset's offsets, a preferred-leader election).
   */
  kafkaAdmin (clientId: string): Admin {
    return createAdmin(this.kafkaBrokers(), clientId, adminSasl(this.s))
  }

  /** The shop's brokers and database: its services' (a test's shop on another stack), else the stack's. */
  kafkaBrokers (): string {
    return this.a.env.KAFKA_BROKERS ?? process.env.KAFKA_BROKERS ?? bootstrapServers(this.s)
  }

  databaseUrl (): string {
    return this.a.env.DATABASE_URL ?? databaseUrl(this.s)
  }

  /**
   * The whole shop back to its first day: the traffic generator's rate noted, the running services
   * stopped (gracefully: consumers leave their groups), their tables emptied and stock back to the
   * seed, the groups moved to the end of their topics, the same services started again and the
   * traffic rate restored. The stack and the UI keep running.
   */
  async reset (): Promise<ResetReport> {
    return await this.serial(async () => {
      const started = Date.now()
      // The second copies too: a group is moved to the end of its topics only with no member left.
      const services = this.own().filter(c => c.name !== 'web' && c.name !== 'control')
      const running = services.filter(c => appPid(this.a, c.name) !== undefined)
      const checkout = running.find(c => c.name === 'checkout-api')
      const traffic = checkout ? await this.traffic(checkout.url) : undefined
      await Promise.all(running.map(async c => await stopApp(this.a, c.name)))
      const { prefix, groupSuffix, schemaSuffix } = this.shopEnv()
      const { tables, stock } = await resetDatabase(databaseUrl(this.s), schemaSuffix)
      const admin = this.kafkaAdmin('vitrine-control')
      let groups: GroupReset[]
      try {
        groups = await moveGroupsToEnd(admin, Object.keys(SHOP_SCHEMAS).filter(n => SAGA_APPS.includes(n)), prefix, groupSuffix)
      } finally {
        await admin.close().catch(() => {})
      }
      await Promise.all(running.map(async c => await startApp(this.s, this.a, c)))
      if (checkout && traffic) await this.setTraffic(checkout.url, traffic)
      return { seconds: Math.round((Date.now() - started) / 100) / 10, stopped: running.map(c => c.name), started: running.map(c => c.name), tables, stock, groups, trafficRate: traffic?.rate ?? 0 }
    })
  }

  /** The traffic generator's settings when it runs (it lives in checkout-api, so a restart turns it off). */
  private async traffic (url: string): Promise<TrafficSettings | undefined> {
    try {
      const res = await fetch(`${url}/traffic`, { signal: AbortSignal.timeout(2000) })
      const t = await res.json() as TrafficSettings & { running?: boolean }
      return t.running && t.rate > 0 ? { rate: t.rate, mode: t.mode, failPaymentShare: t.failPaymentShare, outOfStockShare: t.outOfStockShare } : undefined
    } catch {
      return undefined
    }
  }

  private async setTraffic (url: string, t: TrafficSettings): Promise<void> {
    // With HTTP_AUTH=jwt the generator is the instructor's: the control plane calls with its own token.
    await fetch(`${url}/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json', ...toolAuthHeaders(this.s.stateDir, 'control') }, body: JSON.stringify(t), signal: AbortSignal.timeout(5000) }).catch(() => {})
  }
}
