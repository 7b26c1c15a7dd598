import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { latestSchema } from '@vitrine/contracts'

// The Flink SQL of the jobs lives in ../sql, one file per job, read by students; this module
// fills in its ${...} parameters and splits it into the statements the SQL Gateway runs one by one.

export const SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url))

/** The jobs, in the order they start (enriched_orders before revenue_by_tier, which reads its topic). */
export const JOBS = ['order_kpis', 'top_products', 'live_kpis', 'enriched_orders', 'revenue_by_tier'] as const
export type JobName = typeof JOBS[number]

export interface SqlParams {
  TOPIC_PREFIX: string
  KAFKA_BROKERS: string
  SCHEMA_REGISTRY_URL: string
  GROUP_SUFFIX: string
  /** The Flink tables' consumer group (before GROUP_SUFFIX): `streams` for the jobs; another reader (the gateway's SQL page) its own principal's group. */
  GROUP_ID?: string
  CDC_CUSTOMERS_TOPIC: string
  CDC_PRODUCTS_TOPIC: string
  /** 'true' when Kafka Connect's JsonConverter writes the schema beside each payload. */
  CDC_SCHEMA_INCLUDE: string
  /** Set per job by the submitter: its Kafka transactions' id prefix. */
  TRANSACTIONAL_ID?: string
  /** Flink's Kafka login (kafkaSqlLogin): PLAINTEXT with no login when left out. */
  KAFKA_SECURITY_PROTOCOL?: string
  KAFKA_SASL_MECHANISM?: string
  KAFKA_SASL_JAAS_CONFIG?: string
  /** The avro-confluent format's registry login (kafkaSqlLogin): none when left out. */
  REGISTRY_CREDENTIALS_SOURCE?: string
  REGISTRY_USER_INFO?: string
}

/**
 * No login, the Kafka clients' own defaults (the JAAS config is read only on a SASL connection). The
 * registry client sends no credentials when its credentials source is empty (Confluent's RestService).
 */
const PLAINTEXT_LOGIN = { KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT', KAFKA_SASL_MECHANISM: 'GSSAPI', KAFKA_SASL_JAAS_CONFIG: '', REGISTRY_CREDENTIALS_SOURCE: '', REGISTRY_USER_INFO: '' }

/**
 * Flink's SQL Kafka connector (flink-sql-connector-kafka) carries the Kafka client shaded under
 * org.apache.flink.kafka.shaded: JAAS must name its copy of the login module ("No LoginModule found
 * for org.apache.kafka…ScramLoginModule" otherwise, seen on a KAFKA_AUTH=scram demo).
 */
export const SHADED_SCRAM_LOGIN = 'org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule'

/**
 * The jobs' login options for a SCRAM principal (KAFKA_AUTH=scram: the `streams` principal and its ACLs),
 * or no login: the Kafka connector's (properties.security.protocol, .sasl.mechanism, .sasl.jaas.config)
 * and the avro-confluent format's registry login (basic-auth USER_INFO, the same principal and password:
 * the registry lets it register its streams.* outputs' schemas). Flink hides `*.jaas.config` and
 * `*basic-auth*` values in its UI and logs (sensitive keys), so the password is not shown there.
 */
export function kafkaSqlLogin (login: { username: string, password: string, mechanism?: string } | null): Pick<SqlParams, 'KAFKA_SECURITY_PROTOCOL' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_JAAS_CONFIG' | 'REGISTRY_CREDENTIALS_SOURCE' | 'REGISTRY_USER_INFO'> {
  if (login === null) return PLAINTEXT_LOGIN
  return {
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_MECHANISM: login.mechanism ?? 'SCRAM-SHA-512',
    KAFKA_SASL_JAAS_CONFIG: `${SHADED_SCRAM_LOGIN} required username="${login.username}" password="${login.password}";`,
    REGISTRY_CREDENTIALS_SOURCE: 'USER_INFO',
    REGISTRY_USER_INFO: `${login.username}:${login.password}`
  }
}

export class SqlParamError extends Error {
  code = 'SHOP_ERR_STREAMS_SQL'
}

