import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Admin } from '@platformatic/kafka'
import { KafkaReader } from '@vitrine/service-kit'
import type { ReplicationElection, ReplicationLabState } from '../../src/wire.ts'
import replicacao from '../../src/routes/api/lab/replicacao.ts'
import { gatewayHarness, routesOverControl } from './helper.ts'

// The replication lab's routes against the shared 1-broker stack: the state is the cluster's (the
// leaders it counts are the metadata's, the quorum DescribeQuorum's), everything that needs three
// brokers answers 409 with the way to start them, and bad input is a 400 or 404 naming the field.
// The preferred-leader election goes through the control plane (the real one, over a test shop of
// its own), which sends it as the Kafka admin.
// The shared broker is never stopped: with 3 brokers the routes run in web/test/full/lab-replicacao-3.test.ts.

// No control plane here (the test must not reach the demo's): the lab falls back to the metadata.
const h = gatewayHarness({ CONTROL_URL: 'http://127.0.0.1:9', CONTROL_TIMEOUT_MS: 1000 })
const BASE = '/api/lab/replicacao'

async function api (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await h.app.inject({ method: method as 'GET', url: path, ...(body !== undefined ? { payload: body as object } : {}) })
  return { status: res.statusCode, body: res.body ? res.json() : null }
}

const fieldRule = (body: any): [string, string] => [body.errors?.[0]?.field, body.errors?.[0]?.rule]

test('GET /state on one broker: the metadata\'s broker and leader counts, the combined node leading its own quorum, and how to start three', { timeout: 30_000 }, async () => {
  const r = await api('GET', `${BASE}/state`)
  assert.equal(r.status, 200, JSON.stringify(r.body))
  const s = r.body as ReplicationLabState
  // node-rdkafka's metadata, as the gateway reads it for the console: Kafka's internal topics included.
  const meta = await h.app.kafkaReader.metadata()
  assert.equal(s.brokerCount, meta.brokers.length)
  assert.equal(s.ready, false)
  assert.match(s.hint ?? '', /make demo BROKERS=3/)
  assert.deepEqual(s.brokers.map(b => b.id), meta.brokers.map(b => b.id).sort((a, b) => a - b))
  const broker = s.brokers[0]!
  assert.equal(broker.registered, true)
  assert.equal(broker.running, null, 'no control plane: whether its process runs is unknown, not guessed')
  // Every partition of the cluster has its one replica on this broker and is led by it.
  const partitions = meta.topics.reduce((n, t) => n + t.partitions.length, 0)
  assert.ok(meta.topics.some(t => t.name === '__consumer_offsets'), 'the internal topics are counted too')
  assert.ok(partitions > 0)
  assert.equal(s.partitions, partitions)
  assert.equal(broker.leaders, partitions)
  assert.equal(broker.replicas, partitions)
  assert.equal(s.underReplicatedCount, 0)
  assert.equal(s.offline, 0)
  // One combined node: it is the quorum's one voter and its leader, not a separate controller.
  assert.equal(s.quorum.error, null)
  assert.equal(s.quorum.leaderId, broker.id)
  assert.deepEqual(s.quorum.voters, [broker.id])
  assert.equal(s.quorum.separate, false)
  assert.equal(s.topic.name, `${h.env.prefix}lab.replicacao`)
  assert.equal(s.topic.exists, false)
  assert.deepEqual(s.producer, { running: false, topic: null, sent: 0, acked: 0, failed: 0, recent: [] })
})

test('what needs three brokers answers 409 with the hint; the shared broker is never stopped', { timeout: 30_000 }, async () => {
  for (const [method, path, body] of [
    ['POST', `${BASE}/topic`, {}],
    ['PUT', `${BASE}/producer`, { running: true }],
    ['POST', `${BASE}/brokers/1/stop`, undefined]
  ] as const) {
    const r = await api(method, path, body)
    assert.equal(r.status, 409, `${method} ${path}: ${JSON.stringify(r.body)}`)
    assert.equal(r.body.code, 'SHOP_ERR_LAB_NEEDS_THREE_BROKERS', `${method} ${path}`)
    assert.match(r.body.details.hint, /make demo BROKERS=3/)
  }
  assert.equal((await h.app.kafkaConsole.admin.metadata({ topics: [], forceUpdate: true })).brokers.size, 1, 'the shared broker still answers')
  assert.equal((await api('GET', `${BASE}/state`)).body.topic.exists, false, 'nothing was created')
})

