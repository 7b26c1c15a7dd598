import { randomUUID } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { Admin } from '@platformatic/kafka'
import type { StackSettings } from '../settings.ts'
import { bootstrapServers, loadSettings } from '../settings.ts'
import { createAdmin } from '../topics.ts'
import { down } from '../stack.ts'
import { portInUse } from '../proc.ts'

// Helpers for broker-backed tests: every test gets its own random topic and group, and removes
// what it created, so suites can share the running dev stack with people using it.

/** `prefix` plus a random UUID: a topic, group or subject no other test or person uses. */
export function uniqueName (prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`
}

/** The dev stack the suites run against (the default ports unless the environment says otherwise). */
export function sharedSettings (): StackSettings {
  return loadSettings()
}

/** What cleanup needs of a test: a test context, or a file's hooks standing in for one (e.g. from before()). */
export interface AfterHook { after: (fn: () => Promise<void> | void) => void }

const cleanups = new WeakMap<AfterHook, Array<() => Promise<void> | void>>()

/**
 * Runs `fn` when the test ends, passed or failed, last registered first (like Go's t.Cleanup).
 * node:test runs t.after hooks first registered first, so a client closed with t.after before the
 * topic deletes that need it were registered made them fail silently and left `test-…` topics behind.
 */
export function cleanup (t: AfterHook, fn: () => Promise<void> | void): void {
  let list = cleanups.get(t)
  if (!list) {
    const fns: Array<() => Promise<void> | void> = []
    list = fns
    cleanups.set(t, fns)
    t.after(async () => {
      const failures: unknown[] = []
      for (const f of fns.reverse()) {
        try { await f() } catch (err) { failures.push(err) }
      }
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} cleanup step(s) failed: ${failures.map(String).join('; ')}`)
    })
  }
  list.push(fn)
}

/** An Admin client on the shared stack, closed when the test ends, after the cleanups that use it. */
export function testAdmin (t: TestContext, s: StackSettings = sharedSettings()): Admin {
  const admin = createAdmin(process.env.KAFKA_BROKERS ?? bootstrapServers(s), uniqueName('test-admin'))
  cleanup(t, async () => { await admin.close().catch(() => {}) })
  return admin
}

/** Deletes topics a test may have created; one that does not exist is fine, any other failure is the test's. */
export async function deleteTopicsIfPresent (admin: Admin, topics: string[]): Promise<void> {
  const present = new Set(await admin.listTopics())
  const mine = topics.filter(name => present.has(name))
  if (mine.length > 0) await admin.deleteTopics({ topics: mine })
}

export interface TestTopicOptions { partitions?: number, replicationFactor?: number, config?: Record<string, string>, prefix?: string }

/** Creates a random topic and deletes it when the test ends. */
export async function createTestTopic (t: TestContext, admin: Admin, options: TestTopicOptions = {}): Promise<string> {
  const name = uniqueName(options.prefix ?? 'test')
  await admin.createTopics({
    topics: [name],
    partitions: options.partitions ?? 3,
    replicas: options.replicationFactor ?? 1,
    configs: Object.entries(options.config ?? {}).map(([name, value]) => ({ name, value }))
  })
  cleanup(t, async () => { await admin.deleteTopics({ topics: [name] }) })
  return name
}

const EXTERNAL_VARS = ['KAFKA_BROKERS', 'DATABASE_URL', 'SCHEMA_REGISTRY_URL', 'FLINK_SQL_GATEWAY_URL', 'CONNECT_URL'] as const

/**
 * A base port for isolatedSettings with room for `brokers` private brokers: each broker's client,
 * controller and JMX exporter ports (base + 100·i + 0, 1, 2) and the private PostgreSQL, registry,
 * Prometheus, Alertmanager, Flink SQL Gateway and Kafka Connect ports (base + 341…347) and the first
 * Flink web UI port (base + 350) all free.
 */
