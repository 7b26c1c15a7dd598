import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { TOPICS } from '@vitrine/contracts'
import type { StackSettings } from './settings.ts'
import { APICURIO_DIR, ROOT, bootstrapServers, brokerPorts, controllerPorts, registryUrl, separateController } from './settings.ts'
import { CONTROLLER_COMPONENT, brokerCommand, javaBin, kafkaServerLogName, nodeFormatted, prepareNode, writeToolsLog4j } from './kafka-node.ts'
import { PortTakenError, describeProcess, isAlive, isOurs, listeners, logFile, nodeTs, portInUse, readPid, removePid, rollbackOnFailure, shownPath, sleep, spawnDetached, stopGroup, stopPid, stopSignal, tailLog } from './proc.ts'
import { ensureDatabase, postgresHome, preparePostgres } from './postgres-host.ts'
import { applyCatalog, createAdmin, formatReport } from './topics.ts'
import { info, step } from './steps.ts'
import type { Command, ObservabilityConfig, Tools } from './prometheus.ts'
import { missingTools, observabilityTools, prepareAlertmanager, preparePrometheus, stackTargets } from './prometheus.ts'
import { appSettings } from './apps.ts'
import { flinkReady, prepareFlink, submitStreamsJobs } from './streams-flink.ts'
import { connectReady, dropCdcSlot, prepareCdcTables, prepareConnect, registerCdcConnector } from './streams-connect.ts'
import { adminSasl, kafkaCredentials, writeAdminCommandConfig, writeRegistryKafkaConfig } from './security/kafka-auth.ts'
import { ensureScramUsers } from './security/scram-users.ts'
import { httpAuthSetting } from './security/http-auth.ts'
import { registryLoginHeaders } from './security/client-login.ts'
import { forgetAuthMode, recordAuthMode, runningAuthMode } from './security/auth-mode.ts'
import { deriveAcls } from './security/acls.ts'
import { applyAcls, formatAclReport } from './security/apply.ts'

// The local stack, in dependency order. Each component is one detached process group with a log
// file and a pid file in the state folder; readiness is checked for real, not slept for.

export interface Component {
  name: string
  /** For messages: what a student knows it as. */
  label: string
  ports: number[]
  /** External when the environment points at a server we do not run (DATABASE_URL, KAFKA_BROKERS ...). */
  external: boolean
  /** Components that must be ready before this one starts (among those being started). */
  after: string[]
  /** Components this one cannot work without: `up` with `only` starts them too (a broker needs its controller). */
  needs?: string[]
  start: () => Promise<number>
  ready: () => Promise<boolean>
  readyTimeoutMs: number
  /** Set when its program is not installed (an optional part: Prometheus, Alertmanager): why, in one pt-BR line; `up` skips it. */
  missing?: string | undefined
}

export class ComponentDiedError extends Error {
  code = 'SHOP_ERR_COMPONENT_DIED'
  /** The end of the component's log, for whoever wants more than the one-line message. */
  detail?: string
}

/** A start that cannot go on as asked, with one line that says why and what to run. */
export class StackError extends Error {
  code = 'SHOP_ERR_STACK'
}

