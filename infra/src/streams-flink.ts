import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StackSettings } from './settings.ts'
import { FLINK_HOME, ROOT, bootstrapServers, registryUrl } from './settings.ts'
import { nodeTs, spawnDetached } from './proc.ts'
import { kafkaLoginEnv } from './security/client-login.ts'

// Apache Flink 2.2 as one local JVM: the SQL Gateway (its REST API on flinkGatewayPort) with
// execution.target=local, so every job it submits runs in an embedded mini cluster inside that same
// JVM (JobManager and TaskManager together, no start-cluster.sh and its 3.3 GB). Config, logs and
// checkpoints live in the state folder; the config is written at each start from the settings.

export const FLINK_VERSION = '2.2.0'
/** Heap of the one JVM (gateway + every job's mini cluster). */
export const FLINK_HEAP_MB = 768
/** Exactly-once checkpoints this often: a job killed mid-stream replays at most this much from Kafka. */
export const CHECKPOINT_INTERVAL = '10s'

export function flinkStateDir (stateDir: string): string {
  return join(stateDir, 'flink')
}

/** Where every job's checkpoints go: <dir>/<jobId>/chk-<n>/_metadata (kept after a cancel or a crash). */
export function checkpointsDir (stateDir: string): string {
  return join(flinkStateDir(stateDir), 'checkpoints')
}

export function sqlGatewayUrl (s: Pick<StackSettings, 'flinkGatewayPort'>): string {
  return process.env.FLINK_SQL_GATEWAY_URL ?? `http://127.0.0.1:${s.flinkGatewayPort}`
}

/** The wheel's pyflink/lib plus Central's jars: what `make setup` puts in FLINK_HOME/lib. */
export function flinkLib (): string {
  return join(FLINK_HOME, 'lib')
}

/**
 * The newest completed checkpoint (the folder holding _metadata) of one job, or of any job under the
 * checkpoints folder: a restarted job resumes from it with
 * SET 'execution.state-recovery.path' = '<this path>'.
 */
export function latestCheckpoint (stateDir: string, jobId?: string): { path: string, id: number, jobId: string } | undefined {
  const root = checkpointsDir(stateDir)
  if (!existsSync(root)) return undefined
  let best: { path: string, id: number, jobId: string, mtime: number } | undefined
  for (const job of jobId ? [jobId] : readdirSync(root)) {
    const dir = join(root, job)
    if (!existsSync(dir)) continue
    for (const chk of readdirSync(dir)) {
      const m = /^chk-(\d+)$/.exec(chk)
      const meta = join(dir, chk, '_metadata')
      if (!m || !existsSync(meta)) continue
      const mtime = statSync(meta).mtimeMs
      if (!best || mtime > best.mtime) best = { path: join(dir, chk), id: Number(m[1]), jobId: job, mtime }
    }
  }
  return best && { path: best.path, id: best.id, jobId: best.jobId }
}

/** Flink's config.yaml for this stack (JSON is YAML). */
export function flinkConfig (s: StackSettings): Record<string, unknown> {
  const dir = flinkStateDir(s.stateDir)
  return {
    // Jobs run in a mini cluster inside the gateway's JVM: one process, one heap.
    'execution.target': 'local',
    'execution.runtime-mode': 'streaming',
    'execution.checkpointing.interval': CHECKPOINT_INTERVAL,
    'execution.checkpointing.mode': 'EXACTLY_ONCE',
    'execution.checkpointing.min-pause': '2s',
    'execution.checkpointing.dir': `file://${checkpointsDir(s.stateDir)}`,
    'execution.checkpointing.savepoint-dir': `file://${join(dir, 'savepoints')}`,
    // A job killed with the JVM leaves its checkpoints; the next submission can resume from them.
    'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
    'execution.checkpointing.num-retained': 2,
    'state.backend.type': 'hashmap',
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.bind-port': `${s.flinkUiPort}-${s.flinkUiPort + 9}`,
    // The web UI's (and the tests') record counts per operator, refreshed every 2 s instead of 10.
    'metrics.fetcher.update-interval': '2s',
    'jobmanager.bind-host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    'taskmanager.host': '127.0.0.1',
    'taskmanager.numberOfTaskSlots': 4,
    'parallelism.default': 1,
    // Each mini cluster's defaults (64 MB network buffers, 128 MB managed memory) are sized for a server.
    'taskmanager.memory.network.min': '16mb',
    'taskmanager.memory.network.max': '16mb',
    'taskmanager.memory.managed.size': '32mb',
    'io.tmp.dirs': join(dir, 'tmp'),
    'web.tmpdir': join(dir, 'web'),
    'sql-gateway.endpoint.type': 'rest',
    'sql-gateway.endpoint.rest.address': '127.0.0.1',
    'sql-gateway.endpoint.rest.bind-address': '127.0.0.1',
    'sql-gateway.endpoint.rest.port': s.flinkGatewayPort,
    // Unset, the gateway would take rest.bind-port (the jobs' web UI range) for itself.
    'sql-gateway.endpoint.rest.bind-port': s.flinkGatewayPort,
    // Statements' results and idle sessions go away after a while (the SQL page opens one per visit).
    'sql-gateway.session.idle-timeout': '10min',
    'table.exec.source.idle-timeout': '5s'
  }
}

