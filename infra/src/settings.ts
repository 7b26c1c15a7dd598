import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { KafkaAuth } from './security/kafka-auth.ts'
import { kafkaAuthSetting } from './security/kafka-auth.ts'

// Every knob of the local stack, read once from the environment (documented in ../.env.example).
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

export class SettingsError extends Error {
  code = 'SHOP_ERR_SETTINGS'
}

function int (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new SettingsError(`${name} deve ser um inteiro positivo (uma porta ou uma contagem), mas veio "${raw}": corrija no .env ou na linha de comando.`)
  return n
}

export interface StackSettings {
  stateDir: string
  brokers: number
  kafkaPort: number
  kafkaHeapMb: number
  pgPort: number
  registryPort: number
  registryBackendPort: number
  /** Prometheus and Alertmanager (not 9090/9093: Kafka's controller listens on 9093); moved by APP_PORT_OFFSET like the apps. */
  prometheusPort: number
  alertmanagerPort: number
  /** Flink's SQL Gateway REST API (not 8083, its default and Kafka Connect's). */
  flinkGatewayPort: number
  /** Flink's web UI: each job's mini cluster takes the first free port of flinkUiPort..flinkUiPort+9 (not 8081, the registry's). */
  flinkUiPort: number
  /** Kafka Connect's REST API (not 8083, its default). */
  connectPort: number
  /** LITE=1: no Flink and no Kafka Connect (small laptops); the KPIs and CDC topics stay empty. */
  lite: boolean
  /** KAFKA_AUTH: `scram` (the default) = SASL/SCRAM-SHA-512 and ACLs on the local cluster (security/kafka-auth.ts); `none` = PLAINTEXT, no authorizer. */
  kafkaAuth: KafkaAuth
  javaHome: string | undefined
}

/** APP_PORT_OFFSET: a second copy of the shop moves every port of its own processes by this much. */
export function appPortOffset (): number {
  const raw = process.env.APP_PORT_OFFSET ?? '0'
  const offset = Number(raw === '' ? 0 : raw)
  // The highest port it moves (Alertmanager's 9493) must stay a valid port.
  if (!Number.isInteger(offset) || offset < 0 || offset > 56_000) throw new SettingsError(`APP_PORT_OFFSET deve ser um inteiro de 0 a 56000, mas veio "${raw}": corrija no .env ou na linha de comando.`)
  return offset
}

export function loadSettings (env: Partial<StackSettings> = {}): StackSettings {
  const brokers = env.brokers ?? int('BROKERS', 1)
  if (brokers !== 1 && brokers !== 3) throw new SettingsError(`BROKERS deve ser 1 ou 3, mas veio ${brokers}: use, por exemplo, \`BROKERS=3 make up\`.`)
  const stateDir = env.stateDir ?? resolve(ROOT, process.env.VITRINE_STATE_DIR ?? '.vitrine')
  return {
    stateDir,
    brokers,
    kafkaPort: env.kafkaPort ?? int('KAFKA_PORT', 9092),
    kafkaHeapMb: env.kafkaHeapMb ?? int('KAFKA_HEAP_MB', brokers === 1 ? 768 : 512),
    pgPort: env.pgPort ?? int('PG_PORT', 5433),
    registryPort: env.registryPort ?? int('SCHEMA_REGISTRY_PORT', 8081),
    registryBackendPort: env.registryBackendPort ?? int('SCHEMA_REGISTRY_BACKEND_PORT', 8085),
    prometheusPort: env.prometheusPort ?? int('PROMETHEUS_PORT', 9490 + appPortOffset()),
    alertmanagerPort: env.alertmanagerPort ?? int('ALERTMANAGER_PORT', 9493 + appPortOffset()),
    flinkGatewayPort: env.flinkGatewayPort ?? int('FLINK_SQL_GATEWAY_PORT', 8183 + appPortOffset()),
    flinkUiPort: env.flinkUiPort ?? int('FLINK_UI_PORT', 8190 + appPortOffset()),
    connectPort: env.connectPort ?? int('CONNECT_PORT', 8184 + appPortOffset()),
    lite: env.lite ?? ['1', 'true', 'yes'].includes(process.env.LITE ?? ''),
    kafkaAuth: env.kafkaAuth ?? kafkaAuthSetting(process.env.KAFKA_AUTH, stateDir),
    javaHome: env.javaHome ?? process.env.JAVA_HOME
  }
}

/** One row of the port table: a component, its port(s), the variable that moves it, why not the usual one. */
export interface PortRow { component: string, ports: number[], env: string, note?: string }

