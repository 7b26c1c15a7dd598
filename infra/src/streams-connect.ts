import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import type { StackSettings } from './settings.ts'
import { CONNECT_HOME, ROOT, bootstrapServers, databaseUrl } from './settings.ts'
import { sleep } from './proc.ts'
import { SCRAM_MECHANISM, kafkaPassword } from './security/kafka-auth.ts'

// Kafka Connect 4.1 as one distributed worker (a local process from Central's jars), with Debezium's
// PostgreSQL connector in its own folder under plugin.path. The connector reads PostgreSQL's WAL
// through a logical replication slot (pgoutput, no server plugin to install) and writes every change
// of checkout-api's customers and inventory's products as Debezium JSON (no schema in the message:
// Flink reads it with format 'debezium-json').

export const CONNECT_HEAP_MB = 512
/** The connector's name on the worker (one per topic prefix). */
export const CDC_CONNECTOR = 'vitrine-cdc'
/** The captured tables (the owning service's schema, the table) and the catalog topic each one goes to. */
export const CDC_TABLES = [
  { service: 'checkout-api', schema: 'checkout', table: 'customers', topic: 'customers.cdc' },
  { service: 'inventory', schema: 'inventory', table: 'products', topic: 'products.cdc' }
] as const

/**
 * Whose topics and tables: the stack's ('' and ''), or a test's own topic prefix and database schema
 * suffix (as services get them in TOPIC_PREFIX and DB_SCHEMA_SUFFIX).
 */
export interface CdcScope { prefix: string, schemaSuffix: string }
const STACK: CdcScope = { prefix: '', schemaSuffix: '' }

export function connectUrl (s: Pick<StackSettings, 'connectPort'>): string {
  return process.env.CONNECT_URL ?? `http://127.0.0.1:${s.connectPort}`
}

/**
 * PostgreSQL's names for a topic prefix: its replication slot and publication. A test's prefix gets
 * its own, so it never takes over (or drops) the stack's slot.
 */
export function cdcNames ({ prefix }: CdcScope = STACK): { connector: string, slot: string, publication: string } {
  const suffix = prefix === '' ? '' : '_' + prefix.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')
  return { connector: `${prefix}${CDC_CONNECTOR}`, slot: `vitrine_cdc${suffix}`.slice(0, 63), publication: `vitrine_cdc${suffix}`.slice(0, 63) }
}

/** The worker's properties: its group and internal topics carry the topic prefix, like every catalog topic. */
export function workerProperties (s: StackSettings, prefix = ''): Record<string, string | number> {
  const rf = Math.min(3, s.brokers)
  return {
    'bootstrap.servers': process.env.KAFKA_BROKERS ?? bootstrapServers(s),
    'group.id': `${prefix}connect`,
    'config.storage.topic': `${prefix}connect.configs`,
    'offset.storage.topic': `${prefix}connect.offsets`,
    'status.storage.topic': `${prefix}connect.status`,
    'config.storage.replication.factor': rf,
    'offset.storage.replication.factor': rf,
    'status.storage.replication.factor': rf,
    'offset.storage.partitions': 3,
    'status.storage.partitions': 1,
    // Debezium's JSON without Connect's schema envelope: {"before":…,"after":…,"op":…,"source":…}.
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter.schemas.enable': 'false',
    'offset.flush.interval.ms': 5000,
    listeners: `http://127.0.0.1:${s.connectPort}`,
    'rest.advertised.host.name': '127.0.0.1',
    'rest.advertised.port': s.connectPort,
    // Debezium's folder holds no Jackson of its own: with one, its CloudEventsConverter could not find
    // the worker's JsonConverter method and every start logged "Failed to discover Converter" (infra/connect/pom.xml).
    'plugin.path': join(CONNECT_HOME, 'plugins'),
    // Debezium declares its plugins for the ServiceLoader: no slow classpath scan at start.
    'plugin.discovery': 'service_load',
    ...connectLogin(s)
  }
}

