import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { TOPICS } from '@vitrine/contracts'
import type { StackSettings } from './settings.ts'
import { APICURIO_DIR, ROOT, bootstrapServers, brokerPorts, databaseUrl, registryUrl } from './settings.ts'
import { brokerCommand, javaBin, prepareNode, writeToolsLog4j } from './kafka-node.ts'
import { PortTakenError, isAlive, portInUse, readPid, removePid, sleep, spawnDetached, stopGroup, tailLog } from './proc.ts'
import { applyCatalog, createAdmin, formatReport } from './topics.ts'
import { info, step } from './steps.ts'

// The local stack, in dependency order. Each component is one detached process group with a log
// file and a pid file in the state folder; readiness is checked for real, not slept for.

export interface Component {
  name: string
  ports: number[]
  /** External when the environment points at a server we do not run (DATABASE_URL, KAFKA_BROKERS ...). */
  external: boolean
  start: () => Promise<number>
  ready: () => Promise<boolean>
  readyTimeoutMs: number
}

export class ComponentDiedError extends Error {
  code = 'SHOP_ERR_COMPONENT_DIED'
}

const TSX = join(ROOT, 'node_modules/.bin/tsx')

export function components (s: StackSettings): Component[] {
  const list: Component[] = []
  const externalKafka = Boolean(process.env.KAFKA_BROKERS)
  for (let i = 0; i < s.brokers; i++) {
    const ports = brokerPorts(s, i)
    list.push({
      name: `kafka-${i + 1}`,
      ports: [ports.client, ports.controller],
      external: externalKafka,
      readyTimeoutMs: 90_000,
      start: async () => {
        const node = await prepareNode(s, i)
        const { command, args } = brokerCommand(s, node)
        return spawnDetached(s.stateDir, `kafka-${i + 1}`, command, args)
      },
      // A broker is ready when the cluster's metadata lists it, i.e. it joined the quorum and registered.
      ready: async () => {
        if (!(await portInUse(ports.client))) return false
        const admin = createAdmin(`localhost:${ports.client}`, 'vitrine-ready')
        try {
          const meta = await admin.metadata({ topics: [] })
          return meta.brokers.has(i + 1) && (i < s.brokers - 1 || meta.brokers.size === s.brokers)
        } catch {
          return false
        } finally {
          await admin.close().catch(() => {})
        }
      }
    })
  }
  list.push({
    name: 'postgres',
    ports: [s.pgPort],
    external: Boolean(process.env.DATABASE_URL),
    readyTimeoutMs: 60_000,
    start: async () => {
      mkdirSync(join(s.stateDir, 'postgres'), { recursive: true })
      return spawnDetached(s.stateDir, 'postgres', TSX, [join(ROOT, 'infra/src/postgres-host.ts'), join(s.stateDir, 'postgres', 'data'), String(s.pgPort)])
    },
    ready: async () => {
      const sql = postgres(databaseUrl(s), { max: 1, connect_timeout: 2, onnotice: () => {} })
      try {
        await sql`select 1`
        return true
      } catch {
        return false
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {})
      }
    }
  })
  const externalRegistry = Boolean(process.env.SCHEMA_REGISTRY_URL)
  list.push({
    name: 'registry-backend',
    ports: [s.registryBackendPort],
    external: externalRegistry,
    readyTimeoutMs: 120_000,
    start: async () => {
      const jar = existsSync(APICURIO_DIR) ? readdirSync(APICURIO_DIR).find(f => f.endsWith('-runner.jar')) : undefined
      if (!jar) throw new Error(`Apicurio Registry is missing in ${APICURIO_DIR}. Run \`make setup\`.`)
      return spawnDetached(s.stateDir, 'registry-backend', javaBin(s), [
        '-Xms128m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
        `-Dquarkus.http.port=${s.registryBackendPort}`, '-Dquarkus.http.host=127.0.0.1',
        // Schemas live in a Kafka topic (kafkasql-journal), as Confluent's registry keeps them in _schemas.
        '-Dapicurio.storage.kind=kafkasql', `-Dapicurio.kafkasql.bootstrap.servers=${process.env.KAFKA_BROKERS ?? bootstrapServers(s)}`,
        '-Dapicurio.rest.deletion.artifact.enabled=true', '-Dapicurio.rest.deletion.artifact-version.enabled=true', '-Dapicurio.rest.deletion.group.enabled=true',
        '-Dquarkus.log.level=INFO', '-Dquarkus.log.category."io.apicurio".level=WARN',
        '-jar', join(APICURIO_DIR, jar)
      ], { cwd: APICURIO_DIR })
    },
    ready: async () => await httpOk(`http://127.0.0.1:${s.registryBackendPort}/apis/ccompat/v7/subjects`)
  })
  list.push({
    name: 'registry',
    ports: [s.registryPort],
    external: externalRegistry,
    readyTimeoutMs: 20_000,
    start: async () => spawnDetached(s.stateDir, 'registry', TSX, [join(ROOT, 'infra/src/registry-proxy.ts'), String(s.registryPort), String(s.registryBackendPort)]),
    ready: async () => await httpOk(`http://127.0.0.1:${s.registryPort}/subjects`)
  })
  return list
}

async function httpOk (url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch {
    return false
  }
}

/** The component's own log, or for a broker its broker log (the JVM writes there, not to stdout). */
function logTail (s: StackSettings, name: string): string {
  const own = tailLog(s.stateDir, name)
  if (!name.startsWith('kafka-') || (own !== '' && own !== '(no log file)')) return `Last lines of ${join(s.stateDir, 'logs', name + '.log')}:\n${own}`
  return `Last lines of ${join(s.stateDir, 'logs', name + '-broker.log')}:\n${tailLog(s.stateDir, `${name}-broker`)}`
}