export async function freeBrokerBase (brokers = 1): Promise<number> {
  // Each broker also listens at + 10…15 for the services' links (links.ts), whose proxies take + 30…35 and control + 50.
  const links = [10, 11, 12, 13, 14, 15, 30, 31, 32, 33, 34, 35]
  // + 3: the JMX exporter of the separate controller of 3 brokers (settings.ts controllerPorts).
  const offsets = [...Array.from({ length: brokers }, (_, i) => [0, 1, 2, ...links].map(d => 100 * i + d)).flat(), 3, 50, 341, 342, 343, 344, 345, 346, 347, 350]
  // Below the kernel's ephemeral range (32768+ on Linux): a port there, free when checked, can be taken
  // by any outgoing connection before the broker binds it (it happened, "Address already in use").
  // 12000–19999 holds none of the stack's default ports either.
  for (let attempt = 0; attempt < 40; attempt++) {
    const base = 12_000 + Math.floor(Math.random() * 7_500)
    const taken = await Promise.all(offsets.map(async d => await portInUse(base + d)))
    if (!taken.some(Boolean)) return base
  }
  throw new Error(`no free port range for ${brokers} private broker(s)`)
}

/**
 * Settings for a private stack on its own ports and a temporary state folder, for tests that
 * start, kill or stop components: never the shared stack on the default ports.
 * `basePort` must leave room for broker i at basePort + 100*i (+1 for its controller).
 */
export function isolatedSettings (t: TestContext, basePort: number, overrides: Partial<StackSettings> = {}): StackSettings {
  // These variables point the stack at outside servers; a private stack must use its own.
  const saved = EXTERNAL_VARS.map(name => [name, process.env[name]] as const)
  for (const name of EXTERNAL_VARS) Reflect.deleteProperty(process.env, name)
  const stateDir = mkdtempSync(join(tmpdir(), 'vitrine-test-'))
  // mkdtemp makes it private to us; PostgreSQL runs as its own user when we are root and must reach its data folder.
  chmodSync(stateDir, 0o755)
  const s = loadSettings({
    stateDir,
    kafkaPort: basePort,
    pgPort: basePort + 341,
    registryPort: basePort + 342,
    registryBackendPort: basePort + 343,
    prometheusPort: basePort + 344,
    alertmanagerPort: basePort + 345,
    flinkGatewayPort: basePort + 346,
    connectPort: basePort + 347,
    flinkUiPort: basePort + 350,
    kafkaHeapMb: 384,
    ...overrides
  })
  // Through cleanup (last registered runs first): the clients a test opens on this stack afterwards and
  // closes with cleanup() are closed while the broker still runs. A librdkafka consumer or producer
  // closed after its broker is gone can wait forever (kit's broker-outage test hung CI that way).
  cleanup(t, async () => {
    await down(s)
    rmSync(stateDir, { recursive: true, force: true })
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value
  })
  return s
}

export * from './saga-env.ts'

const SETTINGS_VARS = ['BROKERS', 'KAFKA_PORT', 'KAFKA_HEAP_MB', 'PG_PORT', 'SCHEMA_REGISTRY_PORT', 'SCHEMA_REGISTRY_BACKEND_PORT', 'PROMETHEUS_PORT', 'ALERTMANAGER_PORT', 'FLINK_SQL_GATEWAY_PORT', 'FLINK_UI_PORT', 'CONNECT_PORT', 'LITE', 'APP_PORT_OFFSET', 'VITRINE_STATE_DIR', 'JAVA_HOME', ...EXTERNAL_VARS]

/** What loadSettings() gives with none of its variables set: the defaults a fresh clone runs with. */
export function defaultSettings (): StackSettings {
  const saved = SETTINGS_VARS.map(name => [name, process.env[name]] as const)
  for (const name of SETTINGS_VARS) Reflect.deleteProperty(process.env, name)
  try {
    return loadSettings()
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value
  }
}
export * from './rdkafka.ts'
