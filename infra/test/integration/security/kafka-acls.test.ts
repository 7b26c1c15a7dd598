import assert from 'node:assert/strict'
import { statSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { execa } from 'execa'
import Kafka from 'node-rdkafka'
import { HEADERS, LAB_PREFIX, SERVICES, TOPICS, TopicSerde, writersOf } from '@vitrine/contracts'
import { ROOT, bootstrapServers } from '../../../src/settings.ts'
import { up } from '../../../src/stack.ts'
import { nodeDir } from '../../../src/kafka-node.ts'
import { createAdmin } from '../../../src/topics.ts'
import { DRILL_PRINCIPAL, EXERCISES_PRINCIPAL, REGISTRY_PRINCIPAL, deriveAcls, drillAcls } from '../../../src/security/acls.ts'
import { drillLogin, grantDrill, revokeDrill, withDrillGrant } from '../../../src/security/drill-grant.ts'
import { deleteScramUser, missingScramUsers } from '../../../src/security/scram-users.ts'
import { produceOne } from '../../../src/exercises/lab.ts'
import ex01, { ex01Names } from '../../../src/exercises/ex01.ts'
import ex03, { ex03Names } from '../../../src/exercises/ex03.ts'
import { exerciseContext } from '../../../src/exercises/context.ts'
import { ControlPlane } from '../../../src/control/plane.ts'
import { appSettings } from '../../../src/apps.ts'
import { notDone } from '../../../src/testing/exercises.ts'
import { adminSasl, kafkaCredentials, platformaticSasl, rdkafkaSasl, secretsDir } from '../../../src/security/kafka-auth.ts'
import { freeBrokerBase, isolatedSettings } from '../../../src/testing/stack-env.ts'
import { createCatalogTopics, deleteTestTopics, dropTestSchemas, readAllNow, readTopic, serviceEnv, testEnv, waitFor } from '../../../src/testing/saga-env.ts'
import { TEST_AUTH } from '../../../src/testing/auth.ts'
import { applyAcls, listAcls } from '../../../src/security/apply.ts'
import { adoptAdminLogin, kafkaLoginEnv } from '../../../src/security/client-login.ts'
import { freePort } from '../../../src/proc.ts'
import { EventProducer, KafkaReader, endOffsets, signToken } from '@vitrine/service-kit'
import type { TopicValues } from '@vitrine/contracts'
import pino from 'pino'
import { randomUUID } from 'node:crypto'

// KAFKA_AUTH=scram on a private broker (its own ports and state folder): SCRAM users made at format
// time, StandardAuthorizer with no default allow, the catalog's ACLs. Every service principal tries
// to write and to read every catalog topic, and the broker's answers must be exactly the catalog's.

const { ERR_TOPIC_AUTHORIZATION_FAILED: TOPIC_DENIED } = Kafka.CODES.ERRORS
// drill holds no standing ACL: the catalog makes it neither writer nor reader of anything; exercises
// (the checkers) reads every catalog topic and writes none.
const PRINCIPALS = [...SERVICES, REGISTRY_PRINCIPAL, DRILL_PRINCIPAL, EXERCISES_PRINCIPAL]

type Outcome = 'ok' | 'denied' | string

/** The broker's TOPIC_AUTHORIZATION_FAILED (a delivery report carries only its message, with code -1). */
function refused (err: { code?: number, message: string }): boolean {
  return err.code === TOPIC_DENIED || /^(Broker: )?topic authorization failed$/i.test(err.message)
}

async function connect<T extends Kafka.Producer | Kafka.KafkaConsumer> (client: T): Promise<T> {
  await new Promise<void>((resolve, reject) => client.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
  return client
}

async function disconnect (client: Kafka.Producer | Kafka.KafkaConsumer): Promise<void> {
  await new Promise<void>(resolve => client.disconnect(() => resolve()))
}

/** One record to each topic from `principal`; per topic: delivered, denied (TOPIC_AUTHORIZATION_FAILED) or another error. */
async function produceEach (bootstrap: string, sasl: Record<string, string>, topics: string[], value = (t: string) => `acl-test ${t}`): Promise<Map<string, Outcome>> {
  // Not idempotent: a principal that writes nothing (the gateway) could not get a producer id at all.
  const producer = await connect(new Kafka.Producer({ 'bootstrap.servers': bootstrap, ...sasl, dr_cb: true, 'linger.ms': 0 }, { 'request.required.acks': -1, 'message.timeout.ms': 15_000 }))
  producer.setPollInterval(10)
  try {
    const results = new Map<string, Outcome>()
    await new Promise<void>((resolve) => {
      const outcome = (topic: string, err: Kafka.LibrdKafkaError | null | undefined): void => {
        results.set(topic, err ? (refused(err) ? 'denied' : `error ${err.code}: ${err.message}`) : 'ok')
        if (results.size === topics.length) resolve()
      }
      producer.on('delivery-report', (err, report) => { outcome(String(report.opaque), err) })
      for (const topic of topics) {
        // Once librdkafka has the refusal of a topic's metadata, produce() throws it at once instead of
        // reporting it: which way a topic goes depends on how fast the broker answered, so both count.
        try {
          producer.produce(topic, null, Buffer.from(value(topic)), 'acl-test-key', Date.now(), topic)
        } catch (err) {
          outcome(topic, err as Kafka.LibrdKafkaError)
        }
      }
    })
    return results
  } finally {
    await disconnect(producer)
  }
}

/** A group id of the principal's own (acls.ts): assign() never joins it, but librdkafka looks its coordinator up. */
function ownGroup (principal: string): string {
  if (principal === 'connect') return 'connect'
  if (principal === REGISTRY_PRINCIPAL) return 'apicurio-acl-test'
  return `${principal}-acl-test`
}

/** A consumer of `principal`, connected (assign() never joins its group, but librdkafka looks the group's coordinator up). */
async function consumerOf (bootstrap: string, sasl: Record<string, string>, principal: string): Promise<Kafka.KafkaConsumer> {
  const consumer = await connect(new Kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, ...sasl, 'group.id': ownGroup(principal), 'enable.auto.commit': false, 'fetch.wait.max.ms': 50 }, {}))
  consumer.setDefaultConsumeTimeout(100)
  return consumer
}

