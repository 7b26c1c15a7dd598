import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import type { Admin } from '@platformatic/kafka'
import Kafka from 'node-rdkafka'
import { topic } from '@vitrine/contracts'
import { ACLS_SCRIPT, KAFKA_START_SCRIPT, aclsScript, composeAcls, composePrincipals, passwordVar } from '../../src/compose-security.ts'
import { topicsScript } from '../../src/compose-topics.ts'
import { javaBin, kafkaClasspath, writeToolsLog4j } from '../../src/kafka-node.ts'
import { freePort } from '../../src/proc.ts'
import { createAdmin } from '../../src/topics.ts'
import { ROOT, loadSettings } from '../../src/settings.ts'
import { ADMIN_PRINCIPAL, aclKey, scramPrincipals } from '../../src/security/acls.ts'
import { listAcls } from '../../src/security/apply.ts'
import { kafkaCredentials, platformaticSasl, rdkafkaSasl } from '../../src/security/kafka-auth.ts'

// compose/ cannot run here (no Docker engine). This runs its Kafka scripts as the apache/kafka image
// would, with the same Kafka version's real classes from Maven Central (infra/kafka/pom.xml): compose's
// kafka-start.sh with compose.yaml's broker environment (ports moved to free ones on localhost), its
// image steps done by the image's own KafkaDockerWrapper and StorageTool, then acls.sh with the real
// kafka-acls and topics.sh with the real kafka-topics. The broker it starts must take every principal's
// SCRAM login, hold the ACLs acls.sh's lines say, and answer a service's writes as the catalog says.

interface ComposeKafka { environment: Record<string, string | number> }

function adminOf (bootstrap: string, username: string, password: string): Admin {
  return createAdmin(bootstrap, 'compose-security-test', platformaticSasl('scram', username, password))
}

class Fatal extends Error {}

