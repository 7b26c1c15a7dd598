import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { execa } from 'execa'
import { LAB_PREFIX } from '@vitrine/contracts'
import { ROOT, bootstrapServers } from '../../../src/settings.ts'
import { up } from '../../../src/stack.ts'
import { freeBrokerBase, isolatedSettings } from '../../../src/testing/stack-env.ts'
import { createCatalogTopics, deleteTestTopics, serviceEnv, testEnv, waitFor } from '../../../src/testing/saga-env.ts'
import { adoptAdminLogin, kafkaLoginEnv } from '../../../src/security/client-login.ts'
import { testInstructorHeaders } from '../../../src/testing/auth.ts'
import { freePort } from '../../../src/proc.ts'

// KAFKA_AUTH=scram with the real gateway (its own process, logged in as the gateway principal) on a
// private broker: the Kafka page's ACL tab reads the broker's ACLs through it, and the partitions lab
// creates, writes and grows its lab.* topic under the gateway's lab ACLs alone.

interface AclAnswer { authorizer: boolean, total: number, principals: Array<{ principal: string, acls: Array<{ resource: string, name: string, pattern: string, operation: string, permission: string, meaning: string }> }> }

test('KAFKA_AUTH=scram: the gateway shows the broker\'s ACLs by principal, and runs the partitions lab on its lab. ACLs', { timeout: 240_000 }, async t => {
  const s = isolatedSettings(t, await freeBrokerBase(), { kafkaAuth: 'scram' })
  await up(s, { only: ['kafka-1'], catalog: true })
  const saved = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_AUTH: process.env.KAFKA_AUTH, VITRINE_STATE_DIR: process.env.VITRINE_STATE_DIR }
  Object.assign(process.env, { KAFKA_BROKERS: bootstrapServers(s), KAFKA_AUTH: 'scram', VITRINE_STATE_DIR: s.stateDir })
  const undoLogin = adoptAdminLogin(s)
  const env = testEnv()
  const port = await freePort()
  let child: ReturnType<typeof execa> | undefined
  try {
    await createCatalogTopics(env)
    child = execa(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: join(ROOT, 'services/gateway'),
      env: { ...serviceEnv(env, kafkaLoginEnv(s, 'gateway')), LOG_LEVEL: 'warn', PORT: String(port), HOST: '127.0.0.1' },
      extendEnv: false,
      reject: false,
      all: true
    })
    const url = `http://127.0.0.1:${port}`
    await waitFor('the gateway up', async () => (await fetch(`${url}/health/live`).catch(() => undefined))?.status === 200 ? true : undefined, 60_000, 300)
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
  } finally {
    if (child) {
      child.kill('SIGTERM')
      const out = String((await child).all)
      assert.doesNotMatch(out, /AUTHORIZATION_FAILED/, 'the gateway was refused something')
    }
    await deleteTestTopics(env).catch(() => {})
    undoLogin()
    for (const [k, v] of Object.entries(saved)) if (v === undefined) Reflect.deleteProperty(process.env, k); else process.env[k] = v
  }
})
