import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { StackSettings } from './settings.ts'
import { ROOT, brokerPorts, controllerPorts, separateController } from './settings.ts'

// Prometheus, Alertmanager and the brokers' JMX exporter: Debian's packages and a javaagent from
// Maven Central, run by our supervisor as local processes with their data in the state folder (the
// packages' service scripts are never used). Their configs are generated here at each start, from
// the settings, so offsets and a test's private ports are always right.

export const PROMETHEUS_DIR = join(ROOT, 'infra/prometheus')
export const RULES_DIR = join(PROMETHEUS_DIR, 'rules')
export const JMX_RULES = join(PROMETHEUS_DIR, 'jmx-kafka.yml')
export const JMX_AGENT_DIR = join(ROOT, 'infra/kafka/target/jmx')

/** The exporter's Maven coordinates, kept in infra/kafka/pom.xml beside the Kafka version. */
export function jmxAgentCoords (): { coords: string, jar: string } {
  const pom = readFileSync(join(ROOT, 'infra/kafka/pom.xml'), 'utf8')
  const coords = /<jmx.exporter.artifact>([^<]+)<\/jmx.exporter.artifact>/.exec(pom)?.[1]
  if (!coords) throw new Error('infra/kafka/pom.xml has no <jmx.exporter.artifact> property')
  const [, artifact, version] = coords.split(':') as [string, string, string]
  return { coords, jar: join(JMX_AGENT_DIR, `${artifact}-${version}.jar`) }
}

/** The -javaagent argument of broker i (or of the controller of BROKERS=3): its exporter listens on loopback beside the node's ports. */
export function jmxAgentArg (s: StackSettings, i: number | 'controller'): string | undefined {
  const { jar } = jmxAgentCoords()
  if (!existsSync(jar)) return undefined
  return `-javaagent:${jar}=127.0.0.1:${i === 'controller' ? controllerPorts(s).jmx : brokerPorts(s, i).jmx}:${JMX_RULES}`
}

/** Where a program is on PATH (Debian puts Alertmanager at /usr/bin/prometheus-alertmanager). */
export function which (names: string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin'])
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name)
      if (dir !== '' && existsSync(path)) return path
    }
  }
  return undefined
}

export interface Tools { prometheus?: string, promtool?: string, alertmanager?: string, amtool?: string }

export function observabilityTools (): Tools {
  const found: Tools = {}
  const prometheus = which(['prometheus'])
  const promtool = which(['promtool'])
  const alertmanager = which(['prometheus-alertmanager', 'alertmanager'])
  const amtool = which(['amtool'])
  if (prometheus) found.prometheus = prometheus
  if (promtool) found.promtool = promtool
  if (alertmanager) found.alertmanager = alertmanager
  if (amtool) found.amtool = amtool
  return found
}

/** One pt-BR line naming the missing Debian package and what is skipped without it; undefined when all is there. */
export function missingTools (tools: Tools = observabilityTools()): string | undefined {
  const missing: string[] = []
  if (!tools.prometheus || !tools.promtool) missing.push('prometheus')
  if (!tools.alertmanager || !tools.amtool) missing.push('prometheus-alertmanager')
  if (missing.length === 0) return undefined
  return `${missing.join(' e ')} não encontrado(s): instale com \`apt-get install --no-install-recommends ${missing.join(' ')}\` (como root, \`make setup\` instala); sem isso o Prometheus/Alertmanager não sobem, a página Métricas fica vazia e os testes de alertas são pulados (com CI=true eles falham).`
}

/** What Prometheus scrapes and where Alertmanager sends alerts. */
export interface ScrapeTargets {
  /** Service name → its HTTP port (each serves /metrics). */
  services: Record<string, number>
  /** Each broker's JMX exporter port, broker 1 first. */
  jmx: number[]
  /** The separate controller's exporter (BROKERS=3): the kafka_controller_* series come from it alone. */
  controllerJmx?: number
  /** Alertmanager's one receiver: the gateway's webhook. */
  webhookUrl: string
}

export interface ObservabilityConfig {
  stateDir: string
  prometheusPort: number
  alertmanagerPort: number
  targets: ScrapeTargets
  /** Shorter in tests, so an alert fires within seconds. */
  scrapeInterval?: string
  evaluationInterval?: string
  ruleFiles?: string[]
}

export function prometheusDir (stateDir: string): string {
  return join(stateDir, 'prometheus')
}

export function alertmanagerDir (stateDir: string): string {
  return join(stateDir, 'alertmanager')
}