async function until<T> (what: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof Fatal || Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`)
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
  }
}

/** One record from `principal`: delivered, or the broker's refusal. */
async function produceOne (bootstrap: string, sasl: Record<string, string>, topicName: string): Promise<'ok' | 'denied' | string> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': bootstrap, ...sasl, dr_cb: true, 'linger.ms': 0 }, { 'message.timeout.ms': 15_000 })
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  producer.setPollInterval(10)
  try {
    return await new Promise(resolve => {
      const outcome = (err: Kafka.LibrdKafkaError | null | undefined): void => {
        resolve(err ? (err.code === Kafka.CODES.ERRORS.ERR_TOPIC_AUTHORIZATION_FAILED || /topic authorization failed/i.test(err.message) ? 'denied' : `error ${err.code}: ${err.message}`) : 'ok')
      }
      producer.on('delivery-report', err => { outcome(err) })
      try {
        producer.produce(topicName, null, Buffer.from('compose-security-test'), 'k')
      } catch (err) {
        outcome(err as Kafka.LibrdKafkaError)
      }
    })
  } finally {
    await new Promise<void>(resolve => producer.disconnect(() => resolve()))
  }
}

test('compose\'s kafka-start.sh, acls.sh and topics.sh on the real Kafka classes: SCRAM users, the authorizer, the ACLs it adds', { timeout: 900_000, skip: process.platform === 'win32' }, async t => {
  const s = loadSettings()
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-compose-kafka-'))
  const running: { broker?: ChildProcess } = {}
  t.after(async () => {
    const broker = running.broker
    if (broker?.pid !== undefined && broker.exitCode === null) {
      process.kill(-broker.pid, 'SIGKILL')
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    rmSync(dir, { recursive: true, force: true })
  })
  for (const d of ['bin', 'config', 'defaults', 'mounted', 'data', 'state']) mkdirSync(join(dir, d))
  writeToolsLog4j({ ...s, stateDir: join(dir, 'state') })
  const java = `'${javaBin(s)}' -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '${kafkaClasspath()}' -Dlog4j2.configurationFile='${join(dir, 'state', 'tools-log4j2.xml')}'`
  const script = (name: string, body: string): string => {
    const file = join(dir, 'bin', name)
    writeFileSync(file, `#!/bin/sh\n${body}\n`)
    chmodSync(file, 0o755)
    return file
  }
  // The image's launchers, each running the class its own script runs.
  script('kafka-run-class.sh', `exec ${java} "$@"`)
  script('kafka-storage.sh', `exec ${java} kafka.tools.StorageTool "$@"`)
  const kafkaAcls = script('kafka-acls.sh', `exec ${java} org.apache.kafka.tools.AclCommand "$@"`)
  const kafkaConfigs = script('kafka-configs.sh', `exec ${java} kafka.admin.ConfigCommand "$@"`)
  const kafkaTopics = script('kafka-topics.sh', `exec ${java} org.apache.kafka.tools.TopicCommand "$@"`)
  // The image's own start (/etc/kafka/docker/run): its wrapper again (a formatted log dir is fine), then the broker.
  const imageStart = script('run', [
    `out=$(${java} kafka.docker.KafkaDockerWrapper setup --default-configs-dir '${join(dir, 'defaults')}' --mounted-configs-dir '${join(dir, 'mounted')}' --final-configs-dir '${join(dir, 'config')}' 2>&1) || echo "$out" | grep -qi 'already formatted' || { echo "$out"; exit 1; }`,
    `exec '${javaBin(s)}' -Xmx512m -cp '${kafkaClasspath()}' -Dlog4j2.configurationFile='${join(dir, 'state', 'tools-log4j2.xml')}' kafka.Kafka '${join(dir, 'config', 'server.properties')}'`
  ].join('\n'))
  // compose's script with the image's paths pointed at this folder.
  const start = join(dir, 'kafka-start.sh')
  writeFileSync(start, readFileSync(KAFKA_START_SCRIPT, 'utf8')
    .replaceAll('/tmp/vitrine-', join(dir, 'vitrine-'))
    .replaceAll('/opt/kafka/bin/', join(dir, 'bin') + '/')
    .replaceAll('/opt/kafka/config', join(dir, 'config'))
    .replaceAll('/etc/kafka/docker/run', imageStart)
    .replaceAll('/etc/kafka/docker', join(dir, 'defaults'))
    .replaceAll('/mnt/shared/config', join(dir, 'mounted')))

  // compose.yaml's broker environment, on free ports of localhost, without the JMX agent.
  const compose = parse(readFileSync(join(ROOT, 'compose', 'compose.yaml'), 'utf8'), { merge: true }) as { services: { kafka: ComposeKafka } }
  const env: Record<string, string> = Object.fromEntries(Object.entries(compose.services.kafka.environment).map(([k, v]) => [k, String(v)]))
  const [internal, controller, host] = [await freePort(), await freePort(), await freePort()]
  Object.assign(env, {
    KAFKA_LISTENERS: `INTERNAL://localhost:${internal},CONTROLLER://localhost:${controller},HOST://localhost:${host}`,
    KAFKA_ADVERTISED_LISTENERS: `INTERNAL://localhost:${internal},HOST://localhost:${host}`,
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@localhost:${controller}`,
    KAFKA_LOG_DIRS: join(dir, 'data'),
    KAFKA_HEAP_OPTS: '-Xmx512m'
  })
  Reflect.deleteProperty(env, 'KAFKA_OPTS')
  assert.deepEqual(String(env.KAFKA_LISTENERS).split(',').map(l => l.split(':')[0]), String(compose.services.kafka.environment.KAFKA_LISTENERS).split(',').map(l => l.split(':')[0]))
  // compose/.env's passwords, as compose-secrets writes them.
  const credentials = kafkaCredentials(join(dir, 'state'))
  for (const p of composePrincipals()) env[passwordVar(p)] = credentials[p]!
  const bootstrap = `localhost:${host}`

  let log = ''
  const broker = running.broker = spawn('bash', [start], { env: { PATH: process.env.PATH, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  broker.stdout.on('data', (b: Buffer) => { log += b.toString() })
  broker.stderr.on('data', (b: Buffer) => { log += b.toString() })
  const admin = adminOf(bootstrap, ADMIN_PRINCIPAL, credentials[ADMIN_PRINCIPAL]!)
  t.after(async () => { await admin.close() })
  await until('the broker did not answer the admin', async () => {
    if (broker.exitCode !== null) throw new Fatal(`kafka-start.sh exited ${broker.exitCode}:\n${log.slice(-3000)}`)
    return await admin.metadata({ topics: [] })
  }, 120_000).catch(err => { throw new Error(`${(err as Error).message}\n${log.slice(-3000)}`) })
  assert.deepEqual(readFileSync(join(dir, 'data', 'vitrine-scram-users'), 'utf8').trim().split('\n'), scramPrincipals())
  // The healthcheck's logins, written for this container's user only.
  assert.equal(spawnSync('stat', ['-c', '%a', join(dir, 'vitrine-admin.properties')], { encoding: 'utf8' }).stdout.trim(), '600')

  // Every principal logs in with its password, and not with another's.
  for (const p of scramPrincipals()) {
    const client = adminOf(bootstrap, p, credentials[p]!)
    try {
      await client.metadata({ topics: [] })
    } finally {
      await client.close()
    }
  }
  const wrong = adminOf(bootstrap, 'payment', credentials['checkout-api']!)
  await assert.rejects(wrong.metadata({ topics: [] }))
  await wrong.close()

  // acl-init's script with the real kafka-acls, as the admin. Each line is a JVM start, so a sample of
  // composeAcls() with every form of line (topics, groups, transactional ids and the cluster; LITERAL and
  // PREFIXED; ALLOW and DENY; '*'; a line shared by two principals): the unit test shows the committed
  // script's lines add exactly composeAcls(), this shows kafka-acls adds what each form says.
  const sample = composeAcls().filter(r => r.principal === 'checkout-api' || r.principal === 'registry' ||
    (r.principal === 'payment' && (r.name.startsWith('orders.retry.') || r.name === 'orders.dlq')) || (r.principal === 'sales-counter' && r.resource === 'TRANSACTIONAL_ID') ||
    (r.principal === 'gateway' && (r.resource === 'CLUSTER' || r.name === '*' || (r.permission === 'DENY' && r.pattern === 'PREFIXED'))))
  const sampleScript = aclsScript(sample)
  assert.ok(sampleScript.includes('--allow-principal User:checkout-api --allow-principal User:payment'), 'no line shared by two principals')
  assert.ok(readFileSync(ACLS_SCRIPT, 'utf8').startsWith(sampleScript.slice(0, sampleScript.indexOf('\nacl --'))), 'the sample script is not the committed one\'s kind')
  writeFileSync(join(dir, 'acls.sh'), sampleScript)
  // A principal the catalog gained after the volume was formatted: its user is gone from the cluster,
  // and acl-init makes it again (its describe of the users must find every other one).
  const late = scramPrincipals().at(-1)!
  const deleted = spawnSync(kafkaConfigs, ['--bootstrap-server', bootstrap, '--command-config', join(dir, 'vitrine-admin.properties'), '--alter', '--delete-config', 'SCRAM-SHA-512', '--entity-type', 'users', '--entity-name', late], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(deleted.status, 0, deleted.stderr)
  const lateAdmin = adminOf(bootstrap, late, credentials[late]!)
  await assert.rejects(lateAdmin.metadata({ topics: [] }))
  await lateAdmin.close()
  const acls = spawnSync('sh', [join(dir, 'acls.sh')], { env: { PATH: process.env.PATH, KAFKA_ACLS: kafkaAcls, KAFKA_CONFIGS: kafkaConfigs, BOOTSTRAP: bootstrap, ...Object.fromEntries(composePrincipals().map(p => [passwordVar(p), credentials[p]!])) }, encoding: 'utf8', timeout: 400_000 })
  assert.equal(acls.status, 0, acls.stderr + acls.stdout)
  assert.deepEqual(acls.stdout.split('\n').filter(l => l.startsWith('usuário SCRAM criado')), [`usuário SCRAM criado: ${late}`])
  const back = adminOf(bootstrap, late, credentials[late]!)
  await until(`${late} logs in again`, async () => await back.metadata({ topics: [] }), 30_000)
  await back.close()
  const held = new Set((await listAcls(admin)).map(aclKey))
  assert.deepEqual(held, new Set(sample.map(aclKey)))

  // topic-init's script as the admin (two catalog topics), then one service's writes as the catalog says.
  const catalog = [topic('orders.new'), topic('payments.approved')]
  const topicsFile = join(dir, 'topics.sh')
  writeFileSync(topicsFile, topicsScript(catalog))
  const topics = spawnSync('sh', [topicsFile], { env: { PATH: process.env.PATH, KAFKA_TOPICS: kafkaTopics, BOOTSTRAP: bootstrap, BROKERS: '1', [passwordVar(ADMIN_PRINCIPAL)]: credentials[ADMIN_PRINCIPAL]! }, encoding: 'utf8', timeout: 120_000 })
  assert.equal(topics.status, 0, topics.stderr)
  const sasl = rdkafkaSasl('scram', 'checkout-api', credentials['checkout-api']!)
  assert.equal(await produceOne(bootstrap, sasl, 'orders.new'), 'ok')
  assert.equal(await produceOne(bootstrap, sasl, 'payments.approved'), 'denied')
})