const quote = (s: string): string => s.replaceAll("'", "''")

/** Replaces ${NAME} with the parameter and ${SCHEMA:name} with the latest contracts schema, quoted for a SQL string. */
export function renderSql (text: string, params: SqlParams): string {
  return text.replace(/\$\{([A-Z_]+)(?::([a-z0-9-]+))?\}/g, (_m, name: string, schema: string | undefined) => {
    if (name === 'SCHEMA' && schema) return quote(JSON.stringify(latestSchema(schema)))
    const value = ({ ...PLAINTEXT_LOGIN, GROUP_ID: 'streams', ...params } as unknown as Record<string, string | undefined>)[name]
    if (value === undefined) throw new SqlParamError(`SQL parameter \${${name}} has no value`)
    return quote(value)
  })
}

/**
 * The statements of a SQL text: comment lines dropped, split at a `;` that ends a line (the SQL
 * Gateway takes one statement per call). Quoted strings never end a line with `;` in our files.
 */
export function splitStatements (text: string): string[] {
  const out: string[] = []
  let current: string[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    if (/^\s*--/.test(line) || line.trim() === '') continue
    if (line.endsWith(';')) {
      current.push(line.slice(0, -1))
      out.push(current.join('\n').trim())
      current = []
    } else current.push(line)
  }
  if (current.join('').trim() !== '') out.push(current.join('\n').trim())
  return out
}

export function readSqlFile (name: string): string {
  return readFileSync(`${SQL_DIR}${name}.sql`, 'utf8')
}

/** The statements a job's session runs: the shared source tables, then the job's own file (its sink and INSERT). */
export function jobStatements (job: JobName, params: SqlParams): string[] {
  // Split first: the comments may mention ${...} parameters, which are not to be filled in.
  return [...splitStatements(readSqlFile('tables')), ...splitStatements(readSqlFile(job))].map(s => renderSql(s, params))
}

/** The statements a student's session starts with: the source tables only (no job is started). */
export function readerStatements (params: SqlParams): string[] {
  return splitStatements(readSqlFile('tables')).map(s => renderSql(s, params))
}

/** The Flink job name of `job` for a topic prefix: what makes submission idempotent. */
export function pipelineName (job: JobName, prefix: string): string {
  return `vitrine-${prefix}${job}`
}

// What the SQL page may run: reads only. A statement is refused unless its first word is one of these,
// and it holds a single statement (no `;` followed by more).
export const READ_ONLY_VERBS = ['SELECT', 'EXPLAIN', 'SHOW', 'DESCRIBE', 'DESC', 'WITH'] as const

export interface ReadOnlyVerdict { ok: boolean, verb: string | null, reason: string | null }

/** Whether a student's statement is read-only; the reason (pt-BR) names the rule it breaks. */
export function checkReadOnly (statement: string): ReadOnlyVerdict {
  const text = statement.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').trim().replace(/;\s*$/, '')
  if (text === '') return { ok: false, verb: null, reason: 'a instrução está vazia: escreva um SELECT, EXPLAIN, SHOW ou DESCRIBE' }
  const verb = (/^[A-Za-z]+/.exec(text)?.[0] ?? '').toUpperCase()
  if (text.includes(';')) return { ok: false, verb, reason: 'só uma instrução por vez: tire o ";" do meio do texto' }
  if (!(READ_ONLY_VERBS as readonly string[]).includes(verb)) {
    return { ok: false, verb, reason: `${verb || 'essa instrução'} não é permitido aqui: a página SQL só lê (SELECT, EXPLAIN, SHOW ou DESCRIBE); jobs que escrevem ficam em services/streams/sql` }
  }
  // EXPLAIN INSERT ... would plan a write without running it, which is fine; a WITH must end in a SELECT.
  if (verb === 'WITH' && /\b(INSERT|UPDATE|DELETE)\b/i.test(text)) return { ok: false, verb, reason: 'WITH só pode terminar num SELECT: a página SQL só lê' }
  return { ok: true, verb, reason: null }
}
