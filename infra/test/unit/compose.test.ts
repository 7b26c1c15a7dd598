import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { ROOT, brokerPorts, databaseUrl, loadSettings, registryUrl } from '../../src/settings.ts'
import { serverProperties } from '../../src/kafka-node.ts'
import { defaultSettings } from '../../src/testing/stack-env.ts'
import { jmxAgentCoords, prometheusYaml, stackTargets } from '../../src/prometheus.ts'
import { appSettings } from '../../src/apps.ts'
import { FLINK_VERSION, flinkConfig } from '../../src/streams-flink.ts'
import { cdcConnectorConfig } from '../../src/streams-connect.ts'

// compose/ is fixed at the default ports: compare it with a local stack at the defaults, whatever ports this
// shell moved (a second copy of the shop, or a CI run beside another stack).
for (const name of ['APP_PORT_OFFSET', 'KAFKA_PORT', 'PG_PORT', 'SCHEMA_REGISTRY_PORT', 'SCHEMA_REGISTRY_BACKEND_PORT', 'PROMETHEUS_PORT', 'ALERTMANAGER_PORT', 'FLINK_SQL_GATEWAY_PORT', 'FLINK_UI_PORT', 'CONNECT_PORT']) delete process.env[name]

// compose/ cannot run here (no Docker engine), so it is checked against the local setup instead:
// same images pinned, same ports, same teaching settings, same variable names, same topics.

interface Service {
  image?: string
  ports?: string[]
  environment?: Record<string, string | number>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
  entrypoint?: string[]
  command?: string[]
}
interface ComposeFile { services: Record<string, Service>, volumes?: Record<string, unknown>, 'x-vitrine-env'?: Record<string, string> }

function load (file: string): ComposeFile {
  // Compose supports YAML merge keys (<<: *anchor); the yaml package needs to be told.
  return parse(readFileSync(join(ROOT, 'compose', file), 'utf8'), { merge: true }) as ComposeFile
}

/** What `docker compose -f a -f b` does for the parts checked here: maps merge key by key, lists append. */
function merge<T> (base: T, override: unknown): T {
  if (Array.isArray(base) && Array.isArray(override)) return [...new Set([...base, ...override])] as T
  if (base && override && typeof base === 'object' && typeof override === 'object') {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) }
    for (const [k, v] of Object.entries(override)) out[k] = k in out ? merge(out[k], v) : v
    return out as T
  }
  return (override ?? base) as T
}

const hostPort = (svc: Service | undefined, container?: number): number | undefined => {
  // host_ip:host:container; the host port is the one before the container's.
  const mapping = svc?.ports?.map(p => p.split(':').slice(-2).map(Number)).find(([, c]) => container === undefined || c === container)
  return mapping?.[0]
}
const env = (svc: Service | undefined, name: string): string | undefined => {
  const v = svc?.environment?.[name]
  return v === undefined ? undefined : String(v)
}
const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(join(ROOT, 'infra/kafka/pom.xml'), 'utf8'))?.[1]

test('compose.yaml: official images, pinned, with the Kafka version the local setup runs', () => {
  const { services } = load('compose.yaml')
  assert.deepEqual(Object.keys(services).sort(), ['acl-init', 'alertmanager', 'connect', 'connect-init', 'flink', 'flink-jars', 'grafana', 'jmx-agent', 'kafka', 'kafka-ui', 'postgres', 'prometheus', 'registry-proxy', 'schema-registry', 'topic-init'])
  assert.equal(services.kafka?.image, `apache/kafka:${kafkaVersion}`)
  assert.equal(services['topic-init']?.image, services.kafka?.image)
  assert.match(services['schema-registry']?.image ?? '', /^confluentinc\/cp-schema-registry:\d+\.\d+\.\d+$/)
  assert.match(services['kafka-ui']?.image ?? '', /^(ghcr\.io\/)?kafbat\/kafka-ui:v\d+\.\d+\.\d+$/)
  // An LTS Node with TypeScript support of its own (--experimental-transform-types, Node 22.7 and later).
  assert.match(services['registry-proxy']?.image ?? '', /^node:(22|24)(-slim)?$/)
  assert.equal(services.postgres?.image, 'postgres:17')
})