export function components (s: StackSettings): Component[] {
  const list: Component[] = []
  const externalKafka = Boolean(process.env.KAFKA_BROKERS)
  // BROKERS=3: the KRaft controller on its own (settings.ts separateController), ready once its
  // quorum listener answers; the brokers wait for it and register with it.
  const controller = separateController(s)
  if (controller) {
    const ports = controllerPorts(s)
    list.push({
      name: CONTROLLER_COMPONENT,
      label: 'Kafka (controller KRaft)',
      ports: [ports.controller, ports.jmx],
      external: externalKafka,
      after: [],
      readyTimeoutMs: 60_000,
      start: async () => {
        const node = await prepareNode(s, 'controller')
        const { command, args } = brokerCommand(s, node)
        return spawnDetached(s.stateDir, CONTROLLER_COMPONENT, command, args)
      },
      ready: async () => await portInUse(ports.controller)
    })
  }
  for (let i = 0; i < s.brokers; i++) {
    const ports = brokerPorts(s, i)
    list.push({
      name: `kafka-${i + 1}`,
      label: s.brokers === 1 ? 'Kafka' : `Kafka (broker ${i + 1})`,
      // The JMX exporter's port too: taken by a stranger, the broker's agent could not listen there.
      ports: controller ? [ports.client, ports.jmx] : [ports.client, ports.controller, ports.jmx],
      external: externalKafka,
      after: controller ? [CONTROLLER_COMPONENT] : [],
      ...(controller ? { needs: [CONTROLLER_COMPONENT] } : {}),
      readyTimeoutMs: 90_000,
      start: async () => {
        const node = await prepareNode(s, i)
        const { command, args } = brokerCommand(s, node)
        return spawnDetached(s.stateDir, `kafka-${i + 1}`, command, args)
      },
      // A broker is ready when the cluster's metadata lists it, i.e. it joined the quorum and registered.
      ready: async () => {
        if (!(await portInUse(ports.client))) return false
        const admin = createAdmin(`localhost:${ports.client}`, 'vitrine-ready', adminSasl(s))
        try {
          const meta = await admin.metadata({ topics: [] })
          // Itself registered, not every broker: a broker started again while another is stopped (runbook 03
          // starts broker 3 with broker 2 still down) is ready all the same. A whole cluster's start still
          // waits for each broker, since the catalog and the registry wait for every broker component.
          return meta.brokers.has(i + 1)
        } catch {
          return false
        } finally {
          await admin.close().catch(() => {})
        }
      }
    })
  }
  const kafkaNames = list.map(c => c.name)
  list.push({
    name: 'postgres',
    label: 'PostgreSQL',
    ports: [s.pgPort],
    external: Boolean(process.env.DATABASE_URL),
    after: [],
    readyTimeoutMs: 60_000,
    // The server itself, not a wrapper: its pid file holds the postmaster, the process that listens.
    start: async () => {
      const pg = await preparePostgres(s)
      return spawnDetached(s.stateDir, 'postgres', pg.command, pg.args, { cwd: pg.home, env: { LC_MESSAGES: 'C' }, ...(pg.user ?? {}) })
    },
    // Ready once it answers and the application's role and database exist (created the first time).
    ready: async () => await ensureDatabase(s.pgPort)
  })
  const externalRegistry = Boolean(process.env.SCHEMA_REGISTRY_URL)
  list.push({
    name: 'registry-backend',
    label: 'Apicurio Registry',
    ports: [s.registryBackendPort],
    external: externalRegistry,
    // Its schemas live in a Kafka topic; its client waits for a lone broker, so the JVM's start overlaps
    // Kafka's. A 3-broker cluster goes first: the journal topic must not be created before all brokers are in.
    // With KAFKA_AUTH=scram it goes after the brokers too, once its ACLs exist (it stops at its first refusal).
    after: s.brokers === 1 && s.kafkaAuth === 'none' ? [] : kafkaNames,
    readyTimeoutMs: 120_000,
    start: async () => {
      const jar = existsSync(APICURIO_DIR) ? readdirSync(APICURIO_DIR).find(f => f.endsWith('-runner.jar')) : undefined
      if (!jar) throw new StackError(`O Apicurio Registry não está em ${APICURIO_DIR}: rode \`make setup\` para baixá-lo.`)
      if (s.kafkaAuth === 'scram' && !externalKafka) await applyStackAcls(s)
      return spawnDetached(s.stateDir, 'registry-backend', javaBin(s), [
        '-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
        `-Dquarkus.http.port=${s.registryBackendPort}`, '-Dquarkus.http.host=127.0.0.1',
        // Schemas live in a Kafka topic (kafkasql-journal), as Confluent's registry keeps them in _schemas.
        '-Dapicurio.storage.kind=kafkasql', `-Dapicurio.kafkasql.bootstrap.servers=${process.env.KAFKA_BROKERS ?? bootstrapServers(s)}`,
        // KAFKA_AUTH=scram: it logs in as the registry principal (its ACLs: its storage topics only).
        ...(s.kafkaAuth === 'scram' ? [`-Dquarkus.config.locations=${writeRegistryKafkaConfig(s)}`] : []),
        '-Dapicurio.rest.deletion.artifact.enabled=true', '-Dapicurio.rest.deletion.artifact-version.enabled=true', '-Dapicurio.rest.deletion.group.enabled=true',
        '-Dquarkus.log.level=INFO', '-Dquarkus.log.category."io.apicurio".level=WARN',
        '-jar', join(APICURIO_DIR, jar)
      ], { cwd: APICURIO_DIR })
    },
    ready: async () => await httpOk(`http://127.0.0.1:${s.registryBackendPort}/apis/ccompat/v7/subjects`)
  })
  list.push({
    name: 'registry',
    label: 'Schema Registry (proxy)',
    ports: [s.registryPort],
    external: externalRegistry,
    after: ['registry-backend'],
    readyTimeoutMs: 20_000,
    start: async () => {
      // KAFKA_AUTH=scram: the state folder's Kafka passwords guard the registry's writes (registry-proxy.ts).
      const { command, args } = nodeTs(join(ROOT, 'infra/src/registry-proxy.ts'), [String(s.registryPort), String(s.registryBackendPort), ...(s.kafkaAuth === 'scram' ? [s.stateDir] : [])])
      return spawnDetached(s.stateDir, 'registry', command, args)
    },
    ready: async () => await httpOk(`http://127.0.0.1:${s.registryPort}/subjects`)
  })
  // Flink's SQL Gateway, whose jobs run in a mini cluster in the same JVM; it reaches Kafka and the
  // registry only when a job runs, so it starts beside them. LITE=1 leaves it out (768 MB of heap).
  list.push({
    name: 'flink',
    label: 'Apache Flink (SQL Gateway)',
    ports: [s.flinkGatewayPort],
    // Also beside a Kafka we do not run (KAFKA_BROKERS): that cluster's stream processing is its own.
    external: Boolean(process.env.FLINK_SQL_GATEWAY_URL) || externalKafka,
    missing: s.lite ? LITE_SKIP : undefined,
    after: [],
    readyTimeoutMs: 90_000,
    start: async () => {
      const { command, args, env } = prepareFlink(s, javaBin(s))
      return spawnDetached(s.stateDir, 'flink', command, args, { cwd: s.stateDir, env })
    },
    ready: async () => await flinkReady(s)
  })
  // Kafka Connect with Debezium: its internal topics need the brokers; the connector (registered once
  // PostgreSQL answers too) creates its replication slot. LITE=1 leaves it out, and no slot stays behind.
  list.push({
    name: 'connect',
    label: 'Kafka Connect (Debezium)',
    ports: [s.connectPort],
    // Beside a Kafka we do not run, a worker of ours would join that cluster's Connect group.
    external: Boolean(process.env.CONNECT_URL) || externalKafka,
    missing: s.lite ? LITE_SKIP : undefined,
    after: kafkaNames,
    readyTimeoutMs: 120_000,
    start: async () => {
      const { command, args } = prepareConnect(s, javaBin(s))
      return spawnDetached(s.stateDir, 'connect', command, args, { cwd: s.stateDir })
    },
    ready: async () => await connectReady(s)
  })
  // Prometheus scrapes whatever runs (a service down is an alert, not a start failure), so it waits for nothing.
  const tools = observabilityTools()
  list.push(observabilityComponent(s, tools, 'alertmanager', 'Alertmanager', s.alertmanagerPort, 20_000, prepareAlertmanager))
  list.push(observabilityComponent(s, tools, 'prometheus', 'Prometheus', s.prometheusPort, 30_000, preparePrometheus))
  return list
}

