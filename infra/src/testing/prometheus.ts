import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { freePort, removePid, spawnDetached, stopGroup, sleep, tailLog } from '../proc.ts'
import type { ScrapeTargets } from '../prometheus.ts'
import { RULES_DIR, missingTools, observabilityTools, prepareAlertmanager, preparePrometheus } from '../prometheus.ts'
import { cleanup } from './stack-env.ts'
import type { AfterHook } from './stack-env.ts'

// A private Prometheus and Alertmanager for a test: free ports, a temporary state folder, our real
// rules (infra/prometheus/rules), short intervals so an alert shows within seconds of its `for:`.
// Never the shared ones on the default ports.

/**
 * Why Prometheus and Alertmanager cannot run here (the pt-BR line naming the package), or false when
 * both are installed. Under CI=true a missing one throws: a suite never skips silently there.
 */
export function observabilityMissing (): string | false {
  const missing = missingTools()
  if (missing === undefined) return false
  const ci = process.env.CI
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') throw new Error(`CI=${ci}: ${missing}`)
  return missing
}

/** True when Prometheus and Alertmanager are installed; otherwise the test is skipped (see observabilityMissing). */
export function observabilityAvailable (t: TestContext): boolean {
  const missing = observabilityMissing()
  if (missing === false) return true
  t.skip(missing)
  return false
}

export interface PrivateObservabilityOptions {
  /** What to scrape: services by name → port, brokers' JMX exporter ports; where alerts go. */
  targets: Partial<ScrapeTargets>
  scrapeInterval?: string
  evaluationInterval?: string
  /** Rule files (globs allowed); default: every file in infra/prometheus/rules. */
  ruleFiles?: string[]
  /**
   * Every alert's `for:` set to this (e.g. '5s'), in a copy of infra/prometheus/rules, so a test
   * sees an alert fire in seconds; the expressions and thresholds stay the real ones.
   */
  alertFor?: string
  /** How long Alertmanager waits before sending a new group's first notification (default 1 s). */
  groupWait?: string
  /** How long before a group's next notification, e.g. its alert resolved (default 30 s, as in the stack). */
  groupInterval?: string
  repeatInterval?: string
}

export interface PromSeries { metric: Record<string, string>, value: [number, string] }
export interface PromAlert { labels: Record<string, string>, annotations: Record<string, string>, state: string, activeAt?: string, value?: string }

export interface PrivateObservability {
  prometheusUrl: string
  alertmanagerUrl: string
  stateDir: string
  /** An instant query (GET /api/v1/query); throws on a PromQL error. */
  query: (expr: string) => Promise<PromSeries[]>
  /** Prometheus's alerts: pending and firing. */
  alerts: () => Promise<PromAlert[]>
  /** Alertmanager's active alerts (GET /api/v2/alerts). */
  alertmanagerAlerts: () => Promise<Array<{ labels: Record<string, string>, status: { state: string } }>>
  /** Scrape targets and their health (up, down, unknown). */
  targets: () => Promise<Array<{ labels: Record<string, string>, health: string, lastError: string }>>
}

async function getJson<T> (url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
  const body = await res.json() as { status?: string, error?: string, data?: unknown }
  if (!res.ok || body.status === 'error') throw new Error(`GET ${url} answered ${res.status}: ${body.error ?? JSON.stringify(body)}`)
  return (body.data ?? body) as T
}

async function waitHttp (url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(r => r.ok, () => false)
    if (ok) return
    await sleep(100)
  }
  throw new Error(`${url} not ready within ${timeoutMs}ms`)
}

/**
 * Starts a private Prometheus and Alertmanager; both are stopped and their folder removed when the
 * test ends (`t`: a test context, or a file's hooks standing in for one). Call observabilityAvailable(t)
 * or observabilityMissing() first.
 */
export async function startObservability (t: AfterHook, options: PrivateObservabilityOptions): Promise<PrivateObservability> {
  const tools = observabilityTools()
  if (!tools.prometheus || !tools.alertmanager) throw new Error(missingTools(tools))
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-prom-'))
  chmodSync(stateDir, 0o755)
  cleanup(t, () => { rmSync(stateDir, { recursive: true, force: true }) })
  // Two calls may hand back the same just-released port.
  let ruleFiles = options.ruleFiles
  if (options.alertFor !== undefined) {
    const dir = join(stateDir, 'rules')
    mkdirSync(dir)
    ruleFiles = readdirSync(RULES_DIR).filter(f => f.endsWith('.yml')).map(f => {
      writeFileSync(join(dir, f), readFileSync(join(RULES_DIR, f), 'utf8').replace(/^(\s+for:\s*)\S+$/gm, `$1${options.alertFor}`))
      return join(dir, f)
    })
  }
  const prometheusPort = await freePort()
  let alertmanagerPort = await freePort()
  while (alertmanagerPort === prometheusPort) alertmanagerPort = await freePort()
  const config = {
    stateDir,
    prometheusPort,
    alertmanagerPort,
    targets: { services: {}, jmx: [], webhookUrl: 'http://127.0.0.1:9/unused', ...options.targets },
    scrapeInterval: options.scrapeInterval ?? '1s',
    evaluationInterval: options.evaluationInterval ?? '1s',
    ...(ruleFiles ? { ruleFiles } : {})
  }
  for (const [name, prepared] of [
    ['alertmanager', prepareAlertmanager(config, tools.alertmanager, { groupWait: options.groupWait ?? '1s', groupInterval: options.groupInterval, repeatInterval: options.repeatInterval })],
    ['prometheus', preparePrometheus(config, tools.prometheus)]
  ] as const) {
    const pid = spawnDetached(stateDir, name, prepared.command, prepared.args)
    cleanup(t, async () => {
      await stopGroup(pid, 10_000)
      removePid(stateDir, name)
    })
  }
  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`
  const alertmanagerUrl = `http://127.0.0.1:${alertmanagerPort}`
  try {
    await waitHttp(`${alertmanagerUrl}/-/ready`, 20_000)
    await waitHttp(`${prometheusUrl}/-/ready`, 30_000)
  } catch (err) {
    // Why, from their own logs (the folder is removed when the test ends).
    throw new Error(`${(err as Error).message}\nalertmanager: ${tailLog(stateDir, 'alertmanager', 5)}\nprometheus: ${tailLog(stateDir, 'prometheus', 5)}`)
  }
  return {
    prometheusUrl,
    alertmanagerUrl,
    stateDir,
    query: async expr => (await getJson<{ result: PromSeries[] }>(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await getJson<{ alerts: PromAlert[] }>(`${prometheusUrl}/api/v1/alerts`)).alerts,
    alertmanagerAlerts: async () => await getJson(`${alertmanagerUrl}/api/v2/alerts`),
    targets: async () => (await getJson<{ activeTargets: Array<{ labels: Record<string, string>, health: string, lastError: string }> }>(`${prometheusUrl}/api/v1/targets`)).activeTargets
  }
}