test('compose.yaml: the same host ports as loadSettings() defaults, and the UI on 8080', () => {
  const s = defaultSettings()
  const { services } = load('compose.yaml')
  assert.equal(hostPort(services.kafka, s.kafkaPort), s.kafkaPort)
  assert.equal(hostPort(services.postgres, 5432), s.pgPort)
  // The registry's port is the proxy's, as locally; the registry itself is not published.
  assert.equal(hostPort(services['registry-proxy']), s.registryPort)
  assert.equal(services['schema-registry']?.ports, undefined)
  assert.equal(new URL(registryUrl(s)).port, String(s.registryPort))
  assert.equal(hostPort(services['kafka-ui']), 8080)
  // Every published host port is distinct.
  const published = Object.values(services).flatMap(svc => (svc.ports ?? []).map(p => p.split(':').slice(0, -1).join(':')))
  assert.equal(new Set(published).size, published.length)
})

test('compose.yaml: the broker gets the same settings as the local server.properties', () => {
  const s = defaultSettings()
  const local = new Map(serverProperties(s, 0).split('\n').filter(l => l.includes('=') && !l.startsWith('#')).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  const kafka = load('compose.yaml').services.kafka
  for (const key of ['process.roles', 'auto.create.topics.enable', 'group.initial.rebalance.delay.ms', 'num.partitions', 'default.replication.factor', 'min.insync.replicas',
    'offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr', 'log.retention.hours']) {
    assert.ok(local.has(key), `server.properties has no ${key}`)
    assert.equal(env(kafka, `KAFKA_${key.toUpperCase().replace(/\./g, '_')}`), local.get(key), key)
  }
  assert.match(env(kafka, 'KAFKA_ADVERTISED_LISTENERS') ?? '', new RegExp(`://localhost:${s.kafkaPort}(,|$)`))
  assert.ok(kafka?.healthcheck, 'the broker needs a healthcheck: topic-init and the registry wait for it')
})

test('compose.yaml: PostgreSQL with the database, user and password of DATABASE_URL, and wal_level=logical', () => {
  const local = new URL(databaseUrl(defaultSettings()))
  const pg = load('compose.yaml').services.postgres
  assert.equal(env(pg, 'POSTGRES_DB'), local.pathname.slice(1))
  assert.equal(env(pg, 'POSTGRES_USER'), local.username)
  assert.equal(env(pg, 'POSTGRES_PASSWORD'), local.password)
  assert.ok(pg?.command?.includes('wal_level=logical'), `command is ${JSON.stringify(pg?.command)}`)
})

test('compose.yaml: the registry is BACKWARD and the services\' variables carry the local names', () => {
  const file = load('compose.yaml')
  assert.equal(env(file.services['schema-registry'], 'SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL')?.toUpperCase(), 'BACKWARD')
  const vars = file['x-vitrine-env'] ?? {}
  assert.deepEqual(Object.keys(vars).sort(), ['DATABASE_URL', 'KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'])
  // infra reads exactly these names to point at servers it does not run.
  const infraSource = ['settings.ts', 'stack.ts'].map(f => readFileSync(join(ROOT, 'infra/src', f), 'utf8')).join('\n')
  for (const name of Object.keys(vars)) assert.match(infraSource, new RegExp(`process\\.env\\.${name}\\b`), `infra does not read ${name}`)
  const local = new URL(databaseUrl(defaultSettings()))
  const inCompose = new URL(vars.DATABASE_URL!)
  assert.deepEqual([inCompose.username, inCompose.password, inCompose.pathname], [local.username, local.password, local.pathname])
  assert.equal(inCompose.hostname, 'postgres')
  assert.equal(vars.KAFKA_BROKERS, env(file.services['topic-init'], 'BOOTSTRAP'))
})

test('compose.yaml: dependencies name real services, wait on healthchecks, and volumes are declared', () => {
  const file = load('compose.yaml')
  for (const [name, svc] of Object.entries(file.services)) {
    for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
      assert.ok(file.services[dep], `${name} depends on unknown ${dep}`)
      if (condition === 'service_healthy') assert.ok(file.services[dep]?.healthcheck, `${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`)
    }
    for (const v of svc.volumes ?? []) {
      const source = v.split(':')[0]!
      if (!source.startsWith('.') && !source.startsWith('/')) assert.ok(file.volumes && source in file.volumes, `${name} uses undeclared volume ${source}`)
    }
  }
})

