import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { execa } from 'execa'
import pino from 'pino'
import { Admin } from '@platformatic/kafka'
import { HEADERS, LAB_PREFIX } from '@vitrine/contracts'
import { EventProducer, connect, readTopicNow } from '@vitrine/service-kit'
import { ROOT, bootstrapServers } from '../../../src/settings.ts'
import { up } from '../../../src/stack.ts'
import { freeBrokerBase, isolatedSettings } from '../../../src/testing/stack-env.ts'
import { createCatalogTopics, deleteTestTopics, serviceEnv, testEnv, waitFor } from '../../../src/testing/saga-env.ts'
import { adoptAdminLogin, kafkaLoginEnv } from '../../../src/security/client-login.ts'
import { testInstructorHeaders } from '../../../src/testing/auth.ts'
import { freePort } from '../../../src/proc.ts'
import { platformaticSasl } from '../../../src/security/kafka-auth.ts'
import { ControlPlane, controlSettings } from '../../../src/control/plane.ts'
import { electPreferredLeaders } from '../../../src/control/elect-leaders.ts'
import { startControlApi } from '../../../src/testing/control.ts'
import type { ControlApi } from '../../../src/testing/control.ts'

// KAFKA_AUTH=scram with the real gateway (its own process, logged in as the gateway principal) on a
// private broker: the Kafka page's ACL tab reads the broker's ACLs through it, and the partitions lab
// creates, writes and grows its lab.* topic under the gateway's lab ACLs alone. What the gateway's
// principal may not do (ElectLeaders needs CLUSTER ALTER; a DLQ replay writes to the shop's retry
// topic) it asks of the control plane, which does it as the admin: the replication lab's election
// and the DLQ page's reprocess succeed through it.

interface AclAnswer { authorizer: boolean, total: number, principals: Array<{ principal: string, acls: Array<{ resource: string, name: string, pattern: string, operation: string, permission: string, meaning: string }> }> }