/** Why LITE=1 starts no Flink and no Kafka Connect (said once by `up`). */
export const LITE_SKIP = 'LITE=1 (modo leve, para máquinas com pouca memória): sem Flink e sem Kafka Connect, o painel de KPIs, a página SQL e os tópicos de CDC ficam vazios; rode sem LITE=1 para tê-los.'

/**
 * Alertmanager or Prometheus: an optional part (`missing` when its program is not installed), one
 * process on one port from its prepare* command, ready when its /-/ready answers.
 */
function observabilityComponent (s: StackSettings, tools: Tools, name: 'alertmanager' | 'prometheus', label: string, port: number, readyTimeoutMs: number,
  prepare: (c: ObservabilityConfig, binary: string) => Command): Component {
  const binary = tools[name]
  return {
    name,
    label,
    ports: [port],
    external: false,
    missing: binary ? undefined : missingTools(tools),
    after: [],
    readyTimeoutMs,
    start: async () => {
      const config: ObservabilityConfig = { stateDir: s.stateDir, prometheusPort: s.prometheusPort, alertmanagerPort: s.alertmanagerPort, targets: stackTargets(s, appSettings(s).ports) }
      const { command, args } = prepare(config, binary!)
      return spawnDetached(s.stateDir, name, command, args)
    },
    ready: async () => await httpOk(`http://127.0.0.1:${port}/-/ready`)
  }
}