const LOG4J = `# Generated by infra/src/streams-flink.ts at each start.
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = Console
appender.console.name = Console
appender.console.type = CONSOLE
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.shaded.name = org.apache.flink.kafka.shaded.org.apache.kafka
logger.shaded.level = WARN
logger.quartz.name = org.apache.flink.table.shaded.org.quartz
logger.quartz.level = WARN
`

// What Flink's own launch scripts pass on Java 17 (its config's env.java.default-opts.all).
const JAVA_OPENS = ['java.lang', 'java.net', 'java.io', 'java.nio', 'sun.nio.ch', 'java.lang.reflect', 'java.text', 'java.time', 'java.util', 'java.util.concurrent', 'java.util.concurrent.atomic', 'java.util.concurrent.locks']
  .map(p => `--add-opens=java.base/${p}=ALL-UNNAMED`)

/** Writes conf/ and returns how to run the gateway. */
export function prepareFlink (s: StackSettings, java: string): { command: string, args: string[], env: NodeJS.ProcessEnv } {
  const lib = flinkLib()
  if (!existsSync(join(lib, `flink-dist-${FLINK_VERSION}.jar`))) throw new Error(`Flink não está em ${lib}: rode \`make setup\` para baixá-lo.`)
  const dir = flinkStateDir(s.stateDir)
  const conf = join(dir, 'conf')
  for (const d of [conf, checkpointsDir(s.stateDir), join(dir, 'tmp'), join(dir, 'web')]) mkdirSync(d, { recursive: true })
  writeFileSync(join(conf, 'config.yaml'), `# Generated by infra/src/streams-flink.ts at each start. Edit there, not here.\n${JSON.stringify(flinkConfig(s), null, 2)}\n`)
  writeFileSync(join(conf, 'log4j.properties'), LOG4J)
  return {
    command: java,
    // Metaspace: every job loads the classes the planner generates for it; the demo's five jobs took
    // ~185 MB of it in test/full/jobs.test.ts, and the SQL page's queries add theirs.
    args: [
      '-Xms256m', `-Xmx${FLINK_HEAP_MB}m`, '-XX:MaxDirectMemorySize=256m', '-XX:MaxMetaspaceSize=384m', '-XX:+UseSerialGC',
      '--add-exports=java.base/sun.net.util=ALL-UNNAMED', ...JAVA_OPENS,
      `-Dlog4j.configurationFile=${join(conf, 'log4j.properties')}`,
      '-cp', `${lib}/*`,
      'org.apache.flink.table.gateway.SqlGateway'
    ],
    env: { FLINK_CONF_DIR: conf, FLINK_HOME, FLINK_LIB_DIR: lib, FLINK_PLUGINS_DIR: join(FLINK_HOME, 'plugins') }
  }
}

/**
 * Starts the streams submitter (services/streams/src/main.ts) on its own, its log in
 * logs/streams-submit.log: running jobs are left alone, the others resume from their last
 * checkpoint. The jobs run inside Flink's JVM, so a Flink started again has none until this runs.
 */
export function submitStreamsJobs (s: StackSettings): number {
  const { command, args } = nodeTs(join(ROOT, 'services/streams/src/main.ts'))
  // This stack's Flink, state folder, Kafka and registry, also when they are not the environment's.
  // KAFKA_AUTH=scram: the jobs log in to Kafka as the streams principal (its ACLs come from the catalog).
  const env = { VITRINE_STATE_DIR: s.stateDir, FLINK_SQL_GATEWAY_PORT: String(s.flinkGatewayPort), FLINK_UI_PORT: String(s.flinkUiPort), KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? bootstrapServers(s), SCHEMA_REGISTRY_URL: registryUrl(s), ...kafkaLoginEnv(s, 'streams') }
  return spawnDetached(s.stateDir, 'streams-submit', command, args, { cwd: ROOT, env })
}

/** Ready when the gateway's REST API answers /v1/info as Flink. */
export async function flinkReady (s: StackSettings): Promise<boolean> {
  try {
    const res = await fetch(`${sqlGatewayUrl(s)}/v1/info`, { signal: AbortSignal.timeout(2000) })
    return res.ok && (await res.json() as { productName?: string }).productName === 'Apache Flink'
  } catch {
    return false
  }
}

/** The wheel's coordinates and the Central jars' version, kept in infra/flink/pom.xml. */
export function flinkWheel (): { name: string, version: string } {
  const pom = readFileSync(join(ROOT, 'infra/flink/pom.xml'), 'utf8')
  const spec = /<flink.wheel>([^<]+)<\/flink.wheel>/.exec(pom)?.[1]
  if (!spec) throw new Error('infra/flink/pom.xml has no <flink.wheel> property')
  const [name, version] = spec.split('==') as [string, string]
  return { name, version }
}
