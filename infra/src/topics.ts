import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka'
import type { SASLOptions } from '@platformatic/kafka'
import type { TopicSpec } from '@vitrine/contracts'
import { formatProblems, validateCatalog } from '@vitrine/contracts'
import { loadSettings } from './settings.ts'
import { adminSasl } from './security/kafka-auth.ts'

// Applies the topic catalog to a broker: creates what is missing, and reports (never silently
// ignores) an existing topic whose layout or configs differ. The one change made to an existing
// topic is a retention the catalog widens: keeping records longer loses nothing, and a cluster
// made before the catalog raised a retention (the retry tiers) would otherwise expire records early.

export class CatalogError extends Error {
  code = 'SHOP_ERR_CATALOG_INVALID'
}

export interface Drift { topic: string, key: string, expected: string, actual: string }
export interface ApplyReport { created: string[], unchanged: string[], drift: Drift[], widened: Drift[] }

const WIDENABLE = new Set(['retention.ms', 'retention.bytes'])

/** A longer retention than the broker's (-1 means forever, so nothing is longer). */
function widens (d: Drift): boolean {
  if (!d.key.startsWith('config.') || !WIDENABLE.has(d.key.slice(7))) return false
  const expected = Number(d.expected)
  const actual = Number(d.actual)
  if (!Number.isFinite(expected) || !Number.isFinite(actual) || actual === -1) return false
  return expected === -1 || expected > actual
}

/** The spec as it must look on a cluster of `brokers` brokers (replication cannot exceed the broker count). */
export function effectiveSpec (spec: TopicSpec, brokers: number): { partitions: number, replicationFactor: number, config: Record<string, string> } {
  const replicationFactor = Math.min(spec.replicationFactor, brokers)
  const config = { ...spec.config }
  if (config['min.insync.replicas'] !== undefined) {
    config['min.insync.replicas'] = String(Math.min(Number(config['min.insync.replicas']), Math.max(1, replicationFactor - 1)))
  }
  return { partitions: spec.partitions, replicationFactor, config }
}

/**
 * An Admin client. On a KAFKA_AUTH=scram cluster it logs in as the admin principal: `sasl` is the
 * stack's own (adminSasl(s): null for a PLAINTEXT one), by default that of the settings in the environment.
 */
export function createAdmin (bootstrap: string, clientId = 'vitrine-infra', sasl?: SASLOptions | null): Admin {
  const login = sasl === undefined ? adminSasl(loadSettings()) : sasl
  return new Admin({ clientId, bootstrapBrokers: bootstrap.split(','), timeout: 10_000, retries: 5, ...(login ? { sasl: login } : {}) })
}

export async function applyCatalog (admin: Admin, catalog: readonly TopicSpec[], brokers: number): Promise<ApplyReport> {
  const problems = validateCatalog(catalog)
  if (problems.length > 0) throw new CatalogError(`the topic catalog is invalid:\n${formatProblems(problems)}`)

  const existing = new Set(await admin.listTopics())
  const report: ApplyReport = { created: [], unchanged: [], drift: [], widened: [] }
  for (const spec of catalog) {
    const want = effectiveSpec(spec, brokers)
    if (!existing.has(spec.name)) {
      await admin.createTopics({
        topics: [spec.name],
        partitions: want.partitions,
        replicas: want.replicationFactor,
        configs: Object.entries(want.config).map(([name, value]) => ({ name, value }))
      })
      report.created.push(spec.name)
      continue
    }
    const drift = await topicDrift(admin, spec.name, want)
    const widen = drift.filter(widens)
    if (widen.length > 0) {
      await admin.incrementalAlterConfigs({
        resources: [{
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: spec.name,
          configs: widen.map(d => ({ name: d.key.slice(7), configOperation: IncrementalAlterConfigOperationTypes.SET, value: d.expected }))
        }]
      })
      report.widened.push(...widen)
    }
    const rest = drift.filter(d => !widen.includes(d))
    if (rest.length > 0) report.drift.push(...rest)
    else report.unchanged.push(spec.name)
  }
  return report
}

export async function topicDrift (admin: Admin, name: string, want: ReturnType<typeof effectiveSpec>): Promise<Drift[]> {
  const drift: Drift[] = []
  const meta = await admin.metadata({ topics: [name], forceUpdate: true })
  const t = meta.topics.get(name)
  if (!t) return [{ topic: name, key: 'exists', expected: 'true', actual: 'false' }]
  if (t.partitionsCount !== want.partitions) drift.push({ topic: name, key: 'partitions', expected: String(want.partitions), actual: String(t.partitionsCount) })
  const rf = t.partitions[0]?.replicas.length ?? 0
  if (rf !== want.replicationFactor) drift.push({ topic: name, key: 'replicationFactor', expected: String(want.replicationFactor), actual: String(rf) })
  const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: Object.keys(want.config) }] })
  const actual = new Map((described?.configs ?? []).map(c => [c.name, c.value ?? '']))
  for (const [key, expected] of Object.entries(want.config)) {
    const value = actual.get(key)
    if (value !== expected) drift.push({ topic: name, key: `config.${key}`, expected, actual: value ?? '(unset)' })
  }
  return drift
}

export function formatReport (r: ApplyReport): string[] {
  const lines: string[] = []
  if (r.created.length) lines.push(`criados: ${r.created.join(', ')}`)
  if (r.unchanged.length) lines.push(`já conforme o catálogo: ${r.unchanged.length} tópicos`)
  for (const d of r.widened) lines.push(`ajustado em ${d.topic}: ${d.key} era ${d.actual}, agora ${d.expected} (o catálogo guarda por mais tempo)`)
  for (const d of r.drift) lines.push(`DIVERGÊNCIA em ${d.topic}: ${d.key} deveria ser ${d.expected}, no broker é ${d.actual}`)
  return lines
}