/** KAFKA_AUTH=scram: the catalog's ACLs on the stack's cluster (idempotent: what exists is left as it is). */
async function applyStackAcls (s: StackSettings): Promise<void> {
  const admin = createAdmin(bootstrapServers(s), 'vitrine-acls', adminSasl(s))
  try {
    await applyAcls(admin, deriveAcls())
  } finally {
    await admin.close()
  }
}

async function httpOk (url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch {
    return false
  }
}

/** The log that says why a component failed: a Kafka node's own log (the JVM writes there), else the process's output. */
function reasonLog (s: StackSettings, name: string): string {
  return logFile(s.stateDir, ownLog(name))
}

function ownLog (name: string): string {
  return name.startsWith('kafka-') ? kafkaServerLogName(name) : name
}

/** The last line of the log that looks like the cause (FATAL, ERROR ...), shortened to fit in a message. */
function lastCause (s: StackSettings, name: string): string | undefined {
  const lines = tailLog(s.stateDir, ownLog(name), 200).split('\n')
  const cause = lines.reverse().find(l => /\b(FATAL|PANIC|ERROR|Exception|Error:)/.test(l))
  if (!cause) return undefined
  const text = cause.replace(/^\S+ \S+ (UTC|GMT)?\s*\[\d+\]\s*/, '').replace(/^\[[^\]]+\]\s*/, '').replace(/\s+/g, ' ').trim()
  return text.length > 180 ? text.slice(0, 177) + '...' : text
}

function diedError (s: StackSettings, c: Component, what: string): ComponentDiedError {
  const cause = lastCause(s, c.name)
  const err = new ComponentDiedError(`${c.label} ${what}${cause ? ` (${cause})` : ''}; detalhes em ${shownPath(reasonLog(s, c.name))}. Corrija e rode \`make up\` de novo, ou recomece do zero com \`make clean && make up\` (apaga os dados locais).`)
  err.detail = tailLog(s.stateDir, ownLog(c.name))
  return err
}

async function waitReady (s: StackSettings, c: Component, pid: number, stop: { stopped: boolean }): Promise<void> {
  const deadline = Date.now() + c.readyTimeoutMs
  while (Date.now() < deadline && !stop.stopped) {
    if (await c.ready()) return
    if (!isAlive(pid)) {
      removePid(s.stateDir, c.name)
      throw diedError(s, c, 'parou durante a partida')
    }
    await sleep(250)
  }
  if (stop.stopped) throw new Cancelled(`${c.name}: start cancelled, another component failed`)
  throw diedError(s, c, `não ficou pronto em ${c.readyTimeoutMs / 1000}s`)
}

/** A wait ended because another component failed: that failure is the one reported. */
class Cancelled extends Error {}

/** Folders whose processes are ours: the project, its state folder, PostgreSQL's folder when it lives outside. */
export function ourRoots (s: StackSettings): string[] {
  return [...new Set([ROOT, s.stateDir, postgresHome(s)])]
}

/** A process we started (checked through /proc where there is one; elsewhere the pid file is trusted). */
function ours (s: StackSettings, pid: number): boolean {
  return !existsSync('/proc') || isOurs(pid, ourRoots(s))
}

/** The brokers whose storage is formatted in this state folder. */
function formattedBrokers (s: StackSettings): number {
  let n = 0
  for (let i = 0; i < 3; i++) if (nodeFormatted(s, i)) n++
  return n
}

/**
 * A cluster formatted for another broker count must not be joined by more brokers or started with
 * fewer: its topics would keep replication factors the new cluster cannot hold. Nor can a 3-broker
 * cluster of the old layout (three combined broker+controller nodes, before the separate controller)
 * be started as broker-only nodes: its metadata names them as the quorum's voters.
 */
