import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadSettings } from '../../src/settings.ts'
import { serverProperties } from '../../src/kafka-node.ts'

function parse (text: string): Map<string, string> {
  return new Map(text.split('\n').filter(l => l && !l.startsWith('#')).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}

test('a single broker: KRaft combined mode with the teaching settings and replication 1', () => {
  const p = parse(serverProperties(loadSettings({ brokers: 1, kafkaPort: 9092, stateDir: '/tmp/state', kafkaAuth: 'none' }), 0))
  assert.equal(p.get('process.roles'), 'broker,controller')
  assert.equal(p.get('node.id'), '1')
  assert.match(p.get('listeners') ?? '', /^PLAINTEXT:\/\/localhost:9092,CONTROLLER:\/\/localhost:9093(,|$)/)
  assert.equal(p.get('controller.quorum.bootstrap.servers'), 'localhost:9093')
  assert.equal(p.get('auto.create.topics.enable'), 'false')
  assert.equal(p.get('group.initial.rebalance.delay.ms'), '0')
  assert.equal(p.get('default.replication.factor'), '1')
  assert.equal(p.get('min.insync.replicas'), '1')
  assert.equal(p.get('offsets.topic.replication.factor'), '1')
  assert.equal(p.get('log.dirs'), '/tmp/state/kafka/node-1/data')
})

test('three brokers: broker-only nodes beside one controller-only node (the quorum survives two brokers down), replication 3 and min.insync.replicas 2', () => {
  const s = loadSettings({ brokers: 3, kafkaPort: 19092, stateDir: '/tmp/state', kafkaAuth: 'none' })
  const nodes = [0, 1, 2].map(i => parse(serverProperties(s, i)))
  assert.deepEqual(nodes.map(p => p.get('node.id')), ['1', '2', '3'])
  assert.deepEqual(nodes.map(p => p.get('advertised.listeners')?.split(',')[0]), ['PLAINTEXT://localhost:19092', 'PLAINTEXT://localhost:19192', 'PLAINTEXT://localhost:19292'])
  const controller = parse(serverProperties(s, 'controller'))
  for (const p of [...nodes, controller]) {
    assert.equal(p.get('controller.quorum.bootstrap.servers'), 'localhost:19093')
    assert.equal(p.get('controller.listener.names'), 'CONTROLLER')
    // The controller creates the topics in KRaft: it applies the same defaults.
    assert.equal(p.get('default.replication.factor'), '3')
    assert.equal(p.get('min.insync.replicas'), '2')
    assert.equal(p.get('offsets.topic.replication.factor'), '3')
    assert.equal(p.get('transaction.state.log.min.isr'), '2')
  }
  for (const p of nodes) {
    assert.equal(p.get('process.roles'), 'broker')
    assert.ok(!(p.get('listeners') ?? '').includes('CONTROLLER://'), 'a broker-only node has no controller listener')
  }
  assert.equal(controller.get('process.roles'), 'controller')
  assert.equal(controller.get('node.id'), '0')
  assert.equal(controller.get('listeners'), 'CONTROLLER://localhost:19093')
  assert.equal(controller.get('advertised.listeners'), undefined)
  assert.equal(controller.get('log.dirs'), '/tmp/state/kafka/controller/data')
})

test('each broker has a listener per service advertised as that service\'s link proxy (links.ts), mapped to PLAINTEXT', () => {
  const s = loadSettings({ brokers: 3, kafkaPort: 19092, stateDir: '/tmp/state', kafkaAuth: 'none' })
  const p = parse(serverProperties(s, 1))
  // inventory is the third link slot: the broker listens at client + 12, advertises its proxy at client + 32.
  assert.ok(p.get('listeners')?.split(',').includes('LINK_INVENTORY://localhost:19204'))
  assert.ok(p.get('advertised.listeners')?.split(',').includes('LINK_INVENTORY://localhost:19224'))
  assert.ok(p.get('listener.security.protocol.map')?.split(',').includes('LINK_CHECKOUT_API:PLAINTEXT'))
  assert.equal(p.get('inter.broker.listener.name'), 'PLAINTEXT', 'brokers talk to each other directly, never through a link')
  const names = (p.get('listeners') ?? '').split(',').map(l => l.split(':')[0])
  assert.equal(new Set(names).size, names.length)
})
