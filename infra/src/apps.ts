import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StackSettings } from './settings.ts'
import { ROOT, appPortOffset, bootstrapServers, databaseUrl, registryUrl } from './settings.ts'
import { isAlive, logFile, nodeTs, readPid, removePid, shownPath, sleep, spawnDetached, stopGroup, tailLog } from './proc.ts'
import { ComponentDiedError, claimPorts } from './stack.ts'
import { step } from './steps.ts'
import { serviceBootstrap } from './links.ts'
import { sqlGatewayUrl } from './streams-flink.ts'
import { httpAuthEnv } from './security/http-auth.ts'
import { kafkaLoginEnv } from './security/client-login.ts'
import { ADMIN_PRINCIPAL } from './security/acls.ts'

// Vitrine's own processes for `make demo`: the services, the web UI and the control plane, started
// after the stack, each detached in its own process group with a log and a pid file like the
// stack's components, so `make down` stops them too and `make kill` can crash one for real.

export interface AppComponent {
  name: string
  port: number
  url: string
  command: string
  args: string[]
  cwd: string
  /** A second copy of this service (instanceCopies): it talks to Kafka as that service, through its link. */
  copyOf?: string
}

/** Each app's default port (every service also defaults to it when PORT is unset). */
export const DEFAULT_APP_PORTS: Readonly<Record<string, number>> = {
  inventory: 3003,
  payment: 3002,
  notification: 3004,
  orchestrator: 3005,
  'sales-counter': 3006,
  'checkout-api': 3001,
  gateway: 3010,
  web: 3000,
  control: 3099
}

/** The services of the saga: what an order needs to reach a final state. */
export const SAGA_APPS: readonly string[] = ['inventory', 'payment', 'notification', 'orchestrator', 'checkout-api']
// sales-counter: not part of the saga (it counts confirmed orders with Kafka transactions).
const SERVICES: readonly string[] = [...SAGA_APPS, 'sales-counter', 'gateway']

/** The file the sales-counter writes when it exits at its crash point: the control plane then starts it again. */
export function crashFile (a: Pick<AppSettings, 'stateDir'>, name = 'sales-counter'): string {
  return join(a.stateDir, `${name}.crashed`)
}

export interface AppSettings {
  /** Where the apps' pid files and logs live: the stack's state folder, or a test's own. */
  stateDir: string
  ports: Record<string, number>
  /** Extra variables for every service (a test's TOPIC_PREFIX, KAFKA_GROUP_SUFFIX, DB_SCHEMA_SUFFIX, LOG_LEVEL ...). */
  env: Record<string, string>
  /** Only these apps (default: every one present in the tree). */
  only?: readonly string[]
}

function port (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name} must be a port (1-65535), got "${raw}"`)
  return n
}

/**
 * The apps of the local stack `s`: default ports, moved by APP_PORT_OFFSET (a second copy of the
 * shop on one machine) and CONTROL_PORT, unless overridden.
 */
export function appSettings (s: Pick<StackSettings, 'stateDir'>, o: Partial<AppSettings> = {}): AppSettings {
  const offset = appPortOffset()
  const ports = Object.fromEntries(Object.entries(DEFAULT_APP_PORTS).map(([name, p]) => [name, p + offset]))
  return {
    stateDir: o.stateDir ?? s.stateDir,
    ports: { ...ports, control: port('CONTROL_PORT', DEFAULT_APP_PORTS.control! + offset), ...o.ports },
    env: o.env ?? {},
    ...(o.only ? { only: o.only } : {})
  }
}

function defaults (): AppSettings {
  return appSettings({ stateDir: join(ROOT, process.env.VITRINE_STATE_DIR ?? '.vitrine') })
}

export function apps (a: AppSettings = defaults()): AppComponent[] {
  const list: AppComponent[] = []
  const url = (name: string): string => `http://localhost:${a.ports[name]}`
  const want = (name: string): boolean => a.only === undefined || a.only.includes(name)
  // The control plane first: it answers at once and can then report on the others while they start.
  if (want('control')) list.push({ name: 'control', port: a.ports.control!, url: url('control'), ...nodeTs(join(ROOT, 'infra/src/control/server.ts')), cwd: ROOT })
  for (const name of SERVICES) {
    const dir = join(ROOT, 'services', name)
    if (!want(name) || !existsSync(join(dir, 'src/server.ts'))) continue
    const port = a.ports[name]!
    // Node with tsx's loader in-process: the pid file then holds the service itself, not a tsx wrapper.
    list.push({ name, port, url: url(name), ...nodeTs('src/server.ts'), cwd: dir })
  }
  const web = join(ROOT, 'web')
  const pkg = existsSync(join(web, 'package.json')) ? JSON.parse(readFileSync(join(web, 'package.json'), 'utf8')) as { scripts?: Record<string, string> } : undefined
  // Vite itself (web's `start` script, build then preview), not `pnpm start`: pnpm would hold the pid
  // file while vite listened as its child, so `make kill S=web` would miss the server and `make down`
  // would find it outside the supervisor. The shell builds, then exec's into `vite preview`, which
  // keeps the pid the file names. The build goes to the state folder: each copy of the shop its own.
  if (want('web') && pkg?.scripts?.start) {
    // Paths as the script's arguments ($1 node, $2 vite, $3 the build), so no quoting can break them.
    const script = '"$1" "$2" build --outDir "$3" --emptyOutDir && exec "$1" "$2" preview --outDir "$3"'
    const args = ['-c', script, 'sh', process.execPath, join(web, 'node_modules/vite/bin/vite.js'), join(a.stateDir, 'web-dist')]
    list.push({ name: 'web', port: a.ports.web!, url: url('web'), command: 'sh', args, cwd: web })
  }
  return list
}
/** How far a service's second copy sits from its port (inventory :3003 → inventory-2 :3103). */
export const COPY_PORT_SHIFT = 100