/**
 * Every port the local stack listens on, in one table (the README's "O que sobe, e onde" mirrors
 * it; a unit test checks they are distinct). Defaults that would collide are moved here: Flink's
 * REST (8081) is the registry's, the SQL Gateway and Kafka Connect both default to 8083, Grafana
 * (compose only) to 3000, our UI's; Prometheus/Alertmanager's 9090/9093 are Kafka's controller's.
 */
export function portTable (s: StackSettings): PortRow[] {
  return [
    ...(separateController(s) ? [{ component: 'Kafka (controller KRaft)', ports: [controllerPorts(s).controller, controllerPorts(s).jmx], env: 'KAFKA_PORT', note: 'quórum do controller, exportador JMX' }] : []),
    ...Array.from({ length: s.brokers }, (_, i) => {
      const p = brokerPorts(s, i)
      return separateController(s)
        ? { component: `Kafka (broker ${i + 1})`, ports: [p.client, p.jmx], env: 'KAFKA_PORT', note: 'cliente, exportador JMX' }
        : { component: 'Kafka', ports: [p.client, p.controller, p.jmx], env: 'KAFKA_PORT', note: 'cliente, controller, exportador JMX' }
    }),
    { component: 'PostgreSQL', ports: [s.pgPort], env: 'PG_PORT', note: 'não a 5432 de um PostgreSQL do sistema' },
    { component: 'Schema Registry (proxy)', ports: [s.registryPort], env: 'SCHEMA_REGISTRY_PORT' },
    { component: 'Apicurio Registry', ports: [s.registryBackendPort], env: 'SCHEMA_REGISTRY_BACKEND_PORT' },
    { component: 'Prometheus', ports: [s.prometheusPort], env: 'PROMETHEUS_PORT', note: 'não a 9090' },
    { component: 'Alertmanager', ports: [s.alertmanagerPort], env: 'ALERTMANAGER_PORT', note: 'a 9093 é do controller do Kafka' },
    { component: 'Flink SQL Gateway', ports: [s.flinkGatewayPort], env: 'FLINK_SQL_GATEWAY_PORT', note: 'a 8083 padrão é também a do Kafka Connect' },
    { component: 'Flink (painel web dos jobs)', ports: Array.from({ length: 10 }, (_, i) => s.flinkUiPort + i), env: 'FLINK_UI_PORT', note: 'a 8081 padrão é a do registry' },
    { component: 'Kafka Connect', ports: [s.connectPort], env: 'CONNECT_PORT', note: 'não a 8083' }
  ]
}

/**
 * Broker i (0-based) listens on kafkaPort + 100*i for clients, one above that for the controller
 * quorum, and two above for its JMX exporter's /metrics (so a private test cluster moves it too).
 */
export function brokerPorts (s: StackSettings, i: number): { client: number, controller: number, jmx: number } {
  const client = s.kafkaPort + 100 * i
  return { client, controller: client + 1, jmx: client + 2 }
}

/**
 * BROKERS=3 runs a KRaft controller of its own beside three broker-only nodes: stopping two brokers
 * then leaves the metadata quorum whole, so producers meet NOT_ENOUGH_REPLICAS rather than a cluster
 * without a controller (three combined nodes lost their quorum with two down). One broker stays combined.
 */
export function separateController (s: Pick<StackSettings, 'brokers'>): boolean {
  return s.brokers === 3
}

/** The controller of BROKERS=3: its quorum listener where the combined node's is (KAFKA_PORT + 1), its JMX exporter at + 3. */
export function controllerPorts (s: Pick<StackSettings, 'kafkaPort'>): { controller: number, jmx: number } {
  return { controller: s.kafkaPort + 1, jmx: s.kafkaPort + 3 }
}

/** The controller's KRaft node id (the brokers are 1, 2, 3). */
export const CONTROLLER_NODE_ID = 0

export function bootstrapServers (s: StackSettings): string {
  return Array.from({ length: s.brokers }, (_, i) => `localhost:${brokerPorts(s, i).client}`).join(',')
}

export function databaseUrl (s: StackSettings): string {
  return process.env.DATABASE_URL ?? `postgres://vitrine:vitrine@localhost:${s.pgPort}/vitrine`
}

export function registryUrl (s: StackSettings): string {
  return process.env.SCHEMA_REGISTRY_URL ?? `http://localhost:${s.registryPort}`
}

export const KAFKA_LIB = resolve(ROOT, 'infra/kafka/target/lib')
/** Flink's distribution (lib/ from the PyPI wheel plus the Central jars of infra/flink/pom.xml). */
export const FLINK_HOME = resolve(ROOT, 'infra/flink/target/flink')
/** Kafka Connect's worker jars (lib/) and plugin.path (plugins/, one folder per connector). */
export const CONNECT_HOME = resolve(ROOT, 'infra/connect/target')
export const APICURIO_DIR = resolve(ROOT, 'infra/registry/target/apicurio')