/**
 * KAFKA_AUTH=scram: the worker logs in as the connect principal (its catalog ACLs: its group, internal
 * topics and the CDC topics). The worker's own clients read the top-level settings; the clients it makes
 * for the connectors' tasks read only the `producer.`, `consumer.` and `admin.` prefixed ones.
 */
export function connectLogin (s: Pick<StackSettings, 'stateDir' | 'kafkaAuth'>): Record<string, string> {
  if (s.kafkaAuth !== 'scram') return {}
  const login = {
    'security.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism': SCRAM_MECHANISM,
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="connect" password="${kafkaPassword(s.stateDir, 'connect')}";`
  }
  return Object.fromEntries(['', 'producer.', 'consumer.', 'admin.'].flatMap(p => Object.entries(login).map(([k, v]) => [p + k, v])))
}

/** The Debezium connector's config (PUT /connectors/<name>/config is idempotent). */
export function cdcConnectorConfig (s: StackSettings, scope: CdcScope = STACK): Record<string, string> {
  const url = new URL(databaseUrl(s))
  const { prefix, schemaSuffix } = scope
  const names = cdcNames(scope)
  const table = (t: typeof CDC_TABLES[number]): string => `${t.schema}${schemaSuffix}.${t.table}`
  const products = table(CDC_TABLES[1])
  const config: Record<string, string> = {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'plugin.name': 'pgoutput',
    'database.hostname': url.hostname,
    'database.port': url.port || '5432',
    'database.user': decodeURIComponent(url.username),
    'database.password': decodeURIComponent(url.password),
    'database.dbname': url.pathname.slice(1),
    'topic.prefix': `${prefix}cdc`,
    'slot.name': names.slot,
    'publication.name': names.publication,
    // The connector creates its publication for exactly these tables (the vitrine role owns them).
    'publication.autocreate.mode': 'filtered',
    'table.include.list': CDC_TABLES.map(table).join(','),
    // What the catalog carries of a product; a stock-only update (every reservation) is not an event here.
    'column.exclude.list': ['stock_quantity', 'reserved_quantity', 'created_at'].map(c => `${products}.${c}`).join(','),
    'skip.messages.without.change': 'true',
    // The first start reads both tables whole (op "r"), then streams the WAL.
    'snapshot.mode': 'initial',
    'tombstones.on.delete': 'false',
    // A slot whose position never moves holds WAL: the heartbeat confirms it even when neither table changes.
    'heartbeat.interval.ms': '30000',
    'topic.heartbeat.prefix': `${prefix}connect.heartbeat`,
    'topic.creation.default.replication.factor': '-1',
    'topic.creation.default.partitions': '1',
    transforms: CDC_TABLES.map((_, i) => `route${i}`).join(',')
  }
  CDC_TABLES.forEach((t, i) => {
    config[`transforms.route${i}.type`] = 'org.apache.kafka.connect.transforms.RegexRouter'
    config[`transforms.route${i}.regex`] = `.*\\.${table(t).replace('.', '\\.')}$`
    config[`transforms.route${i}.replacement`] = `${prefix}${t.topic}`
  })
  return config
}

const LOG4J = `# Generated by infra/src/streams-connect.ts at each start.
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = Console
appender.console.name = Console
appender.console.type = Console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c{1})%n
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
`

/** Writes the worker's config and returns how to run it. `prefix` names its group and internal topics. */
export function prepareConnect (s: StackSettings, java: string, prefix = ''): { command: string, args: string[] } {
  const lib = join(CONNECT_HOME, 'lib')
  if (!existsSync(join(CONNECT_HOME, 'plugins', 'debezium-connector-postgres'))) throw new Error(`O Kafka Connect e o Debezium não estão em ${CONNECT_HOME}: rode \`make setup\` para baixá-los.`)
  const dir = join(s.stateDir, 'connect')
  mkdirSync(dir, { recursive: true })
  const props = join(dir, 'worker.properties')
  // With KAFKA_AUTH=scram it holds the connect principal's password: the owner's only.
  writeFileSync(props, `# Generated by infra/src/streams-connect.ts at each start. Edit there, not here.\n${Object.entries(workerProperties(s, prefix)).map(([k, v]) => `${k}=${v}`).join('\n')}\n`, { mode: 0o600 })
  chmodSync(props, 0o600)
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J)
  return {
    command: java,
    args: ['-Xms128m', `-Xmx${CONNECT_HEAP_MB}m`, '-XX:+UseSerialGC', '-XX:MaxMetaspaceSize=192m',
      `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
      '-cp', `${lib}/*`, 'org.apache.kafka.connect.cli.ConnectDistributed', props]
  }
}

/** Ready when the REST API lists connectors (the worker joined its group). */
export async function connectReady (s: StackSettings): Promise<boolean> {
  try {
    const res = await fetch(`${connectUrl(s)}/connectors`, { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch {
    return false
  }
}

/**
 * Applies the owning services' migrations (idempotent, under their advisory lock): the connector's
 * publication needs the captured tables, and the stack may start before the services do.
 */
export async function prepareCdcTables (s: StackSettings, scope: CdcScope = STACK): Promise<void> {
  // Loaded here, not at the top: `make up` in LITE mode (and the supervisor's other paths) never needs the kit's dependencies.
  const { connect, migrate } = await import('@vitrine/service-kit')
  const sql = connect(databaseUrl(s), 'public', 1)
  try {
    for (const t of CDC_TABLES) await migrate(sql, `${t.schema}${scope.schemaSuffix}`, join(ROOT, 'services', t.service, 'migrations'))
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/**
 * Registers (or updates) the CDC connector: an idempotent PUT of its config, retried while the
 * worker still rebalances (409) or starts (5xx).
 */
export async function registerCdcConnector (s: StackSettings, scope: CdcScope = STACK, timeoutMs = 60_000): Promise<void> {
  const { connector } = cdcNames(scope)
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    const res = await fetch(`${connectUrl(s)}/connectors/${connector}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cdcConnectorConfig(s, scope)),
      signal: AbortSignal.timeout(10_000)
    }).catch((err: unknown) => ({ ok: false, status: 0, text: async () => String(err) }))
    if (res.ok) return
    last = `${res.status} ${await res.text()}`
    if (res.status !== 0 && res.status !== 409 && res.status < 500) break
    await sleep(1000)
  }
  throw new Error(`PUT ${connectUrl(s)}/connectors/${connector}/config: ${last}`)
}

/** The connector's and its task's state (RUNNING, FAILED ...), undefined while it has none. */
export async function connectorState (s: StackSettings, scope: CdcScope = STACK): Promise<{ connector: string, tasks: string[] } | undefined> {
  const res = await fetch(`${connectUrl(s)}/connectors/${cdcNames(scope).connector}/status`).catch(() => undefined)
  if (!res?.ok) return undefined
  const body = await res.json() as { connector: { state: string }, tasks: Array<{ state: string }> }
  return { connector: body.connector.state, tasks: body.tasks.map(t => t.state) }
}

/**
 * Drops the prefix's replication slot and publication when no one holds the slot: LITE mode must not
 * leave a slot keeping WAL for a connector that does not run, and a test removes its own. True when
 * the slot is gone.
 */
export async function dropCdcSlot (s: StackSettings, scope: CdcScope = STACK): Promise<boolean> {
  const { slot, publication } = cdcNames(scope)
  const sql = postgres(databaseUrl(s), { max: 1, connect_timeout: 5, onnotice: () => {} })
  try {
    const [row] = await sql<Array<{ active: boolean }>>`select active from pg_replication_slots where slot_name = ${slot}`
    if (row?.active) return false
    if (row) await sql`select pg_drop_replication_slot(${slot})`
    await sql.unsafe(`drop publication if exists ${publication}`)
    return true
  } finally {
    await sql.end({ timeout: 2 })
  }
}