/**
 * A second copy of each saga service (`<service>-2`, the same code, variables and consumer group, on
 * its port + COPY_PORT_SHIFT), started only on request (the control plane, the Kafka page): when it
 * joins or leaves, the class watches its group rebalance the partitions between the two.
 */
export function instanceCopies (a: AppSettings = defaults()): AppComponent[] {
  return apps(a).filter(c => SAGA_APPS.includes(c.name)).map(c => {
    const port = a.ports[`${c.name}-2`] ?? c.port + COPY_PORT_SHIFT
    return { ...c, name: `${c.name}-2`, port, url: `http://localhost:${port}`, copyOf: c.name }
  })
}

/** Our services, their second copies and the UI, last started first: what `down` stops, with the ports it checks. */
export function appPorts (a: AppSettings = defaults()): Array<{ name: string, ports: number[] }> {
  return [...apps(a), ...instanceCopies(a)].map(c => ({ name: c.name, ports: [c.port] })).reverse()
}

export function appNames (a: AppSettings = defaults()): string[] {
  return apps(a).map(a => a.name).reverse()
}

/** Every service reads the same variables; these point them at the local stack unless the user set them. */
export function appEnv (s: StackSettings, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? bootstrapServers(s),
    SCHEMA_REGISTRY_URL: registryUrl(s),
    DATABASE_URL: databaseUrl(s),
    // The gateway proxies the Métricas page's queries and reads the alerts from these.
    PROMETHEUS_URL: `http://127.0.0.1:${s.prometheusPort}`,
    ALERTMANAGER_URL: `http://127.0.0.1:${s.alertmanagerPort}`,
    // The gateway's SQL page runs statements there: this stack's Flink (moved by APP_PORT_OFFSET too).
    FLINK_SQL_GATEWAY_URL: sqlGatewayUrl(s),
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16',
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    // HTTP_AUTH and the stack's JWT key and instructor code (<state>/secrets/http-auth.json).
    ...httpAuthEnv(s.stateDir),
    ...extra
  }
}

/** Where each service finds the others: the ports these apps were given, not the defaults. */
function peerUrls (a: AppSettings): Record<string, string> {
  const at = (name: string): string => `http://127.0.0.1:${a.ports[name]}`
  return {
    INVENTORY_URL: at('inventory'),
    PAYMENT_URL: at('payment'),
    CHECKOUT_API_URL: at('checkout-api'),
    ORCHESTRATOR_URL: at('orchestrator'),
    NOTIFICATION_URL: at('notification'),
    SALES_COUNTER_URL: at('sales-counter'),
    SALES_COUNTER_CRASH_FILE: crashFile(a),
    GATEWAY_URL: at('gateway'),
    // The gateway's Exercícios page asks the control plane for the checkers' verdicts.
    CONTROL_URL: at('control'),
    CONTROL_PORT: String(a.ports.control),
    // The gateway reads each order's log lines from the files these apps write (logFile()).
    LOG_DIR: join(a.stateDir, 'logs')
  }
}

