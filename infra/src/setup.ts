import { createHash } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream } from 'node:stream/web'
import { execa } from 'execa'
import { APICURIO_DIR, CONNECT_HOME, FLINK_HOME, KAFKA_LIB, ROOT } from './settings.ts'
import { info, step } from './steps.ts'
import { JMX_AGENT_DIR, jmxAgentCoords } from './prometheus.ts'
import { flinkWheel } from './streams-flink.ts'
import { extractZip } from './unzip.ts'

// Installs what the local stack needs and is missing: Kafka's jars and Apicurio Registry, both from
// Maven Central. Idempotent: a second run only checks. (pnpm install runs before this, from the Makefile.)

/** What is missing and how to get it, in one line. */
export class SetupError extends Error {
  code = 'SHOP_ERR_SETUP'
}

async function javaMajor (): Promise<number> {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java'
  const r = await execa(java, ['-version'], { reject: false, all: true })
  const m = /version "(\d+)(?:\.(\d+))?/.exec(String(r.all ?? ''))
  if (r.exitCode !== 0 || !m) throw new SetupError('Java não encontrado. Instale Java 17 ou mais novo (por exemplo: apt-get install openjdk-17-jre-headless) ou defina JAVA_HOME.')
  return m[1] === '1' ? Number(m[2]) : Number(m[1])
}

/** The Maven Wrapper (infra/mvnw, generated with `mvn -N wrapper:wrapper -Dtype=only-script`): it downloads the Maven pinned in infra/.mvn. */
export const MAVEN_WRAPPER = join(ROOT, 'infra', 'mvnw')

export function mavenCommand (env: NodeJS.ProcessEnv = process.env, mvnInstalled = existsSync('/usr/bin/mvn') || existsSync('/usr/local/bin/mvn')): string {
  return env.MVN ?? (mvnInstalled ? 'mvn' : MAVEN_WRAPPER)
}

async function maven (args: string[], cwd: string): Promise<string> {
  const r = await execa(mavenCommand(), ['-B', '-q', ...args], { cwd, reject: false, all: true, env: { MAVEN_OPTS: '-Xmx512m' } })
  if (r.exitCode !== 0) {
    const cause = String(r.all).split('\n').find(l => l.includes('ERROR'))?.replace(/^\[ERROR\]\s*/, '').slice(0, 200)
    throw new SetupError(`O Maven não conseguiu baixar o que falta do Maven Central (${args[0]})${cause ? `: ${cause}` : ''}. Confira a rede ou o proxy (MAVEN_OPTS) e rode \`make setup\` de novo.`)
  }
  return String(r.stdout)
}

function newer (a: string, b: string): boolean {
  return statSync(a).mtimeMs > statSync(b).mtimeMs
}

/** Something the first run downloads: where it lands, whether it is there, and how to get it. `make setup` and `make prefetch` share these. */
export interface Artifact {
  name: string
  /** pt-BR, shown while it downloads. */
  what: string
  where: string
  present: () => boolean
  fetch: () => Promise<void>
}

/**
 * A wheel from PyPI into `dir`: with pip when there is one (it honours the machine's proxy and
 * index settings), else straight from PyPI's JSON API, its sha256 checked.
 */
