import { join } from 'node:path'
import { bootstrapServers, flinkStateDir, latestCheckpoint, loadSettings, registryUrl, sqlGatewayUrl } from '@vitrine/infra'
import { submitJobs } from './submit.ts'
import { JOBS, kafkaSqlLogin } from './sql.ts'
import type { JobName } from './sql.ts'

// `pnpm --filter @vitrine/streams submit [job ...]`: starts the SQL jobs on the stack's Flink (make demo
// runs it once Flink answers). Idempotent: running jobs are left alone. Prints one JSON line per job.

const s = loadSettings()
const env = process.env
const wanted = process.argv.slice(2)
const unknown = wanted.filter(j => !(JOBS as readonly string[]).includes(j))
if (unknown.length > 0) {
  console.error(`unknown job(s): ${unknown.join(', ')} (known: ${JOBS.join(', ')})`)
  process.exit(2)
}
const prefix = env.TOPIC_PREFIX ?? ''
const reports = await submitJobs({
  gatewayUrl: sqlGatewayUrl(s),
  jobs: wanted.length > 0 ? wanted as JobName[] : JOBS,
  stateFile: join(flinkStateDir(s.stateDir), `jobs${prefix ? '-' + prefix.replace(/\W/g, '') : ''}.json`),
  resumeFrom: jobId => latestCheckpoint(s.stateDir, jobId)?.path,
  restUrls: Array.from({ length: 10 }, (_, i) => `http://127.0.0.1:${s.flinkUiPort + i}`),
  params: {
    TOPIC_PREFIX: prefix,
    KAFKA_BROKERS: env.KAFKA_BROKERS ?? bootstrapServers(s),
    SCHEMA_REGISTRY_URL: env.SCHEMA_REGISTRY_URL ?? registryUrl(s),
    GROUP_SUFFIX: env.KAFKA_GROUP_SUFFIX ?? '',
    CDC_CUSTOMERS_TOPIC: prefix + (env.CDC_CUSTOMERS_TOPIC ?? 'customers.cdc'),
    CDC_PRODUCTS_TOPIC: prefix + (env.CDC_PRODUCTS_TOPIC ?? 'products.cdc'),
    // Kafka Connect writes Debezium's JSON without the schema envelope (infra/src/streams-connect.ts).
    CDC_SCHEMA_INCLUDE: 'false',
    // The supervisor gives the submitter the streams principal's login with KAFKA_AUTH=scram (infra/src/streams-flink.ts).
    ...kafkaSqlLogin(env.KAFKA_SECURITY_PROTOCOL === 'sasl_plaintext' ? { username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' } : null)
  },
  log: (msg, fields) => console.error(JSON.stringify({ msg, ...fields }))
})
for (const r of reports) console.log(JSON.stringify(r))