/**
 * Per topic: its record read (ok), or refused (denied). A topic without READ is refused in one of two
 * ways: hidden from the principal's metadata (no DESCRIBE either, so no client of it ever fetches
 * it), or, where it may DESCRIBE (the gateway's console), its Fetch answered TOPIC_AUTHORIZATION_FAILED.
 * Each visible topic gets a consumer of its own: librdkafka's errors do not name their topic.
 */
async function readEach (bootstrap: string, sasl: Record<string, string>, principal: string, topics: string[]): Promise<Map<string, Outcome>> {
  const results = new Map<string, Outcome>()
  const probe = await consumerOf(bootstrap, sasl, principal)
  let visible: Set<string>
  try {
    const meta = await new Promise<Kafka.Metadata>((resolve, reject) => probe.getMetadata({ allTopics: true, timeout: 10_000 } as Kafka.MetadataOptions, (err, m) => (err ? reject(err) : resolve(m))))
    visible = new Set(meta.topics.map(t => t.name))
  } finally {
    await disconnect(probe)
  }
  for (const topic of topics.filter(t => !visible.has(t))) results.set(topic, 'denied')
  const queue = topics.filter(t => visible.has(t))
  // A few at a time: the gateway sees every topic.
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let topic = queue.shift(); topic !== undefined; topic = queue.shift()) results.set(topic, await readOne(bootstrap, sasl, principal, topic))
  }))
  return results
}

async function readOne (bootstrap: string, sasl: Record<string, string>, principal: string, topic: string): Promise<Outcome> {
  const consumer = await consumerOf(bootstrap, sasl, principal)
  try {
    const partitions = TOPICS.find(t => t.name === topic)!.partitions
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0 })))
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      try {
        const messages = await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(10, (err, m) => (err ? reject(err) : resolve(m))))
        if (messages.some(m => m.topic === topic)) return 'ok'
      } catch (err) {
        const e = err as { code?: number, message: string }
        return refused(e) ? 'denied' : `error ${e.code}: ${e.message}`
      }
    }
    return 'no answer in 10 s'
  } finally {
    await disconnect(consumer)
  }
}

/**
 * Joins `group` (subscribe) and reads `topic` until a record arrives, then commits it: ok, or denied
 * when the broker refuses the group (GROUP_AUTHORIZATION_FAILED) or the topic.
 */
async function joinAndRead (bootstrap: string, sasl: Record<string, string>, group: string, topic: string): Promise<Outcome> {
  const consumer = await connect(new Kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, ...sasl, 'group.id': group, 'enable.auto.commit': false, 'fetch.wait.max.ms': 50 }, { 'auto.offset.reset': 'earliest' }))
  const authz = (e: { code?: number, message: string }): boolean => refused(e) || e.code === Kafka.CODES.ERRORS.ERR_GROUP_AUTHORIZATION_FAILED || /authorization failed/i.test(e.message)
  // librdkafka may report a refused group as an error event rather than through consume().
  const failure: { outcome?: Outcome } = {}
  consumer.on('event.error', e => { if (authz(e)) failure.outcome = 'denied' })
  try {
    consumer.subscribe([topic])
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && failure.outcome === undefined) {
      try {
        const messages = await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(10, (err, m) => (err ? reject(err) : resolve(m))))
        const m = messages.find(r => r.topic === topic)
        if (m) {
          consumer.commitMessageSync(m)
          return 'ok'
        }
      } catch (err) {
        const e = err as { code?: number, message: string }
        return authz(e) ? 'denied' : `error ${e.code}: ${e.message}`
      }
    }
    return failure.outcome ?? 'no answer in 15 s'
  } catch (err) {
    const e = err as { code?: number, message: string }
    return authz(e) ? 'denied' : `error ${e.code}: ${e.message}`
  } finally {
    await disconnect(consumer)
  }
}