async function checkBrokerCount (s: StackSettings): Promise<void> {
  const existing = formattedBrokers(s)
  const oldLayout = separateController(s) && existing === s.brokers && !nodeFormatted(s, 'controller')
  if (existing === 0 || (existing === s.brokers && !oldLayout)) return
  const kafkaDir = shownPath(join(s.stateDir, 'kafka'))
  if (process.env.RECREATE !== '1') {
    if (oldLayout) {
      throw new StackError(`O cluster Kafka de 3 brokers em ${kafkaDir} é do formato antigo (três nós broker+controller); o modo de 3 brokers agora tem um controller KRaft separado dos brokers, e o cluster antigo não se converte: recrie só o Kafka com \`RECREATE=1 BROKERS=3 make up\` (apaga tópicos e esquemas) ou rode \`make clean\` antes (apaga também o banco).`)
    }
    throw new StackError(`Já existe em ${kafkaDir} um cluster Kafka de ${existing} broker(s) e BROKERS=${s.brokers} pede ${s.brokers}; eles não se misturam: rode \`make clean\` antes (apaga tópicos, esquemas e banco) ou recrie só o Kafka com \`RECREATE=1 BROKERS=${s.brokers} make up\` (apaga tópicos e esquemas).`)
  }
  // The registry keeps its schemas in a Kafka topic: it goes with the cluster.
  for (const name of ['registry', 'registry-backend', 'kafka-1', 'kafka-2', 'kafka-3', CONTROLLER_COMPONENT]) {
    const pid = readPid(s.stateDir, name)
    if (pid !== undefined) await stopGroup(pid, 30_000)
    removePid(s.stateDir, name)
  }
  rmSync(join(s.stateDir, 'kafka'), { recursive: true, force: true })
  info(`RECREATE=1: o cluster Kafka de ${existing} broker(s) em ${kafkaDir} foi apagado (tópicos e esquemas); um novo de ${s.brokers} sobe agora${separateController(s) ? ', com um controller KRaft separado' : ''}`)
}

interface Leftover { port: number, pid: number, name: string }

/**
 * Our processes still listening on `ports`, which `name` is about to take: a leftover of ours (a
 * stale pid file, a service restarted by hand, an orphaned child). Throws PortTakenError when
 * anything else holds one of them.
 */
async function leftoversOn (s: StackSettings, name: string, ports: number[]): Promise<Leftover[]> {
  const found: Leftover[] = []
  const holders = listeners(ports)
  for (const port of ports) {
    if (!(await portInUse(port))) continue
    const pids = holders.get(port) ?? []
    const foreign = pids.find(p => !ours(s, p))
    if (pids.length === 0 || foreign !== undefined) throw new PortTakenError(port, name, foreign !== undefined ? describeProcess(foreign) : undefined)
    for (const pid of pids) found.push({ port, pid, name })
  }
  return found
}

async function stopLeftovers (leftovers: Leftover[]): Promise<void> {
  for (const l of leftovers) {
    info(`${l.name}: ${describeProcess(l.pid)} ainda ocupava a porta ${l.port} sem constar no supervisor; encerrado para subir de novo`)
    await stopPid(l.pid)
  }
}

/**
 * Frees `ports` for `name` before it starts (a service, the UI): stops what of ours still listens
 * there, throws PortTakenError (one pt-BR line) when something else does. Call it when the
 * component's pid file names no live process.
 */
export async function claimPorts (s: StackSettings, name: string, ports: number[]): Promise<void> {
  await stopLeftovers(await leftoversOn(s, name, ports))
}

export interface UpOptions {
  /** Start only these components (by name, e.g. ['kafka-1', 'kafka-2', 'kafka-3']); default: all of them. */
  only?: readonly string[]
  /** Apply the topic catalog and the registry's global compatibility; default: only when every component is started. */
  catalog?: boolean
}

/**
 * Starts every component that is not already running, each as soon as what it needs is ready
 * (PostgreSQL beside Kafka, the registry after Kafka). If any step fails, what this call started
 * is stopped again, and what ran before it is left alone.
 */
export async function up (s: StackSettings, options: UpOptions = {}): Promise<void> {
  await rollbackOnFailure(async () => await startAll(s, options))
}