export async function appReady (c: AppComponent): Promise<boolean> {
  try {
    const res = await fetch(c.name === 'web' ? c.url : `${c.url}/health`, { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch {
    return false
  }
}

/** The pid in the app's pid file when that process (group) still runs. */
export function appPid (a: AppSettings, name: string): number | undefined {
  const pid = readPid(a.stateDir, name)
  return pid !== undefined && isAlive(pid) ? pid : undefined
}

export interface StartOptions {
  /**
   * What the app may still be waiting for (the registry, while the stack finishes starting). An app
   * that exits during start-up before this settles is started once more after it, instead of failing.
   */
  stackReady?: Promise<unknown>
}

/** Starts one app detached and waits until it answers; an app already running and ready is left alone. */
export async function startApp (s: StackSettings, a: AppSettings, c: AppComponent, o: StartOptions = {}): Promise<void> {
  if (appPid(a, c.name) !== undefined && await appReady(c)) return
  // A leftover of ours on the port (a half-dead app: its pid file's process gone, a child still serving) is
  // stopped so the app starts again; anything else there is refused with one line naming it.
  if (appPid(a, c.name) === undefined) await claimPorts(s, c.name, [c.port])
  // The control plane reads the stack's settings itself: KAFKA_BROKERS & co. would make it take the stack for external.
  // A service of our own stack talks to Kafka through its link (links.ts), so a drill can slow or cut it alone;
  // not when the brokers are given (KAFKA_BROKERS: a test's, an outside cluster) or predate the links.
  const link = c.name !== 'control' && a.env.KAFKA_BROKERS === undefined && process.env.KAFKA_BROKERS === undefined ? await serviceBootstrap(s, a.stateDir, c.copyOf ?? c.name) : undefined
  // KAFKA_AUTH=scram: a service logs in as its own principal, with only its own password; the control plane (checkers, drills) as the admin.
  const login = c.name === 'web' ? {} : kafkaLoginEnv(s, c.name === 'control' ? ADMIN_PRINCIPAL : c.copyOf ?? c.name)
  const env = c.name === 'control' ? { CONTROL_PORT: String(c.port), ...login } : appEnv(s, { ...peerUrls(a), PORT: String(c.port), ...(link !== undefined ? { KAFKA_BROKERS: link } : {}), ...login, ...a.env })
  const spawn = (): number => spawnDetached(a.stateDir, c.name, c.command, c.args, { cwd: c.cwd, env })
  let pid = appPid(a, c.name) ?? spawn()
  let waitFor = o.stackReady
  // The UI builds before it serves.
  const timeoutMs = c.name === 'web' ? 180_000 : 90_000
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await appReady(c)) return
    if (!isAlive(pid)) {
      if (waitFor === undefined) throw appError(a, c, 'parou durante a partida')
      await waitFor
      waitFor = undefined
      pid = spawn()
    }
    await sleep(250)
  }
  throw appError(a, c, `não respondeu em ${timeoutMs / 1000}s`)
}

/** One pt-BR line naming the app and its log; the log's end goes in `detail` (shown with VITRINE_DEBUG=1). */
function appError (a: AppSettings, c: AppComponent, what: string): ComponentDiedError {
  const err = new ComponentDiedError(`${c.name} ${what} (porta ${c.port}); o motivo está em ${shownPath(logFile(a.stateDir, c.name))}; corrija-o e tente de novo.`)
  err.detail = tailLog(a.stateDir, c.name)
  return err
}

/** SIGTERM to the app's process group (its shutdown hooks run), SIGKILL after the grace time. */
export async function stopApp (a: AppSettings, name: string, graceMs = 25_000): Promise<'stopped' | 'killed' | 'absent'> {
  const pid = readPid(a.stateDir, name)
  if (pid === undefined) return 'absent'
  const how = await stopGroup(pid, graceMs)
  removePid(a.stateDir, name)
  return how
}

/**
 * A real crash: SIGKILL to the whole process group (the service's node process and any wrapper),
 * no shutdown hook, no offset commit, no outbox flush. The pid file stays, naming the dead process.
 */
export async function killApp (a: AppSettings, name: string): Promise<number | undefined> {
  const pid = readPid(a.stateDir, name)
  if (pid === undefined || !isAlive(pid)) return undefined
  try { process.kill(-pid, 'SIGKILL') } catch {}
  const deadline = Date.now() + 10_000
  while (isAlive(pid) && Date.now() < deadline) await sleep(50)
  return pid
}

/**
 * Starts every app that is not running, all at once (they only need the stack, not each other:
 * each waits for its topics and peers on its own), and waits until each answers.
 */
export async function startApps (s: StackSettings, env: Record<string, string> = {}, o: Partial<AppSettings> = {}, start: StartOptions = {}): Promise<AppComponent[]> {
  const a = appSettings(s, { ...o, env: { ...o.env, ...env } })
  const list = apps(a)
  // Before anything starts: a stranger on a port stops the start naming it; a leftover of ours is stopped.
  for (const c of list) if (appPid(a, c.name) === undefined) await claimPorts(s, c.name, [c.port])
  const todo: AppComponent[] = []
  for (const c of list) if (!(appPid(a, c.name) !== undefined && await appReady(c))) todo.push(c)
  if (todo.length === 0) return list
  await step(`Iniciando ${todo.map(c => `${c.name} (:${c.port})`).join(', ')}`, async () => {
    const results = await Promise.allSettled(todo.map(async c => await startApp(s, a, c, start)))
    const failed = results.flatMap(r => r.status === 'rejected' ? [r.reason as Error] : [])
    const first = failed[0]
    if (first === undefined) return
    if (failed.length === 1) throw first
    // Still one line: the first failure in full, the others by name (each detail kept for VITRINE_DEBUG=1).
    const err = new ComponentDiedError(`${first.message} Também falharam: ${todo.filter((c, i) => results[i]!.status === 'rejected').slice(1).map(c => c.name).join(', ')}.`)
    err.detail = failed.map(e => `${e.message}\n${(e as ComponentDiedError).detail ?? ''}`).join('\n\n')
    throw err
  })
  return list
}