async function waitReady (s: StackSettings, c: Component, pid: number, stop: { stopped: boolean }): Promise<void> {
  const deadline = Date.now() + c.readyTimeoutMs
  while (Date.now() < deadline && !stop.stopped) {
    if (await c.ready()) return
    if (!isAlive(pid)) {
      removePid(s.stateDir, c.name)
      throw new ComponentDiedError(`${c.name} exited during start-up. ${logTail(s, c.name)}`)
    }
    await sleep(500)
  }
  throw new ComponentDiedError(`${c.name} was not ready after ${c.readyTimeoutMs / 1000}s. ${logTail(s, c.name)}`)
}

/**
 * Components that start together. The brokers of a cluster form one stage: with three controllers
 * none of them can register until a quorum (two of three) runs, so they cannot start one by one.
 */
function stages (list: Component[]): Component[][] {
  const out: Component[][] = []
  for (const c of list) {
    const last = out.at(-1)
    if (last && c.name.startsWith('kafka-') && last[0]!.name.startsWith('kafka-')) last.push(c)
    else out.push([c])
  }
  return out
}

export interface UpOptions {
  /** Start only these components (by name, e.g. ['kafka-1', 'kafka-2', 'kafka-3']); default: all of them. */
  only?: readonly string[]
  /** Apply the topic catalog and the registry's global compatibility; default: only when every component is started. */
  catalog?: boolean
}

/** Starts every component that is not already running, in order, each stage after the previous is ready. */
export async function up (s: StackSettings, options: UpOptions = {}): Promise<void> {
  mkdirSync(s.stateDir, { recursive: true })
  writeToolsLog4j(s)
  const all = components(s)
  for (const name of options.only ?? []) {
    if (!all.some(c => c.name === name)) throw new Error(`unknown component "${name}" (known: ${all.map(c => c.name).join(', ')})`)
  }
  const list = all.filter(c => !c.external && (options.only === undefined || options.only.includes(c.name)))
  // Fail fast on a taken port, before anything starts, naming the port and who wanted it.
  for (const c of list) {
    const pid = readPid(s.stateDir, c.name)
    if (pid !== undefined && isAlive(pid)) continue
    for (const port of c.ports) {
      if (await portInUse(port)) throw new PortTakenError(port, c.name)
    }
  }
  for (const stage of stages(list)) {
    const toStart: Component[] = []
    for (const c of stage) {
      const running = readPid(s.stateDir, c.name)
      if (running !== undefined && isAlive(running) && await c.ready()) info(`${c.name} já está rodando (pid ${running})`)
      else toStart.push(c)
    }
    if (toStart.length === 0) continue
    await step(`Iniciando ${toStart.map(c => `${c.name} (porta ${c.ports[0]})`).join(', ')}`, async () => {
      const pids: number[] = []
      for (const c of toStart) pids.push(await c.start())
      // One failure ends the wait for the others too, so no polling loop outlives this step.
      const stop = { stopped: false }
      try {
        await Promise.all(toStart.map(async (c, k) => await waitReady(s, c, pids[k]!, stop)))
      } finally {
        stop.stopped = true
      }
    })
  }
  if (!(options.catalog ?? options.only === undefined)) return
  await step('Aplicando o catálogo de tópicos (contracts/src/topics.ts)', async () => {
    const admin = createAdmin(process.env.KAFKA_BROKERS ?? bootstrapServers(s))
    try {
      const report = await applyCatalog(admin, TOPICS, s.brokers)
      for (const line of formatReport(report)) info(line)
    } finally {
      await admin.close()
    }
  })
  // Only with a registry to talk to (a brokers-only start has none).
  if (!list.some(c => c.name === 'registry') && !all.some(c => c.name === 'registry' && c.external)) return
  await step('Compatibilidade global do Schema Registry = BACKWARD', async () => {
    const res = await fetch(`${registryUrl(s)}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' })
    })
    if (!res.ok) throw new Error(`PUT ${registryUrl(s)}/config answered ${res.status}: ${await res.text()}`)
  })
}

/** Stops every component in reverse order and checks that none of our ports still listens. */
export async function down (s: StackSettings, extraNames: string[] = []): Promise<string[]> {
  const names = [...extraNames, ...components(s).map(c => c.name).reverse()]
  // Also stop brokers of a larger cluster started earlier with BROKERS=3.
  for (let i = s.brokers; i < 3; i++) names.push(`kafka-${i + 1}`)
  const leftovers: string[] = []
  const stopOne = async (name: string): Promise<void> => {
    const pid = readPid(s.stateDir, name)
    if (pid === undefined) return
    const how = await stopGroup(pid, name.startsWith('kafka') ? 30_000 : 15_000)
    removePid(s.stateDir, name)
    if (how !== 'absent') info(`${name}: ${how === 'stopped' ? 'parado' : 'encerrado à força (SIGKILL)'}`)
  }
  for (const name of names.filter(n => !n.startsWith('kafka-'))) await stopOne(name)
  // Brokers stop together: the last controller of a cluster stopped one by one would wait for a quorum that is gone.
  await Promise.all(names.filter(n => n.startsWith('kafka-')).map(stopOne))
  for (const c of components(s)) {
    for (const port of c.ports) if (!c.external && await portInUse(port)) leftovers.push(`${c.name} port ${port}`)
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