async function downloadWheel (name: string, version: string, dir: string): Promise<string> {
  const found = (): string | undefined => readdirSync(dir).find(f => f.endsWith('.whl'))
  for (const python of ['python3', 'python']) {
    const r = await execa(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--quiet', '-d', dir, `${name}==${version}`], { reject: false })
    if (r.exitCode === 0 && found()) return join(dir, found()!)
  }
  const res = await fetch(`https://pypi.org/pypi/${name}/${version}/json`).catch(() => undefined)
  if (!res?.ok) throw new SetupError(`Não consegui baixar ${name} ${version} do PyPI (nem com pip, nem de https://pypi.org): confira a rede e rode \`make setup\` de novo.`)
  const meta = await res.json() as { urls: Array<{ filename: string, url: string, digests: { sha256: string } }> }
  const wheel = meta.urls.find(u => u.filename.endsWith('.whl'))
  if (!wheel) throw new SetupError(`O PyPI não lista um wheel de ${name} ${version}.`)
  const file = join(dir, wheel.filename)
  const body = await fetch(wheel.url)
  if (!body.ok || !body.body) throw new SetupError(`O download de ${wheel.url} respondeu ${body.status}: rode \`make setup\` de novo.`)
  const hash = createHash('sha256')
  await pipeline(Readable.fromWeb(body.body as ReadableStream<Uint8Array>), async function * (chunks) {
    for await (const chunk of chunks) { hash.update(chunk as Buffer); yield chunk }
  }, createWriteStream(file))
  if (hash.digest('hex') !== wheel.digests.sha256) throw new SetupError(`${wheel.filename} chegou corrompido (sha256 não confere): rode \`make setup\` de novo.`)
  return file
}

/** Flink's distribution from its PyPI wheel (lib/, plugins/) plus the Central jars of infra/flink/pom.xml, into FLINK_HOME. */
function flinkArtifact (): Artifact {
  const pom = join(ROOT, 'infra/flink/pom.xml')
  const stamp = join(FLINK_HOME, 'flink.stamp')
  const { name, version } = flinkWheel()
  return {
    name: 'flink',
    what: `Baixando o Apache Flink ${version} (wheel ${name} do PyPI, ~310 MB) e os conectores Kafka/Avro do Maven Central`,
    where: FLINK_HOME,
    present: () => existsSync(stamp) && !newer(pom, stamp),
    fetch: async () => {
      const tmp = mkdtempSync(join(tmpdir(), 'vitrine-flink-'))
      try {
        const wheel = await downloadWheel(name, version, tmp)
        rmSync(FLINK_HOME, { recursive: true, force: true })
        // Only the JVM side: lib/ (flink-dist, planner, table runtime, log4j) and plugins/ (metrics reporters).
        const files = extractZip(wheel, FLINK_HOME, entry => /^pyflink\/(lib|plugins)\//.test(entry) ? entry.slice('pyflink/'.length) : undefined)
        if (!files.some(f => f.endsWith(`flink-dist-${version}.jar`))) throw new SetupError(`${wheel} não tem lib/flink-dist-${version}.jar: apague infra/flink/target e rode \`make setup\` de novo.`)
      } finally {
        rmSync(tmp, { recursive: true, force: true })
      }
      await maven(['dependency:copy-dependencies', `-DoutputDirectory=${join(FLINK_HOME, 'lib')}`, '-DexcludeTransitive=true'], join(ROOT, 'infra/flink'))
      await execa('touch', [stamp])
      info(`${readdirSync(join(FLINK_HOME, 'lib')).length} jars em infra/flink/target/flink/lib`)
    }
  }
}

/** Kafka Connect's worker (target/lib) and Debezium's PostgreSQL connector in its own plugin folder, from infra/connect/pom.xml. */
function connectArtifact (): Artifact {
  const pom = join(ROOT, 'infra/connect/pom.xml')
  const stamp = join(CONNECT_HOME, 'connect.stamp')
  return {
    name: 'kafka-connect',
    what: 'Baixando o Kafka Connect e o conector Debezium PostgreSQL do Maven Central (infra/connect/pom.xml)',
    where: CONNECT_HOME,
    present: () => existsSync(stamp) && !newer(pom, stamp),
    fetch: async () => {
      const dir = join(ROOT, 'infra/connect')
      // Anew: a jar the pom no longer lists (e.g. Jackson, now the worker's) must not stay in the plugin folder.
      rmSync(join(CONNECT_HOME, 'plugins'), { recursive: true, force: true })
      await maven(['dependency:copy-dependencies', `-DoutputDirectory=${join(CONNECT_HOME, 'lib')}`, '-DincludeScope=runtime', '-Dmdep.overWriteReleases=true'], dir)
      await maven(['-P', 'debezium,!worker', 'dependency:copy-dependencies', `-DoutputDirectory=${join(CONNECT_HOME, 'plugins', 'debezium-connector-postgres')}`, '-DincludeScope=runtime', '-Dmdep.overWriteReleases=true'], dir)
      await execa('touch', [stamp])
    }
  }
}

/** What `make setup` downloads when missing: Kafka's jars, the JMX exporter, Apicurio Registry, Flink, Kafka Connect with Debezium. */
export function setupArtifacts (): Artifact[] {
  const kafkaPom = join(ROOT, 'infra/kafka/pom.xml')
  const stamp = join(KAFKA_LIB, '..', 'lib.stamp')
  const agent = jmxAgentCoords()
  const registryPom = join(ROOT, 'infra/registry/pom.xml')
  const coords = /<apicurio.artifact>([^<]+)<\/apicurio.artifact>/.exec(readFileSync(registryPom, 'utf8'))?.[1]
  if (!coords) throw new Error('infra/registry/pom.xml has no <apicurio.artifact> property')
  const [group, artifact, version, type, classifier] = coords.split(':') as [string, string, string, string, string]
  const runner = join(APICURIO_DIR, `${artifact}-${version}-runner.jar`)
  return [{
    name: 'kafka-jars',
    what: 'Baixando os jars do Apache Kafka do Maven Central (infra/kafka/pom.xml)',
    where: KAFKA_LIB,
    present: () => existsSync(stamp) && !newer(kafkaPom, stamp),
    fetch: async () => {
      await maven(['dependency:copy-dependencies', `-DoutputDirectory=${KAFKA_LIB}`, '-DincludeScope=runtime', '-Dmdep.overWriteReleases=true'], join(ROOT, 'infra/kafka'))
      mkdirSync(join(KAFKA_LIB, '..'), { recursive: true })
      await execa('touch', [stamp])
      info(`${readdirSync(KAFKA_LIB).length} jars em infra/kafka/target/lib`)
    }
  }, {
    name: 'jmx-exporter',
    what: 'Baixando o exportador JMX do Prometheus do Maven Central (infra/kafka/pom.xml)',
    where: agent.jar,
    present: () => existsSync(agent.jar),
    fetch: async () => {
      await maven(['dependency:copy', `-Dartifact=${agent.coords}`, `-DoutputDirectory=${JMX_AGENT_DIR}`], join(ROOT, 'infra/kafka'))
      if (!existsSync(agent.jar)) throw new SetupError(`O Maven terminou, mas ${agent.jar} não existe: apague infra/kafka/target e rode \`make setup\` de novo.`)
    }
  }, {
    name: 'apicurio-registry',
    what: `Baixando o Apicurio Registry ${version} do Maven Central (~160 MB na primeira vez)`,
    where: runner,
    present: () => existsSync(runner),
    fetch: async () => {
      await maven(['dependency:get', `-Dartifact=${coords}`, '-Dtransitive=false'], join(ROOT, 'infra/registry'))
      const repo = process.env.MAVEN_REPO_LOCAL ?? join(homedir(), '.m2', 'repository')
      const archive = join(repo, ...group.split('.'), artifact, version, `${artifact}-${version}-${classifier}.${type}`)
      if (!existsSync(archive)) throw new SetupError(`O Maven terminou, mas ${archive} não existe: se o seu repositório local do Maven fica em outro lugar, aponte MAVEN_REPO_LOCAL para ele.`)
      mkdirSync(APICURIO_DIR, { recursive: true })
      await execa('tar', ['xzf', archive, '-C', APICURIO_DIR])
      if (!existsSync(runner)) throw new SetupError(`${archive} foi aberto, mas ${runner} não apareceu: apague infra/registry/target e rode \`make setup\` de novo.`)
    }
  }, flinkArtifact(), connectArtifact()]
}

/** Maven needs Java, and Kafka 4 needs 17+. */
export async function checkJava (): Promise<void> {
  await step('Verificando Java (17+)', async () => {
    const major = await javaMajor()
    if (major < 17) throw new SetupError(`Java ${major} encontrado, mas o Kafka 4 precisa de Java 17 ou mais novo: instale-o (por exemplo: apt-get install openjdk-17-jre-headless) ou aponte JAVA_HOME para ele.`)
    info(`Java ${major}`)
  })
}

/** What LITE=1 does not run, so `make demo LITE=1` does not download it either (~350 MB). */
const STREAMS_ARTIFACTS = new Set(['flink', 'kafka-connect'])

export async function setup (): Promise<void> {
  await checkJava()
  const lite = ['1', 'true', 'yes'].includes(process.env.LITE ?? '')
  for (const a of setupArtifacts()) {
    if (lite && STREAMS_ARTIFACTS.has(a.name)) {
      if (!a.present()) info(`LITE=1: ${a.name} não é baixado (sem Flink e sem Kafka Connect)`)
      continue
    }
    if (!a.present()) await step(a.what, a.fetch)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  setup().catch(err => {
    console.error(`\n${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
}