test('KAFKA_AUTH=scram: each principal writes and reads exactly what the catalog allows; a forged CONFIRM and a wrong password are refused', { timeout: 420_000 }, async t => {
  const s = isolatedSettings(t, await freeBrokerBase(), { kafkaAuth: 'scram' })
  await up(s, { only: ['kafka-1'], catalog: true })
  const bootstrap = bootstrapServers(s)
  const passwords = kafkaCredentials(s.stateDir)
  const sasl = (principal: string, password = passwords[principal]!): Record<string, string> => rdkafkaSasl('scram', principal, password)
  const names = TOPICS.map(t => t.name)

  await t.test('secrets stay the owner\'s: the passwords file, the admin tool config and server.properties', () => {
    assert.equal(statSync(secretsDir(s.stateDir)).mode & 0o777, 0o700)
    for (const file of [join(secretsDir(s.stateDir), 'kafka-users.json'), join(secretsDir(s.stateDir), 'kafka-admin.properties'), join(nodeDir(s, 0), 'server.properties')]) {
      assert.equal(statSync(file).mode & 0o777, 0o600, file)
    }
    const props = readFileSync(join(nodeDir(s, 0), 'server.properties'), 'utf8')
    assert.match(props, /^authorizer\.class\.name=org\.apache\.kafka\.metadata\.authorizer\.StandardAuthorizer$/m)
    assert.match(props, /^allow\.everyone\.if\.no\.acl\.found=false$/m)
    assert.match(props, /^super\.users=User:admin;User:controller$/m)
    assert.doesNotMatch(props, /:PLAINTEXT(,|$)/m, 'no listener is PLAINTEXT (no ANONYMOUS principal anywhere)')
  })

  await t.test('writes: allowed exactly for the catalog\'s writers', async () => {
    const outcomes = await Promise.all(PRINCIPALS.map(async p => [p, await produceEach(bootstrap, sasl(p), names)] as const))
    const wrong: string[] = []
    for (const [principal, results] of outcomes) {
      for (const spec of TOPICS) {
        const want = writersOf(spec).includes(principal as never) ? 'ok' : 'denied'
        if (results.get(spec.name) !== want) wrong.push(`${principal} → ${spec.name}: ${results.get(spec.name) ?? 'no report'} (catalog: ${want})`)
      }
    }
    assert.deepEqual(wrong, [])
  })

  await t.test('reads: allowed exactly for the catalog\'s readers (and the DLQ for who dead-letters)', async () => {
    const outcomes = await Promise.all(PRINCIPALS.map(async p => [p, await readEach(bootstrap, sasl(p), p, names)] as const))
    const wrong: string[] = []
    for (const [principal, results] of outcomes) {
      for (const spec of TOPICS) {
        const reader = (spec.readers as readonly string[]).includes(principal)
        // kit's DlqWatch reads the DLQ's oldest record in every service that may dead-letter.
        const dlqWatcher = spec.name === 'orders.dlq' && writersOf(spec).includes(principal as never)
        // The gateway's live feed shows every catalog topic; the exercises' checkers read the shop's events.
        const want = reader || dlqWatcher || principal === 'gateway' || principal === EXERCISES_PRINCIPAL ? 'ok' : 'denied'
        if (results.get(spec.name) !== want) wrong.push(`${principal} ← ${spec.name}: ${results.get(spec.name) ?? 'no answer'} (catalog: ${want})`)
      }
    }
    assert.deepEqual(wrong, [])
  })

  await t.test('the drill principal: a cluster formatted without it gains its user at up; refused on orders.new before the grant, allowed during, refused after the revoke, also when the drill\'s write fails', async () => {
    const admin = createAdmin(bootstrap, 'acl-test-drill', adminSasl(s))
    try {
      // A cluster formatted before `drill` joined the catalog: its user is missing until `up` adds it.
      await deleteScramUser(admin, DRILL_PRINCIPAL)
      await waitFor('drill\'s SCRAM user gone', async () => (await missingScramUsers(admin, [DRILL_PRINCIPAL])).length === 1 ? true : undefined, 10_000, 100)
      await up(s, { only: ['kafka-1'], catalog: true })
      assert.deepEqual(await missingScramUsers(admin), [], 'up left a SCRAM user of scramPrincipals() missing')

      const drill = sasl(DRILL_PRINCIPAL)
      assert.equal((await produceEach(bootstrap, drill, ['orders.new'])).get('orders.new'), 'denied', 'drill wrote orders.new without a grant')
      const rules = drillAcls('orders.new', 'acl-test')
      await grantDrill(admin, rules)
      try {
        // Only the granted topic.
        assert.deepEqual(Object.fromEntries(await produceEach(bootstrap, drill, ['orders.new', 'orders.confirmed'])), { 'orders.new': 'ok', 'orders.confirmed': 'denied' })
        // The drill's own writer (kit's idempotent producer) with the drill's login, as the chaos drill writes.
        const delivered = await produceOne(bootstrap, 'orders.new', 'acl-test-drill', Buffer.from('drill'), drillLogin(s))
        assert.equal(delivered.topic, 'orders.new')
        // A grant left behind (a plane killed mid-drill) is what `up` reports as an ACL the catalog does not derive.
        const report = await applyAcls(admin, deriveAcls())
        assert.deepEqual(report.extra.filter(r => r.principal === DRILL_PRINCIPAL).map(r => r.operation).sort(), ['DESCRIBE', 'WRITE'])
      } finally {
        await revokeDrill(admin, rules)
      }
      assert.equal((await produceEach(bootstrap, drill, ['orders.new'])).get('orders.new'), 'denied', 'drill still writes orders.new after the revoke')

      // The drill's wrapper: granted and revoked around the write, said in pt-BR, revoked when the write throws too.
      const notes: string[] = []
      await assert.rejects(withDrillGrant(s, bootstrap, 'orders.new', 'acl-test', text => notes.push(text), async security => {
        await produceOne(bootstrap, 'orders.new', 'acl-test-drill', Buffer.from('drill'), security)
        throw new Error('the drill failed after its write')
      }), /the drill failed after its write/)
      assert.match(notes[0] ?? '', /^ACL concedida a drill: WRITE \(e DESCRIBE\) em orders\.new/)
      assert.match(notes.at(-1) ?? '', /^ACL de drill revogada: WRITE em orders\.new/)
      assert.deepEqual((await listAcls(admin)).filter(r => r.principal === DRILL_PRINCIPAL), [], 'a grant of drill is left on the broker')
      assert.equal((await produceEach(bootstrap, drill, ['orders.new'])).get('orders.new'), 'denied')
    } finally {
      await revokeDrill(admin, drillAcls('orders.new', 'acl-test')).catch(() => {})
      await admin.close()
    }
  })

  await t.test('a forged orders.commands CONFIRM from checkout-api or the gateway is refused and nothing is appended', async () => {
    const admin = createAdmin(bootstrap, 'acl-test', adminSasl(s))
    try {
      await forged(admin)
    } finally {
      await admin.close()
    }
  })

  await t.test('the console\'s message browser: the gateway reads a scratch topic; Connect\'s own topics are refused, and the reader says so', async () => {
    const asAdmin = createAdmin(bootstrap, 'acl-test-browser', adminSasl(s))
    const scratch = 'rascunho-acl-test'
    const connectTopic = 'connect.configs'
    const reader = new KafkaReader(bootstrap, 'acl-test-browser', 'read_committed', sasl('gateway'))
    try {
      await asAdmin.createTopics({ topics: [scratch, connectTopic], partitions: 1, replicas: 1 })
      const written = await produceEach(bootstrap, sasl('admin'), [scratch, connectTopic])
      assert.deepEqual([written.get(scratch), written.get(connectTopic)], ['ok', 'ok'])
      const { records } = await reader.read([{ topic: scratch, partition: 0, offset: 0, until: 1 }], { timeoutMs: 15_000 })
      assert.equal(records.length, 1, 'the gateway read the scratch topic\'s record')
      // Never an empty page: the refusal is an error with its code (the browser shows it).
      await assert.rejects(reader.read([{ topic: connectTopic, partition: 0, offset: 0, until: 1 }], { timeoutMs: 15_000 }), (err: { code?: string }) => err.code === 'SHOP_ERR_KAFKA_READ_REFUSED')
    } finally {
      await reader.close()
      await asAdmin.deleteTopics({ topics: [scratch, connectTopic] }).catch(() => {})
      await asAdmin.close()
    }
  })

  await t.test('labs: the gateway creates, writes and reads a lab. topic and joins a lab. group, and reads the ACLs; another principal cannot', async () => {
    const topic = `${LAB_PREFIX}acl-test`
    const group = `${LAB_PREFIX}grupos.acl-test`
    const asGateway = createAdmin(bootstrap, 'acl-test-gateway', platformaticSasl('scram', 'gateway', passwords.gateway!))
    const asPayment = createAdmin(bootstrap, 'acl-test-payment', platformaticSasl('scram', 'payment', passwords.payment!))
    try {
      await assert.rejects(asPayment.createTopics({ topics: [`${LAB_PREFIX}acl-test-payment`], partitions: 1, replicas: 1 }), (err: Error) => /authoriz/i.test(JSON.stringify(err, Object.getOwnPropertyNames(err))), 'payment created a lab topic')
      await asGateway.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
      assert.equal((await produceEach(bootstrap, sasl('gateway'), [topic])).get(topic), 'ok')
      assert.equal((await produceEach(bootstrap, sasl('payment'), [topic])).get(topic), 'denied')
      assert.equal(await joinAndRead(bootstrap, sasl('gateway'), group, topic), 'ok')
      assert.equal(await joinAndRead(bootstrap, sasl('payment'), group, topic), 'denied')
      // The group alone, on a topic payment may read: still refused.
      assert.equal(await joinAndRead(bootstrap, sasl('payment'), group, 'orders.new'), 'denied')
      // The partitions lab grows its topics (ALTER); the gateway may not grow a catalog topic.
      await asGateway.createPartitions({ topics: [{ name: topic, count: 2 }] })
      await assert.rejects(asGateway.createPartitions({ topics: [{ name: 'orders.new', count: 4 }] }), (err: Error) => /authoriz/i.test(JSON.stringify(err, Object.getOwnPropertyNames(err))), 'the gateway grew a catalog topic')
      await asGateway.deleteGroups({ groups: [group] })
      await asGateway.deleteTopics({ topics: [topic] })
      // The Kafka page's ACL tab: the gateway reads the broker's ACLs (CLUSTER DESCRIBE), a service cannot.
      const seen = await listAcls(asGateway)
      assert.ok(seen.some(r => r.principal === 'checkout-api' && r.name === 'orders.confirmed' && r.operation === 'WRITE'), 'the gateway reads the ACLs')
      await assert.rejects(listAcls(asPayment), (err: Error) => /authoriz/i.test(JSON.stringify(err, Object.getOwnPropertyNames(err))), 'payment read the ACLs')
    } finally {
      await asGateway.close()
      await asPayment.close()
    }
  })

  async function forged (admin: ReturnType<typeof createAdmin>): Promise<void> {
    const ends = async (): Promise<number> => {
      const offsets = await admin.listOffsets({ topics: [{ name: 'orders.commands', partitions: [0, 1, 2].map(partitionIndex => ({ partitionIndex, timestamp: -1n })) }] })
      return offsets.flatMap(o => o.partitions).reduce((n, p) => n + Number(p.offset), 0)
    }
    const before = await ends()
    const confirm = JSON.stringify({ type: 'CONFIRM', orderId: 'forged-order' })
    for (const principal of ['checkout-api', 'gateway', 'payment']) {
      const r = await produceEach(bootstrap, sasl(principal), ['orders.commands'], () => confirm)
      assert.equal(r.get('orders.commands'), 'denied', `${principal} wrote an orders.commands CONFIRM`)
    }
    assert.equal(await ends(), before, 'a refused record was appended')
    // The orchestrator, its one writer, may.
    assert.equal((await produceEach(bootstrap, sasl('orchestrator'), ['orders.commands'], () => confirm)).get('orders.commands'), 'ok')
    assert.equal(await ends(), before + 1)
  }

  await t.test('a wrong SCRAM password fails authentication with a clear log line, and the client never connects', async () => {
    // librdkafka says why in its log (event_cb), not in connect()'s error ("broker transport failure").
    const producer = new Kafka.Producer({ 'bootstrap.servers': bootstrap, ...sasl('payment', 'not-the-password'), event_cb: true }, {})
    const lines: string[] = []
    producer.on('event.log', e => lines.push(e.message))
    const connected = await new Promise<void>((resolve, reject) => producer.connect({ timeout: 4000 }, err => (err ? reject(err) : resolve())))
      .then(() => 'connected', (err: Error) => `refused: ${err.message}`)
    assert.match(connected, /^refused/)
    assert.ok(lines.some(l => /SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/.test(l)), lines.join('\n'))
    if (producer.isConnected()) await disconnect(producer)
  })

  await t.test('a real service logs in as its own principal on a test prefix; with a wrong password it is unready, says who and why, and produces nothing', async () => {
    // The test's own clients (topics, ACLs, its producer and readers) log in as the admin, as every tool does.
    const saved = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_AUTH: process.env.KAFKA_AUTH, VITRINE_STATE_DIR: process.env.VITRINE_STATE_DIR }
    Object.assign(process.env, { KAFKA_BROKERS: bootstrap, KAFKA_AUTH: 'scram', VITRINE_STATE_DIR: s.stateDir })
    const undoLogin = adoptAdminLogin(s)
    const env = testEnv()
    const serde = new TopicSerde(env.registryUrl, env.prefix)
    const producer = new EventProducer(bootstrap, 'acl-test', pino({ level: 'silent' }))
    try {
      await createCatalogTopics(env)
      await producer.connect()
      const order = async (): Promise<string> => {
        const orderId = randomUUID()
        const value: TopicValues['orders.new'] = { eventId: randomUUID(), orderId, customerId: 'pay-ok', items: [{ productId: 'p-1', quantity: 1, unitPriceCents: 990 }], totalCents: 990, currency: 'BRL', deadlineAt: Date.now() + 60_000, channel: 'web', occurredAt: Date.now() }
        await producer.send({ topic: env.prefix + 'orders.new', key: orderId, value: await serde.encode('orders.new', value), headers: { [HEADERS.eventType]: 'orders.new', [HEADERS.producer]: 'acl-test', [HEADERS.sagaMode]: 'choreography', [HEADERS.correlationId]: orderId } })
        return orderId
      }
      const requested = (orderId: string) => (records: ReadonlyArray<{ key: string | null }>) => records.some(r => r.key === orderId)
      const paymentEnv = (password: string): Record<string, string> => serviceEnv(env, { ...kafkaLoginEnv(s, 'payment'), KAFKA_SASL_PASSWORD: password, PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 0, PAYMENT_FAILURE_RATE: 0 })

      // The service runs as its own process (infra does not import services; the dependency points the other way).
      const startPayment = async (password: string) => {
        const port = await freePort()
        const child = execa(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
          cwd: join(ROOT, 'services/payment'),
          env: { ...paymentEnv(password), LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1' },
          extendEnv: false,
          reject: false,
          all: true
        })
        return { child, port }
      }

      // Its own password: it reads orders.new and writes payments.requested (the catalog's ACLs under the test's prefix).
      const good = await startPayment(passwords.payment!)
      try {
        await waitFor('payment ready', async () => {
          const res = await fetch(`http://127.0.0.1:${good.port}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
          return res?.status === 200 ? true : undefined
        }, 30_000, 250)
        const first = await order()
        await readTopic(bootstrap, env.prefix + 'payments.requested', requested(first), 20_000)
      } finally {
        good.child.kill('SIGTERM')
        await good.child
      }

      // A wrong password: the process stays up, unready, and its log names the principal and the SASL failure.
      // An order it would charge at once, were it logged in.
      await order()
      const before = await endOffsets(bootstrap, [env.prefix + 'payments.requested'])
      const { child, port } = await startPayment('not-the-password')
      try {
        const body = await waitFor('payment unready with its SASL failure', async () => {
          const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
          const b = await res.json() as { status: string, checks: Record<string, { status: string, detail?: string }> }
          return res.status === 503 && /authentication failed/.test(b.checks.kafka?.detail ?? '') ? b : undefined
        }, 30_000, 250)
        assert.equal(body.status, 'fail')
        assert.match(body.checks.kafka!.detail!, /^kafka authentication failed for principal payment: SASL authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/)
        assert.equal(body.checks.consumers?.status, 'fail', 'its consumers are not running either')
        // It would have charged the second order by now (the first took well under this).
        await new Promise(resolve => setTimeout(resolve, 2000))
        assert.deepEqual(await endOffsets(bootstrap, [env.prefix + 'payments.requested']), before, 'nothing was produced')
      } finally {
        // Its log line was written at boot; a graceful stop would wait out librdkafka's pending connect.
        child.kill('SIGKILL')
        await child
      }
      const out = String((await child).all)
      const line = out.split('\n').find(l => l.includes('"level":50') && l.includes('kafka authentication failed for principal payment'))
      assert.ok(line, out.slice(-3000))
      assert.match(line, /"principal":"payment"/)
      assert.match(line, /invalid credentials with SASL mechanism SCRAM-SHA-512/)
      assert.doesNotMatch(out, /not-the-password/, 'the password is never logged')
    } finally {
      await producer.close()
      await deleteTestTopics(env).catch(() => {})
      await dropTestSchemas(env, ['payment'])
      undoLogin()
      for (const [k, v] of Object.entries(saved)) if (v === undefined) Reflect.deleteProperty(process.env, k); else process.env[k] = v
    }
  })

  await t.test('runbooks/07-seguranca.md, step by step with its own commands: checkout-api denied orders.confirmed (log, metric, the order kept in its outbox), granted, revoked, granted; its password rotated with no lost order', async t2 => {
    const saved = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_AUTH: process.env.KAFKA_AUTH, VITRINE_STATE_DIR: process.env.VITRINE_STATE_DIR }
    Object.assign(process.env, { KAFKA_BROKERS: bootstrap, KAFKA_AUTH: 'scram', VITRINE_STATE_DIR: s.stateDir })
    const undoLogin = adoptAdminLogin(s)
    const env = testEnv()
    const serde = new TopicSerde(env.registryUrl, env.prefix)
    const producer = new EventProducer(bootstrap, 'acl-drill', pino({ level: 'silent' }))
    const confirmed = env.prefix + 'orders.confirmed'
    // The runbook's commands, run as written (infra/bin/kafka logs in as the admin by itself); only the
    // address and the topic's test prefix differ from the classroom's localhost:9092 and orders.confirmed.
    const toolEnv = { ...process.env, VITRINE_STATE_DIR: s.stateDir, KAFKA_PORT: String(s.kafkaPort), KAFKA_AUTH: 'scram' }
    const kafka = async (...args: string[]): Promise<string> => {
      const r = await execa(join(ROOT, 'infra/bin/kafka'), args, { env: toolEnv, reject: false, all: true })
      assert.equal(r.exitCode, 0, `infra/bin/kafka ${args.join(' ')}: ${String(r.all)}`)
      return String(r.all)
    }
    const acl = (op: '--add' | '--remove') => ['acls', '--bootstrap-server', bootstrap, op, ...(op === '--remove' ? ['--force'] : []), '--allow-principal', 'User:checkout-api', '--operation', 'WRITE', '--topic', confirmed]
    const aclAdmin = createAdmin(bootstrap, 'acl-drill', adminSasl(s))
    // The tool returns once the controller committed; the broker's authorizer follows a moment later (apply.ts).
    const untilWrite = async (present: boolean): Promise<void> => {
      await waitFor(`checkout-api WRITE on ${confirmed} ${present ? 'granted' : 'revoked'} on the broker`, async () => {
        const has = (await listAcls(aclAdmin)).some(r => r.principal === 'checkout-api' && r.name === confirmed && r.operation === 'WRITE' && r.permission === 'ALLOW')
        return has === present ? true : undefined
      }, 10_000, 50)
    }
    const customerId = 'pay-ok'
    const productId = `drill-${randomUUID().slice(0, 8)}`
    let service: { child: ReturnType<typeof execa>, port: number, log: string[] } | undefined
    const startCheckout = async () => {
      const port = await freePort()
      // What the supervisor gives it: its own principal's password, read from <state>/secrets now.
      const child = execa(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        cwd: join(ROOT, 'services/checkout-api'),
        env: { ...serviceEnv(env, { ...kafkaLoginEnv(s, 'checkout-api'), ORDER_DEADLINE_MS: 600_000, DLQ_WATCH_MS: 600_000 }), LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1' },
        extendEnv: false,
        reject: false,
        all: true
      })
      const log: string[] = []
      child.all?.on('data', (chunk: Buffer) => log.push(String(chunk)))
      await waitFor('checkout-api ready', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
        return res?.status === 200 ? true : undefined
      }, 40_000, 200)
      return { child, port, log }
    }
    const stop = async (): Promise<string> => {
      const svc = service!
      service = undefined
      svc.child.kill('SIGTERM')
      await svc.child
      return svc.log.join('')
    }
    const auth = { authorization: `Bearer ${signToken(TEST_AUTH, { sub: customerId, role: 'customer' })}` }
    const placeOrder = async (): Promise<string> => {
      // The catalog replica follows products.catalog a moment after the service starts.
      let last = ''
      return await waitFor('an order accepted', async () => {
        const res = await fetch(`http://127.0.0.1:${service!.port}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ customerId, items: [{ productId, quantity: 1 }] }) })
        if (res.status === 202) return ((await res.json()) as { orderId: string }).orderId
        last = `${res.status} ${await res.text()}`
        return undefined
      }, 20_000, 200).catch((err: Error) => { throw new Error(`${err.message}; last answer: ${last}`) })
    }
    // inventory's part of the saga: the stock is reserved, so checkout-api confirms the order (orders.confirmed).
    const reserve = async (orderId: string): Promise<void> => {
      const value: TopicValues['inventory.reserved'] = { eventId: randomUUID(), orderId, customerId, items: [{ productId, quantity: 1 }], occurredAt: Date.now() }
      await producer.send({ topic: env.prefix + 'inventory.reserved', key: orderId, value: await serde.encode('inventory.reserved', value), headers: { [HEADERS.eventType]: 'inventory.reserved', [HEADERS.producer]: 'inventory', [HEADERS.sagaMode]: 'choreography', [HEADERS.correlationId]: orderId } })
    }
    const confirmedIds = async (): Promise<Set<string>> => new Set((await readAllNow(bootstrap, confirmed)).map(r => r.key ?? ''))
    const published = async (orderIds: string[]): Promise<void> => {
      await readTopic(bootstrap, confirmed, records => orderIds.every(id => records.some(r => r.key === id)), 15_000)
      const have = await confirmedIds()
      assert.deepEqual(orderIds.filter(id => !have.has(id)), [], 'orders.confirmed lacks these orders')
    }
    const refusals = async (): Promise<number> => {
      const body = await (await fetch(`http://127.0.0.1:${service!.port}/metrics`)).text()
      const line = body.split('\n').find(l => l.startsWith('vitrine_produce_errors_total{') && l.includes(`topic="${confirmed}"`) && l.includes('code="TOPIC_AUTHORIZATION_FAILED"') && l.includes('service="checkout-api"'))
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
    }
    const pendingInOutbox = async (): Promise<number> => {
      const body = await (await fetch(`http://127.0.0.1:${service!.port}/metrics`)).text()
      const line = body.split('\n').find(l => l.startsWith('vitrine_outbox_pending_records{'))
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1))
    }
    /** Confirmed in checkout-api, refused by the broker: counted, and its event kept in the outbox, not in the topic. */
    const deniedOnce = async (orderId: string, before: number): Promise<number> => {
      const after = await waitFor('TOPIC_AUTHORIZATION_FAILED counted in vitrine_produce_errors_total', async () => {
        const n = await refusals()
        return n > before ? n : undefined
      }, 15_000, 100)
      await waitFor('the confirmation waiting in the outbox', async () => (await pendingInOutbox()) >= 1 ? true : undefined, 5000, 100)
      assert.ok(!(await confirmedIds()).has(orderId), `${orderId} reached orders.confirmed while denied`)
      return after
    }
    try {
      await createCatalogTopics(env)
      await producer.connect()
      const product: TopicValues['products.catalog'] = { eventId: randomUUID(), productId, name: 'Caneca do exercício de ACL', priceCents: 1990, currency: 'BRL', active: true, version: 1, occurredAt: Date.now() }
      await producer.send({ topic: env.prefix + 'products.catalog', key: productId, value: await serde.encode('products.catalog', product), headers: { [HEADERS.eventType]: 'products.catalog', [HEADERS.producer]: 'inventory', [HEADERS.sagaMode]: 'choreography', [HEADERS.correlationId]: productId } })
      service = await startCheckout()

      await t2.test('the drill: deny, see it, grant, revoke', async () => {
        // Passo 1: the instructor takes the ACL away (a deploy that forgot it).
        await kafka(...acl('--remove'))
        await untilWrite(false)
        const first = await placeOrder()
        await reserve(first)
        let n = await deniedOnce(first, 0)
        // The refusal in the service's own log: the principal, the topic and the Kafka error's name.
        const line = service!.log.join('').split('\n').find(l => l.includes(`kafka refused a record for ${confirmed}: TOPIC_AUTHORIZATION_FAILED`))
        assert.ok(line, service!.log.join('').slice(-3000))
        assert.match(line, /"principal":"checkout-api"/)
        // Passo 2: the instructor grants it; the kept confirmation goes out by itself, and new ones too.
        await kafka(...acl('--add'))
        await untilWrite(true)
        const second = await placeOrder()
        await reserve(second)
        await published([first, second])
        // Passo 3: revoked, denied again.
        await kafka(...acl('--remove'))
        await untilWrite(false)
        const third = await placeOrder()
        await reserve(third)
        n = await deniedOnce(third, n)
        // Fim do exercício: the catalog's ACL back (the runbook runs passo 2's command again; here the
        // same ACL goes back through the Admin API, a JVM start saved); nothing was lost.
        await applyAcls(aclAdmin, deriveAcls({ prefix: env.prefix }).filter(r => r.principal === 'checkout-api' && r.name === confirmed))
        await untilWrite(true)
        await published([first, second, third])
        assert.ok(n >= 2)
      })

      await t2.test('rotation: make kafka-senha S=checkout-api, then restart it; no order lost', async () => {
        const old = kafkaCredentials(s.stateDir)['checkout-api']!
        const before = await placeOrder()
        await reserve(before)
        const r = await execa(process.execPath, ['--import', 'tsx', 'infra/src/security/rotate.ts', 'checkout-api'], { cwd: ROOT, env: toolEnv, reject: false, all: true })
        assert.equal(r.exitCode, 0, String(r.all))
        assert.match(String(r.all), /--alter --entity-type users --entity-name checkout-api --add-config SCRAM-SHA-512=\[iterations=8192,password=\*\*\*\]/)
        const fresh = kafkaCredentials(s.stateDir)['checkout-api']!
        assert.notEqual(fresh, old)
        assert.doesNotMatch(String(r.all), new RegExp(fresh), 'the new password is never printed')
        assert.equal(statSync(join(secretsDir(s.stateDir), 'kafka-users.json')).mode & 0o777, 0o600)
        // The broker takes the new password only; the running service keeps its open, authenticated connections.
        const login = async (password: string): Promise<boolean> => {
          const p = new Kafka.Producer({ 'bootstrap.servers': bootstrap, ...sasl('checkout-api', password), event_cb: true }, {})
          const ok = await new Promise<boolean>(resolve => {
            // A refused login shows in librdkafka's log at once; connect() itself waits out its timeout.
            p.on('event.log', e => { if (/SASL authentication error/.test(e.message)) resolve(false) })
            p.connect({ timeout: 4000 }, err => resolve(!err))
          })
          if (p.isConnected()) await disconnect(p)
          return ok
        }
        // The broker applies the change from its metadata log a moment after the tool returns.
        await waitFor('the old password refused', async () => (await login(old)) ? undefined : true, 15_000, 200)
        assert.ok(await login(fresh), 'the new password logs in')
        const during = await placeOrder()
        // Stopped for the restart (make restart S=checkout-api): inventory's reservation waits in Kafka for it.
        const out = await stop()
        await reserve(during)
        service = await startCheckout()
        const after = await placeOrder()
        await reserve(after)
        await published([before, during, after])
        assert.doesNotMatch(out + service.log.join(''), new RegExp(`${old}|${fresh}`), 'no password in the service\'s log')
      })
    } finally {
      if (service) await stop()
      await aclAdmin.close()
      await producer.close()
      await deleteTestTopics(env).catch(() => {})
      await dropTestSchemas(env, ['checkout'])
      undoLogin()
      for (const [k, v] of Object.entries(saved)) if (v === undefined) Reflect.deleteProperty(process.env, k); else process.env[k] = v
    }
  })

  await t.test('the exercises\' setups and checkers log in as the exercises principal: exercises 1 and 3 done as a student would, and nothing outside ex* created', async () => {
    // This process holds no Kafka login of its own here: a client of a setup or checker that forgot
    // the context's login would talk PLAINTEXT to a SASL listener and fail, not fall back to the admin.
    assert.equal(process.env.KAFKA_SECURITY_PROTOCOL ?? '', '')
    const plane = new ControlPlane({ stack: s, apps: appSettings(s, { only: [], env: {} }) })
    const ctx = exerciseContext(plane)
    const student = new EventProducer(bootstrap, 'ex-student', pino({ level: 'warn' }), undefined, { security: sasl('admin') })
    const kafkaTool = async (args: string[]): Promise<void> => {
      const r = await execa(join(ROOT, 'infra/bin/kafka'), args, { env: { ...process.env, VITRINE_STATE_DIR: s.stateDir }, reject: false, timeout: 60_000 })
      assert.equal(r.exitCode, 0, r.stderr)
    }
    try {
      assert.equal(ctx.security['sasl.username'], EXERCISES_PRINCIPAL)
      await student.connect()

      // Exercise 1: a keyed record, read and committed by ex01-leitor, then the answer pointing at it.
      const one = ex01Names(ctx)
      await ex01.setup(ctx)
      notDone(await ex01.check(ctx), /COM CHAVE/)
      const mine = await student.send({ topic: one.topic, key: 'aluno-ana', value: Buffer.from('olá, Kafka'), headers: {} })
      assert.equal(await joinAndRead(bootstrap, sasl('admin'), one.group, one.topic), 'ok')
      await student.send({ topic: one.topic, key: 'resposta', value: Buffer.from(`${mine.partition}:${mine.offset}`), headers: {} })
      const done1 = await ex01.check(ctx)
      assert.deepEqual(done1.missing, [])

      // Exercise 3: the setup writes 60 records and sets the group's offsets to 0; the student moves them to the end.
      const three = ex03Names(ctx)
      await ex03.setup(ctx)
      notDone(await ex03.check(ctx), /ainda está 60 registro\(s\) atrás/)
      await kafkaTool(['consumer-groups', '--bootstrap-server', bootstrap, '--group', three.group, '--topic', three.topic, '--reset-offsets', '--to-latest', '--execute'])
      const done3 = await ex03.check(ctx)
      assert.deepEqual(done3.missing, [])

      // Its Admin is the exercises principal's, not a super user's: nothing outside ex* is created, no catalog topic deleted.
      const admin = ctx.admin('ex-acl-test')
      try {
        await assert.rejects(admin.createTopics({ topics: ['scratch-exercises'], partitions: 1, replicas: 1 }), (err: Error) => /authoriz/i.test(JSON.stringify(err, Object.getOwnPropertyNames(err))), 'exercises created a topic outside ex*')
        await assert.rejects(admin.deleteTopics({ topics: ['orders.new'] }), (err: Error) => /authoriz/i.test(JSON.stringify(err, Object.getOwnPropertyNames(err))), 'exercises deleted a catalog topic')
      } finally {
        await admin.close().catch(() => {})
      }
    } finally {
      await student.close().catch(() => {})
      await ctx.close()
    }
  })

  await t.test('infra/bin/kafka logs in as the admin by itself: the README\'s commands work unchanged', async () => {
    const env = { ...process.env, VITRINE_STATE_DIR: s.stateDir }
    const acls = await execa(join(ROOT, 'infra/bin/kafka'), ['acls', '--bootstrap-server', bootstrap, '--list', '--topic', 'orders.commands'], { env, reject: false })
    assert.equal(acls.exitCode, 0, acls.stderr)
    assert.match(acls.stdout, /principal=User:orchestrator, host=\*, operation=WRITE, permissionType=ALLOW/)
    assert.match(acls.stdout, /principal=User:checkout-api, host=\*, operation=READ, permissionType=ALLOW/)
  })
})