test('compose.yaml: topic-init runs the script generated from the catalog once Kafka is healthy', () => {
  const init = load('compose.yaml').services['topic-init']
  assert.equal(init?.depends_on?.kafka?.condition, 'service_healthy')
  assert.ok(init?.volumes?.includes('./topics.sh:/vitrine/topics.sh:ro'))
  assert.deepEqual(init?.entrypoint, ['/bin/sh', '/vitrine/topics.sh'])
  assert.equal(env(init, 'BROKERS'), '1')
})

test('compose.3-brokers.yaml on top: three brokers on the local cluster\'s ports, replication 3, min.insync.replicas 2', () => {
  const merged = merge(load('compose.yaml'), load('compose.3-brokers.yaml'))
  const s = loadSettings({ ...defaultSettings(), brokers: 3 })
  const brokers = ['kafka', 'kafka-2', 'kafka-3']
  brokers.forEach((name, i) => {
    const svc = merged.services[name]
    assert.equal(svc?.image, `apache/kafka:${kafkaVersion}`, name)
    assert.equal(hostPort(svc, brokerPorts(s, i).client), brokerPorts(s, i).client, `${name} host port`)
    assert.equal(env(svc, 'KAFKA_NODE_ID'), String(i + 1), name)
    // Broker-only nodes beside one controller, as locally (infra/src/kafka-node.ts): two brokers down leave the quorum whole.
    assert.equal(env(svc, 'KAFKA_PROCESS_ROLES'), 'broker', name)
    assert.equal(env(svc, 'KAFKA_CONTROLLER_QUORUM_VOTERS'), '0@kafka-controller:9093', name)
    assert.doesNotMatch(env(svc, 'KAFKA_LISTENERS') ?? '', /CONTROLLER:/, name)
    assert.equal(svc?.depends_on?.['kafka-controller']?.condition, 'service_healthy', name)
    assert.equal(env(svc, 'KAFKA_DEFAULT_REPLICATION_FACTOR'), '3', name)
    assert.equal(env(svc, 'KAFKA_MIN_INSYNC_REPLICAS'), '2', name)
    assert.equal(env(svc, 'KAFKA_AUTO_CREATE_TOPICS_ENABLE'), 'false', name)
    assert.match(env(svc, 'KAFKA_ADVERTISED_LISTENERS') ?? '', new RegExp(`://localhost:${brokerPorts(s, i).client}(,|$)`), name)
  })
  const controller = merged.services['kafka-controller']
  assert.equal(env(controller, 'KAFKA_PROCESS_ROLES'), 'controller')
  assert.equal(env(controller, 'KAFKA_NODE_ID'), '0')
  assert.equal(env(controller, 'KAFKA_LISTENERS'), 'CONTROLLER://:9093')
  assert.equal(env(controller, 'KAFKA_MIN_INSYNC_REPLICAS'), '2', 'the controller creates the topics in KRaft: the same defaults')
  const init = merged.services['topic-init']
  assert.equal(env(init, 'BROKERS'), '3')
  assert.deepEqual(Object.keys(init?.depends_on ?? {}).sort(), brokers)
})