async function startAll (s: StackSettings, options: UpOptions): Promise<void> {
  mkdirSync(s.stateDir, { recursive: true })
  // Kafka already running in another security mode (make demo's scram, make test's none): clients of
  // one mode cannot talk to the other's listener, so say it before anything starts.
  const httpAuth = httpAuthSetting(process.env.HTTP_AUTH, s.stateDir)
  const runningMode = runningAuthMode(s.stateDir)
  if (runningMode !== undefined && !process.env.KAFKA_BROKERS && runningMode.kafkaAuth !== s.kafkaAuth) {
    throw new StackError(`O Kafka desta pasta (${shownPath(s.stateDir)}) já roda com KAFKA_AUTH=${runningMode.kafkaAuth}, e este comando pediu KAFKA_AUTH=${s.kafkaAuth}: pare tudo com \`make down\` e rode de novo (make demo sobe com scram; make test e make bench, com none).`)
  }
  writeToolsLog4j(s)
  // infra/bin/kafka logs in as the admin with this file when it exists (KAFKA_AUTH=scram); removed otherwise.
  writeAdminCommandConfig(s, s.kafkaAuth)
  const all = components(s)
  for (const name of options.only ?? []) {
    if (!all.some(c => c.name === name)) throw new Error(`unknown component "${name}" (known: ${all.map(c => c.name).join(', ')})`)
  }
  // What the named components cannot work without comes along (a broker of BROKERS=3 and its controller).
  const only = options.only === undefined ? undefined : [...new Set([...options.only, ...all.filter(c => options.only!.includes(c.name)).flatMap(c => c.needs ?? [])])]
  const wanted = all.filter(c => !c.external && (only === undefined || only.includes(c.name)))
  // An optional part whose program is missing is said once and skipped; the rest starts as usual.
  const skipped = wanted.filter(c => c.missing !== undefined)
  for (const reason of new Set(skipped.map(c => c.missing!))) info(`${skipped.filter(c => c.missing === reason).map(c => c.label).join(' e ')} não vão subir: ${reason}`)
  const list = wanted.filter(c => c.missing === undefined)
  if (list.some(c => c.name.startsWith('kafka-'))) await checkBrokerCount(s)

  // Which components already run; for the others, who holds their ports. A port held by a leftover
  // of ours (a stale pid file, an orphaned child) is freed; one held by anything else stops the start
  // before anything starts.
  const running = new Map<string, number>()
  const leftovers: Leftover[] = []
  for (const c of list) {
    const pid = readPid(s.stateDir, c.name)
    if (pid !== undefined && isAlive(pid) && ours(s, pid)) {
      running.set(c.name, pid)
      continue
    }
    if (pid !== undefined) removePid(s.stateDir, c.name)
    leftovers.push(...await leftoversOn(s, c.name, c.ports))
  }
  await stopLeftovers(leftovers)

  const stop = { stopped: false }
  const done = new Map<string, Promise<void>>()
  const inList = new Set(list.map(c => c.name))
  const startOne = async (c: Component): Promise<void> => {
    await Promise.all(c.after.filter(n => inList.has(n)).map(async n => await done.get(n)))
    if (stop.stopped) return
    const pid = running.get(c.name)
    // Running and answering: nothing to do. Running but not answering yet (still starting): wait for it.
    if (pid !== undefined && await c.ready()) {
      info(`${c.name} já está rodando (pid ${pid})`)
      return
    }
    await step(`Iniciando ${c.label} (porta ${c.ports[0]})`, async () => {
      await waitReady(s, c, pid ?? await c.start(), stop)
    })
  }
  // In dependency order, so each component's prerequisites are already in the map.
  for (const c of list) done.set(c.name, startOne(c))
  const tasks = [...done.values()]

  if (options.catalog ?? options.only === undefined) {
    const kafkaReady = Promise.all(list.filter(c => c.name.startsWith('kafka-')).map(async c => await done.get(c.name)))
    // The topics only need Kafka: they are applied while the registry still starts.
    tasks.push(kafkaReady.then(async () => {
      if (stop.stopped) return
      await step('Aplicando o catálogo de tópicos (contracts/src/topics.ts)', async () => {
        const admin = createAdmin(process.env.KAFKA_BROKERS ?? bootstrapServers(s), undefined, adminSasl(s))
        try {
          const report = await applyCatalog(admin, TOPICS, s.brokers)
          for (const line of formatReport(report)) info(line)
          // KAFKA_AUTH=scram: each principal's ACLs, derived from the same catalog (security/acls.ts).
          if (s.kafkaAuth === 'scram') for (const line of formatAclReport(await applyAcls(admin, deriveAcls()))) info(line)
          // A cluster formatted before a user joined the catalog (drill) gains it here, with the state folder's password.
          if (s.kafkaAuth === 'scram' && !process.env.KAFKA_BROKERS) {
            const added = await ensureScramUsers(admin, kafkaCredentials(s.stateDir))
            if (added.length > 0) info(`Usuários SCRAM criados neste cluster: ${added.join(', ')}`)
          }
        } finally {
          await admin.close()
        }
      })
    }))
    // Only with a registry to talk to (a brokers-only start has none).
    if (list.some(c => c.name === 'registry') || all.some(c => c.name === 'registry' && c.external)) {
      tasks.push((done.get('registry') ?? Promise.resolve()).then(async () => {
        if (stop.stopped) return
        await step('Compatibilidade global do Schema Registry = BACKWARD', async () => {
          const res = await fetch(`${registryUrl(s)}/config`, {
            method: 'PUT',
            // KAFKA_AUTH=scram: as admin, the only principal the registry lets set the global rule.
            headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...registryLoginHeaders(s) },
            body: JSON.stringify({ compatibility: 'BACKWARD' })
          })
          if (!res.ok) throw new Error(`PUT ${registryUrl(s)}/config answered ${res.status}: ${await res.text()}`)
        })
      }))
    }
  }
  // The CDC connector, once Connect and PostgreSQL answer (its PUT is idempotent: every `up` may send it).
  // PostgreSQL outside this call's list already runs (or is external): only Connect is waited for.
  if (list.some(c => c.name === 'connect')) {
    tasks.push(Promise.all([done.get('connect'), done.get('postgres')]).then(async () => {
      if (stop.stopped) return
      await step('Registrando o conector Debezium (customers e products → tópicos .cdc)', async () => {
        await prepareCdcTables(s)
        await registerCdcConnector(s)
      })
    }))
  }
  // The Flink SQL jobs (services/streams/sql), once everything above is up: the submitter runs on its
  // own (logs/streams-submit.log), so a slow first plan does not hold `up`, and a job it cannot start
  // leaves the rest of the stack as it is. It is idempotent: running jobs are left alone.
  if (list.some(c => c.name === 'flink') && (options.catalog ?? options.only === undefined)) {
    const before = [...tasks]
    tasks.push(Promise.allSettled(before).then(async () => {
      if (stop.stopped) return
      await step('Submetendo os jobs do Flink SQL (services/streams/sql; log em logs/streams-submit.log)', async () => {
        submitStreamsJobs(s)
      })
    }))
  }
  // LITE=1: a slot left by an earlier full run would keep WAL for a connector that is not running.
  if (s.lite && list.some(c => c.name === 'postgres')) {
    tasks.push((done.get('postgres') ?? Promise.resolve()).then(async () => {
      if (stop.stopped) return
      const dropped = await dropCdcSlot(s).catch((err: unknown) => { info(`LITE=1: não consegui remover o slot de replicação do Debezium: ${err instanceof Error ? err.message : String(err)}`); return true })
      if (!dropped) info('LITE=1: o slot de replicação do Debezium ainda está em uso e não foi removido')
    }))
  }
  // The first failure ends every other wait, so no polling loop outlives this call; it is the one reported.
  let first: unknown
  await Promise.all(tasks.map(async task => {
    try {
      await task
    } catch (err) {
      if (first === undefined) first = err
      stop.stopped = true
    }
  }))
  if (first !== undefined) throw first
  // Later commands without KAFKA_AUTH/HTTP_AUTH follow the running stack (security/auth-mode.ts).
  if (!process.env.KAFKA_BROKERS && readPid(s.stateDir, 'kafka-1') !== undefined) recordAuthMode(s.stateDir, { kafkaAuth: s.kafkaAuth, httpAuth })
}