// JSON is YAML: the generated files need no YAML writer, and stay readable.
export function prometheusYaml (c: ObservabilityConfig): string {
  const interval = c.scrapeInterval ?? '5s'
  const config = {
    global: { scrape_interval: interval, evaluation_interval: c.evaluationInterval ?? interval },
    rule_files: c.ruleFiles ?? [join(RULES_DIR, '*.yml')],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${c.alertmanagerPort}`] }] }] },
    scrape_configs: [
      // Every service labels its own series with `service`; the target carries the same label for `up`.
      {
        job_name: 'services',
        honor_labels: true,
        static_configs: Object.entries(c.targets.services).map(([service, port]) => ({ targets: [`127.0.0.1:${port}`], labels: { service } }))
      },
      {
        job_name: 'kafka',
        static_configs: [
          ...c.targets.jmx.map((port, i) => ({ targets: [`127.0.0.1:${port}`], labels: { broker: String(i + 1) } })),
          ...(c.targets.controllerJmx !== undefined ? [{ targets: [`127.0.0.1:${c.targets.controllerJmx}`], labels: { broker: 'controller' } }] : [])
        ]
      },
      { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${c.prometheusPort}`] }] },
      { job_name: 'alertmanager', static_configs: [{ targets: [`127.0.0.1:${c.alertmanagerPort}`] }] }
    ]
  }
  return `# Generated by infra/src/prometheus.ts at each start. Edit there, not here.\n${JSON.stringify(config, null, 2)}\n`
}

/** How soon Alertmanager notifies: a new group's first notification, a change in a group (resolved included), a repeat. */
export interface AlertmanagerTiming { groupWait?: string, groupInterval?: string, repeatInterval?: string }

export function alertmanagerYaml (webhookUrl: string, timing: AlertmanagerTiming = {}): string {
  const config = {
    route: {
      receiver: 'gateway',
      group_by: ['alertname', 'service', 'group'],
      group_wait: timing.groupWait ?? '5s',
      // Tests shorten it: a resolved alert is only sent at the group's next interval.
      group_interval: timing.groupInterval ?? '30s',
      repeat_interval: timing.repeatInterval ?? '4h'
    },
    receivers: [{ name: 'gateway', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }]
  }
  return `# Generated by infra/src/prometheus.ts at each start. Edit there, not here.\n${JSON.stringify(config, null, 2)}\n`
}

export interface Command { command: string, args: string[] }

/** Writes Prometheus's config and returns how to run it (data under the state folder). */
export function preparePrometheus (c: ObservabilityConfig, binary: string): Command {
  const dir = prometheusDir(c.stateDir)
  mkdirSync(join(dir, 'data'), { recursive: true })
  const file = join(dir, 'prometheus.yml')
  writeFileSync(file, prometheusYaml(c))
  return {
    command: binary,
    args: [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--storage.tsdb.retention.time=2d',
      `--web.listen-address=127.0.0.1:${c.prometheusPort}`,
      // POST /-/reload re-reads the rules after an edit, without a restart.
      '--web.enable-lifecycle'
    ]
  }
}

/** Writes Alertmanager's config and returns how to run it: loopback only, no cluster port (9094 is Kafka's neighbour). */
export function prepareAlertmanager (c: ObservabilityConfig, binary: string, timing: AlertmanagerTiming = {}): Command {
  const dir = alertmanagerDir(c.stateDir)
  mkdirSync(join(dir, 'data'), { recursive: true })
  const file = join(dir, 'alertmanager.yml')
  writeFileSync(file, alertmanagerYaml(c.targets.webhookUrl, timing))
  return {
    command: binary,
    args: [
      `--config.file=${file}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${c.alertmanagerPort}`,
      '--cluster.listen-address='
    ]
  }
}

/** The shop's own targets: every service on its port (APP_PORT_OFFSET applied), every broker's exporter, the gateway's webhook. */
export function stackTargets (s: StackSettings, appPorts: Record<string, number>): ScrapeTargets {
  const services = Object.fromEntries(Object.entries(appPorts).filter(([name]) => name !== 'web' && name !== 'control'))
  return {
    services,
    jmx: Array.from({ length: s.brokers }, (_, i) => brokerPorts(s, i).jmx),
    ...(separateController(s) ? { controllerJmx: controllerPorts(s).jmx } : {}),
    webhookUrl: `http://127.0.0.1:${appPorts.gateway}/api/alerts/webhook`
  }
}