test('compose: every published port is bound to 127.0.0.1 (Kafka, the registry, kafka-ui and PostgreSQL with its known password are not on the network)', () => {
  for (const file of ['compose.yaml', 'compose.3-brokers.yaml']) {
    const { services } = load(file)
    const ports = Object.entries(services).flatMap(([name, svc]) => (svc.ports ?? []).map(p => [name, p] as const))
    assert.ok(ports.length > 0, file)
    for (const [name, p] of ports) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${file}: ${name} publishes ${p}`)
  }
})

test('compose.yaml: Prometheus, Alertmanager and Grafana on loopback, on the local ports (Grafana on 3300, not the UI\'s 3000), with infra\'s rules and dashboards', () => {
  const s = defaultSettings()
  const { services } = load('compose.yaml')
  const published = (svc: Service | undefined): string[] => svc?.ports ?? []
  assert.deepEqual(published(services.prometheus), [`127.0.0.1:${s.prometheusPort}:9090`])
  assert.deepEqual(published(services.alertmanager), [`127.0.0.1:${s.alertmanagerPort}:9093`])
  assert.deepEqual(published(services.grafana), ['127.0.0.1:3300:3000'])
  assert.match(services.prometheus?.image ?? '', /^prom\/prometheus:v2\.42\.\d+$/)
  assert.match(services.alertmanager?.image ?? '', /^prom\/alertmanager:v0\.25\.\d+$/)
  assert.match(services.grafana?.image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/)
  assert.ok(services.alertmanager?.command?.includes('--cluster.listen-address='), 'Alertmanager without its cluster port')
  assert.ok(services.prometheus?.volumes?.includes('../infra/prometheus/rules:/etc/prometheus/rules:ro'))
  assert.ok(services.grafana?.volumes?.includes('../infra/grafana/dashboards:/var/lib/grafana/dashboards:ro'))
  assert.ok(services.grafana?.volumes?.includes('../infra/grafana/provisioning:/etc/grafana/provisioning:ro'))
})

test('compose: every broker runs the JMX exporter of infra/kafka/pom.xml with infra\'s rules, and Prometheus scrapes them as the local one does', () => {
  const { coords } = jmxAgentCoords()
  const version = coords.split(':')[2]!
  const one = load('compose.yaml')
  assert.match(readFileSync(join(ROOT, 'compose/compose.yaml'), 'utf8'), new RegExp(`jmx_prometheus_javaagent/${version.replace(/\./g, '\\.')}/jmx_prometheus_javaagent-${version.replace(/\./g, '\\.')}\\.jar`))
  const merged = merge(one, load('compose.3-brokers.yaml'))
  for (const name of ['kafka', 'kafka-2', 'kafka-3', 'kafka-controller']) {
    const svc = merged.services[name]
    assert.match(env(svc, 'KAFKA_OPTS') ?? '', new RegExp(`-javaagent:/opt/jmx/jmx_prometheus_javaagent-${version}\\.jar=9404:/opt/jmx-rules/jmx-kafka\\.yml`), name)
    assert.ok(svc?.volumes?.includes('../infra/prometheus/jmx-kafka.yml:/opt/jmx-rules/jmx-kafka.yml:ro'), name)
    assert.equal(svc?.depends_on?.['jmx-agent']?.condition, 'service_completed_successfully', name)
  }
  // The same jobs, labels and services as the generated local config: the rules and dashboards work on both.
  const s = defaultSettings()
  type Job = { job_name: string, honor_labels?: boolean, static_configs: Array<{ targets: string[], labels?: Record<string, string> }> }
  const local = parse(prometheusYaml({ stateDir: '/tmp', prometheusPort: s.prometheusPort, alertmanagerPort: s.alertmanagerPort, targets: stackTargets({ ...s, brokers: 3 }, appSettings(s).ports) })) as { scrape_configs: Job[] }
  const labels = (jobs: Job[], job: string): string[] => jobs.find(j => j.job_name === job)!.static_configs.map(c => JSON.stringify(c.labels ?? {})).sort()
  const port = (jobs: Job[], service: string): string => jobs.find(j => j.job_name === 'services')!.static_configs.find(c => c.labels?.service === service)!.targets[0]!.split(':')[1]!
  for (const [file, brokers] of [['prometheus.yml', 1], ['prometheus.3-brokers.yml', 3]] as const) {
    const compose = parse(readFileSync(join(ROOT, 'compose', file), 'utf8')) as { scrape_configs: Job[], rule_files: string[] }
    assert.deepEqual(compose.scrape_configs.map(j => j.job_name), local.scrape_configs.map(j => j.job_name), file)
    assert.deepEqual(labels(compose.scrape_configs, 'services'), labels(local.scrape_configs, 'services'), file)
    for (const service of Object.keys(appSettings(s).ports).filter(n => n !== 'web' && n !== 'control')) assert.equal(port(compose.scrape_configs, service), port(local.scrape_configs, service), `${file}: ${service}`)
    assert.equal(compose.scrape_configs.find(j => j.job_name === 'services')?.honor_labels, true)
    // One broker: broker 1 alone; three: the brokers and the separate controller (broker="controller").
    assert.deepEqual(labels(compose.scrape_configs, 'kafka'), brokers === 1 ? labels(local.scrape_configs, 'kafka').slice(0, 1) : labels(local.scrape_configs, 'kafka'), file)
    assert.deepEqual(compose.rule_files, ['/etc/prometheus/rules/*.yml'])
  }
  assert.ok(merged.services.prometheus?.volumes?.includes('./prometheus.3-brokers.yml:/etc/prometheus/prometheus.yml:ro'))
  assert.match(readFileSync(join(ROOT, 'compose/alertmanager.yml'), 'utf8'), /host\.docker\.internal:3010\/api\/alerts\/webhook/)
})

test('compose.yaml: Flink (official image, the local version) and Kafka Connect with Debezium on loopback, on the local ports, with the same configs', () => {
  const s = defaultSettings()
  const { services } = load('compose.yaml')
  assert.equal(services.flink?.image, `flink:${FLINK_VERSION}-java17`)
  assert.deepEqual(services.flink?.ports, [`127.0.0.1:${s.flinkGatewayPort}:${s.flinkGatewayPort}`, `127.0.0.1:${s.flinkUiPort}:${s.flinkUiPort}`])
  assert.deepEqual(services.connect?.ports, [`127.0.0.1:${s.connectPort}:8083`])
  const debezium = /<debezium.version>([^<]+)</.exec(readFileSync(join(ROOT, 'infra/connect/pom.xml'), 'utf8'))?.[1]
  assert.equal(services.connect?.image, `quay.io/debezium/connect:${debezium}`)
  // Every Flink jar of infra/flink/pom.xml is fetched by flink-jars.
  const pom = readFileSync(join(ROOT, 'infra/flink/pom.xml'), 'utf8')
  const jars = [...pom.matchAll(/<artifactId>(flink-[^<]+)<\/artifactId>\s*<version>([^<]+)<\/version>/g)].map(m => `${m[1]}-${m[2]!.replace('$' + '{flink.version}', FLINK_VERSION)}.jar`)
  assert.ok(jars.length >= 3, `found ${jars.join(', ')} in infra/flink/pom.xml`)
  for (const jar of jars) assert.match(services['flink-jars']?.entrypoint?.join(' ') ?? '', new RegExp(jar.replace(/\./g, '\\.')), jar)

  // The same Flink settings, apart from the container's addresses and paths.
  const local = flinkConfig({ ...s, stateDir: '/opt/flink/state' })
  const compose = parse(readFileSync(join(ROOT, 'compose/flink-config.yaml'), 'utf8')) as Record<string, unknown>
  assert.deepEqual(Object.keys(compose).sort(), Object.keys(local).sort())
  for (const [key, value] of Object.entries(local)) {
    if (/address|bind-host|taskmanager\.host|tmp/.test(key)) continue
    assert.deepEqual(compose[key], value, key)
  }
  // The same connector, apart from where PostgreSQL is.
  const connector = JSON.parse(readFileSync(join(ROOT, 'compose/cdc-connector.json'), 'utf8')) as Record<string, string>
  assert.deepEqual({ ...connector, 'database.hostname': 'localhost', 'database.port': String(s.pgPort) }, cdcConnectorConfig(s))
  assert.equal(connector['database.hostname'], 'postgres')
})