/** A process of ours besides the stack (a service, the UI ...): its pid file's name and the ports it listens on. */
export type Extra = string | { name: string, ports: number[] }

/**
 * Stops everything of ours: each process with a pid file, then whatever of ours still listens on
 * one of our ports (a service restarted by hand, an orphaned child). Returns what still listens,
 * each with the reason; empty means nothing was left behind.
 */
export async function down (s: StackSettings, extra: Extra[] = []): Promise<string[]> {
  const own = components(s)
  // The brokers of a larger cluster started earlier with BROKERS=3 too.
  const anyCluster = components({ ...s, brokers: 3 }).filter(c => c.name.startsWith('kafka-'))
  const pidsDir = join(s.stateDir, 'pids')
  const withPidFile = existsSync(pidsDir) ? readdirSync(pidsDir).filter(f => f.endsWith('.pid')).map(f => f.slice(0, -4)) : []
  const names = [...new Set([...extra.map(e => typeof e === 'string' ? e : e.name), ...withPidFile, ...own.map(c => c.name).reverse(), ...anyCluster.map(c => c.name)])]
  const stopOne = async (name: string): Promise<void> => {
    const pid = readPid(s.stateDir, name)
    if (pid === undefined) return
    // A pid file left from before a reboot may name someone else's process now.
    const how = isAlive(pid) && ours(s, pid) ? await stopGroup(pid, name.startsWith('kafka') ? 30_000 : 15_000, stopSignal(name)) : 'absent'
    removePid(s.stateDir, name)
    if (how !== 'absent') info(`${name}: ${how === 'stopped' ? 'parado' : 'encerrado à força (SIGKILL)'}`)
  }
  // Everything else first, at once; then the brokers together (the last controller of a cluster
  // stopped one by one would wait for a quorum that is gone); the separate controller last, so the
  // brokers' controlled shutdown still has a controller to talk to.
  await Promise.all(names.filter(n => !n.startsWith('kafka-')).map(stopOne))
  await Promise.all(names.filter(n => n.startsWith('kafka-') && n !== CONTROLLER_COMPONENT).map(stopOne))
  await Promise.all(names.filter(n => n === CONTROLLER_COMPONENT).map(stopOne))
  forgetAuthMode(s.stateDir)

  const watched: Array<{ name: string, port: number }> = []
  for (const c of [...own, ...anyCluster]) if (!c.external) for (const port of c.ports) watched.push({ name: c.name, port })
  for (const e of extra) if (typeof e !== 'string') for (const port of e.ports) watched.push({ name: e.name, port })
  const ports = [...new Map(watched.map(w => [w.port, w])).values()]
  const leftovers: string[] = []
  const listening = await Promise.all(ports.map(async w => ({ ...w, up: await portInUse(w.port) })))
  const holders = listeners(listening.filter(w => w.up).map(w => w.port))
  for (const w of listening.filter(l => l.up)) {
    const pids = holders.get(w.port) ?? []
    for (const pid of pids) {
      if (!ours(s, pid)) {
        leftovers.push(`porta ${w.port} (${w.name}): ${describeProcess(pid)} não é deste projeto; não foi parado`)
        continue
      }
      const how = await stopPid(pid)
      info(`porta ${w.port} (${w.name}): ${describeProcess(pid)} escutava fora do supervisor; ${how === 'killed' ? 'encerrado à força (SIGKILL)' : 'parado'}`)
    }
    if (await portInUse(w.port)) {
      if (pids.length === 0) leftovers.push(`porta ${w.port} (${w.name}): algo escuta nela e não dá para ver o quê (veja com \`lsof -i :${w.port}\`)`)
      else if (pids.every(pid => ours(s, pid))) leftovers.push(`porta ${w.port} (${w.name}): continua escutando mesmo depois de SIGKILL`)
    }
  }
  return leftovers
}

export interface Status { name: string, pid: number | undefined, alive: boolean, ports: Array<{ port: number, listening: boolean }>, external: boolean }

export async function status (s: StackSettings, extra: Array<{ name: string, ports: number[] }> = []): Promise<Status[]> {
  const rows: Status[] = []
  for (const c of [...components(s), ...extra.map(e => ({ ...e, external: false }))]) {
    const pid = readPid(s.stateDir, c.name)
    rows.push({
      name: c.name,
      pid,
      alive: pid !== undefined && isAlive(pid),
      ports: await Promise.all(c.ports.map(async port => ({ port, listening: await portInUse(port) }))),
      external: c.external
    })
  }
  return rows
}