test('KAFKA_AUTH=scram: the gateway shows the broker\'s ACLs by principal, runs the partitions lab on its lab. ACLs, and has the election and a DLQ replay done by the control plane as the admin', { timeout: 360_000 }, async t => {
  const s = isolatedSettings(t, await freeBrokerBase(), { kafkaAuth: 'scram' })
  await up(s, { only: ['kafka-1'], catalog: true })
  const saved = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_AUTH: process.env.KAFKA_AUTH, VITRINE_STATE_DIR: process.env.VITRINE_STATE_DIR }
  Object.assign(process.env, { KAFKA_BROKERS: bootstrapServers(s), KAFKA_AUTH: 'scram', VITRINE_STATE_DIR: s.stateDir })
  const undoLogin = adoptAdminLogin(s)
  const env = testEnv()
  const port = await freePort()
  let child: ReturnType<typeof execa> | undefined
  let control: ControlApi | undefined
  let finished = false
  try {
    await createCatalogTopics(env)
    // The control plane over this broker and the test's shop (its prefix, the shared database), in
    // this process: logged in as the admin (adoptAdminLogin above, and adminSasl for its Admin).
    control = await startControlApi(new ControlPlane(controlSettings(s, { only: [], env: serviceEnv(env) })))
    child = execa(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: join(ROOT, 'services/gateway'),
      env: { ...serviceEnv(env, kafkaLoginEnv(s, 'gateway')), CONTROL_URL: control.url, LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1' },
      extendEnv: false,
      reject: false,
      all: true
    })
    const url = `http://127.0.0.1:${port}`
    await waitFor('the gateway up', async () => (await fetch(`${url}/health/live`).catch(() => undefined))?.status === 200 ? true : undefined, 120_000, 300)
    const instructor = testInstructorHeaders()

    const res = await fetch(`${url}/api/acls`, { headers: instructor })
    assert.equal(res.status, 200, await res.clone().text())
    const body = await res.json() as AclAnswer
    assert.equal(body.authorizer, true)
    assert.equal(body.total, body.principals.reduce((n, p) => n + p.acls.length, 0))
    const of = (principal: string) => body.principals.find(p => p.principal === principal)?.acls ?? []
    const write = of('checkout-api').find(a => a.resource === 'TOPIC' && a.name === 'orders.confirmed' && a.operation === 'WRITE')
    assert.equal(write?.meaning, 'publica mensagens (Produce) — tópico orders.confirmed')
    const lab = of('gateway').find(a => a.resource === 'TOPIC' && a.name === LAB_PREFIX && a.pattern === 'PREFIXED' && a.operation === 'WRITE')
    assert.match(lab?.meaning ?? '', /todo tópico cujo nome começa com lab\./)
    assert.ok(of('gateway').some(a => a.permission === 'DENY' && a.name === 'orders.new' && /^NEGADO/.test(a.meaning)), 'the DENY on deleting a catalog topic is shown')
    assert.ok(!body.principals.some(p => p.principal === 'admin'), 'the admin is a super user: no ACL of its own')

    // The partitions lab, as the gateway principal: create, write, grow, delete its lab topic.
    const post = async (path: string, payload: unknown): Promise<Response> => await fetch(`${url}/api/lab/particoes${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...instructor }, body: JSON.stringify(payload) })
    const created = await post('/topics', { name: 'acl-full', partitions: 3 })
    assert.equal(created.status, 201, await created.clone().text())
    assert.equal((await created.json() as { topic: string }).topic, `${env.prefix}${LAB_PREFIX}particoes.acl-full`)
    const sent = await post('/topics/acl-full/messages', { keys: ['cliente-1', 'cliente-2'] })
    assert.equal(sent.status, 200, await sent.clone().text())
    const grown = await post('/topics/acl-full/partitions', { partitions: 6 })
    assert.equal(grown.status, 200, await grown.clone().text())
    const deleted = await fetch(`${url}/api/lab/particoes/topics/acl-full`, { method: 'DELETE', headers: instructor })
    assert.ok(deleted.status < 300, await deleted.text())

    // The gateway's principal itself is refused an election (no CLUSTER ALTER: it would let it grant itself ACLs)...
    const login = kafkaLoginEnv(s, 'gateway')
    const asGateway = new Admin({ clientId: 'acl-full-gateway', bootstrapBrokers: bootstrapServers(s).split(','), sasl: platformaticSasl('scram', 'gateway', login.KAFKA_SASL_PASSWORD!)! })
    try {
      await assert.rejects(electPreferredLeaders(asGateway, [`${env.prefix}orders.new`]), /CLUSTER_AUTHORIZATION_FAILED/)
    } finally {
      await asGateway.close().catch(() => {})
    }
    // ...so the replication lab's button goes through the control plane: one broker, every partition already on its leader.
    const election = await fetch(`${url}/api/lab/replicacao/elect-preferred`, { method: 'POST', headers: instructor })
    assert.equal(election.status, 200, await election.clone().text())
    const elected = await election.json() as { elected: unknown[], notNeeded: number, failed: unknown[] }
    assert.deepEqual([elected.elected, elected.failed], [[], []])
    assert.ok(elected.notNeeded >= 20, `${elected.notNeeded} partitions answered`)

    // The DLQ page's reprocess: the control plane writes the dead letter back to the retry topic, once.
    const dlq = `${env.prefix}orders.dlq`
    const producer = new EventProducer(env.brokers, 'acl-full-dlq', pino({ level: 'silent' }))
    await producer.connect()
    const dead = await producer.send({ topic: dlq, key: `dlq-${env.id}`, value: Buffer.from('x'), headers: { [HEADERS.originalTopic]: `${env.prefix}orders.new`, [HEADERS.error]: 'boom', [HEADERS.attempts]: '4', [HEADERS.failedBy]: 'payment/payment' } })
    await producer.close()
    const sql = connect(env.databaseUrl, 'vitrine_ops', 1)
    try {
      const replay = async (): Promise<Response> => await fetch(`${url}/api/dlq/replay`, { method: 'POST', headers: { 'content-type': 'application/json', ...instructor }, body: JSON.stringify({ offsets: [dead.offset] }) })
      const first = await replay()
      assert.equal(first.status, 200, await first.clone().text())
      assert.deepEqual((await first.json() as { sent: Array<{ offset: number }> }).sent.map(i => i.offset), [dead.offset])
      const again = await replay()
      assert.deepEqual((await again.json() as { alreadyReplayed: Array<{ offset: number }> }).alreadyReplayed.map(i => i.offset), [dead.offset], 'the ledger sends it once')
      const retried = (await readTopicNow(env.brokers, `${env.prefix}orders.retry.5s`)).filter(r => r.key === `dlq-${env.id}`)
      assert.equal(retried.length, 1)
      assert.equal(retried[0]!.headers[HEADERS.retryGroup], 'payment')
    } finally {
      await sql`delete from vitrine_ops.dlq_replays where dlq_topic = ${dlq}`.catch(() => {})
      await sql.end({ timeout: 5 })
    }
    finished = true
  } finally {
    if (child) {
      child.kill('SIGTERM')
      const out = String((await child).all)
      assert.doesNotMatch(out, /AUTHORIZATION_FAILED/, 'the gateway was refused something')
      if (!finished) console.error(`the gateway's log:\n${out.slice(-4000)}`)
    }
    await control?.close()
    await deleteTestTopics(env).catch(() => {})
    undoLogin()
    for (const [k, v] of Object.entries(saved)) if (v === undefined) Reflect.deleteProperty(process.env, k); else process.env[k] = v
  }
})