test('the preferred-leader election without the control plane (it sends ElectLeaders as the Kafka admin): 502 saying to start it with make demo', { timeout: 30_000 }, async () => {
  const r = await api('POST', `${BASE}/elect-preferred`)
  assert.equal(r.status, 502, JSON.stringify(r.body))
  assert.equal(r.body.code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
  assert.match(r.body.details.hint, /make demo/)
  assert.doesNotMatch(JSON.stringify(r.body), /127\.0\.0\.1:9/, 'the address stays inside the gateway')
})

test('the preferred-leader election through the control plane: on one broker every partition of the cluster already is on its preferred leader, and the answer says so', { timeout: 60_000 }, async t => {
  const { app, shop } = await routesOverControl(t, replicacao, {
    given: shop => {
      const admin = new Admin({ clientId: 'gateway-test', bootstrapBrokers: shop.env.brokers.split(',') })
      const reader = new KafkaReader(shop.env.brokers, 'gateway-test')
      t.after(async () => { await reader.close(); await admin.close() })
      return { kafkaConsole: { admin }, kafkaReader: reader }
    }
  })
  const r = await app.inject({ method: 'POST', url: '/elect-preferred' })
  assert.equal(r.statusCode, 200, r.body)
  const e = r.json() as ReplicationElection
  assert.deepEqual(e.elected, [], 'one replica per partition: no leader can move')
  // Other tests create and delete topics meanwhile: the shop's own partitions are counted for sure.
  const mine = (await h.app.kafkaReader.metadata()).topics.filter(t => t.name.startsWith(shop.env.prefix)).reduce((n, t) => n + t.partitions.length, 0)
  assert.ok(mine > 0)
  assert.ok(e.notNeeded >= mine, `${e.notNeeded} partitions said not needed, the shop alone has ${mine}`)
  assert.deepEqual(e.failed.filter(f => f.topic.startsWith(shop.env.prefix)), [], 'none of the shop\'s partitions failed')
  assert.ok(e.failed.length === 0, `failed: ${JSON.stringify(e.failed.slice(0, 5))}`)
})

test('bad input: an unknown broker is a 404 naming params.id, malformed ids, actions and topics are 400s naming field and rule', { timeout: 30_000 }, async () => {
  const missing = await api('POST', `${BASE}/brokers/7/stop`)
  assert.equal(missing.status, 404, JSON.stringify(missing.body))
  assert.equal(missing.body.code, 'SHOP_ERR_BROKER_NOT_FOUND')
  assert.match(missing.body.message, /params\.id.*no broker 7/)
  assert.deepEqual(missing.body.details.known, [1])

  const cases: Array<[string, string, unknown, string, string]> = [
    ['POST', `${BASE}/brokers/abc/stop`, undefined, 'params.id', 'type'],
    ['POST', `${BASE}/brokers/-1/start`, undefined, 'params.id', 'minimum'],
    ['POST', `${BASE}/brokers/2/reboot`, undefined, 'params.action', 'const'],
    ['GET', `${BASE}/state?topic=orders.new`, undefined, 'querystring.topic', 'pattern'],
    ['POST', `${BASE}/topic`, { topic: 'orders.new' }, 'body.topic', 'pattern'],
    ['PUT', `${BASE}/producer`, { running: 'yes' }, 'body.running', 'type'],
    ['PUT', `${BASE}/producer`, {}, 'body.running', 'required']
  ]
  for (const [method, path, body, field, rule] of cases) {
    const r = await api(method, path, body)
    assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`)
    assert.equal(r.body.code, 'SHOP_ERR_VALIDATION', `${method} ${path}`)
    const [f, ru] = fieldRule(r.body)
    assert.equal(f, field, `${method} ${path}: ${JSON.stringify(r.body.errors)}`)
    assert.equal(ru, rule, `${method} ${path}: ${JSON.stringify(r.body.errors)}`)
  }

  const absent = await api('DELETE', `${BASE}/topic`)
  assert.equal(absent.status, 404)
  assert.equal(absent.body.code, 'SHOP_ERR_TOPIC_NOT_FOUND')
})
