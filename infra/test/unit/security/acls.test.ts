import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DLQ_TOPIC, LAB_PREFIX, SERVICES, TOPICS, writersOf } from '@vitrine/contracts'
import { ADMIN_PRINCIPAL, DRILL_PRINCIPAL, EXERCISES_PRINCIPAL, EXERCISE_PREFIX, REGISTRY_PRINCIPAL, REGISTRY_TOPICS, allowed, deriveAcls, drillAcls, prefixOnlyAcls, scramPrincipals } from '../../../src/security/acls.ts'

// The ACLs derived from the catalog, checked against the catalog itself: who writes and reads each topic.

const rules = deriveAcls()

test('every service may write exactly the topics the catalog names it a writer of', () => {
  for (const service of SERVICES) {
    for (const spec of TOPICS) {
      const writer = writersOf(spec).includes(service)
      assert.equal(allowed(rules, service, 'TOPIC', spec.name, 'WRITE'), writer, `${service} WRITE ${spec.name}`)
    }
  }
})

test('every service may read exactly the topics the catalog names it a reader of, plus the DLQ when it dead-letters (the gateway\'s live feed: every topic)', () => {
  for (const service of SERVICES) {
    for (const spec of TOPICS) {
      const reader = (spec.readers as readonly string[]).includes(service)
      // kit's DlqWatch: a service that may dead-letter reads the DLQ's oldest record.
      const watchesDlq = spec.name === DLQ_TOPIC && writersOf(spec).includes(service)
      // The gateway's live feed follows every catalog topic (retry tiers and CDC included).
      assert.equal(allowed(rules, service, 'TOPIC', spec.name, 'READ'), reader || watchesDlq || service === 'gateway', `${service} READ ${spec.name}`)
      // DESCRIBE comes with either; a service that neither reads nor writes a topic cannot even see it (the gateway's console sees all).
      const sees = reader || watchesDlq || writersOf(spec).includes(service) || service === 'gateway'
      assert.equal(allowed(rules, service, 'TOPIC', spec.name, 'DESCRIBE'), sees, `${service} DESCRIBE ${spec.name}`)
    }
  }
})

test('a forged orchestration command: only the orchestrator may write orders.commands', () => {
  const writers = SERVICES.filter(s => allowed(rules, s, 'TOPIC', 'orders.commands', 'WRITE'))
  assert.deepEqual(writers, ['orchestrator'])
  assert.ok(!allowed(rules, 'checkout-api', 'TOPIC', 'orders.confirmed', 'READ'), 'checkout-api writes orders.confirmed, it does not read it')
})

test('groups: each service its own group and suffixed copies, nobody else\'s', () => {
  assert.ok(allowed(rules, 'payment', 'GROUP', 'payment', 'READ'))
  assert.ok(allowed(rules, 'payment', 'GROUP', 'payment-t1a2b3c4d', 'READ'), 'a test suffix')
  assert.ok(allowed(rules, 'checkout-api', 'GROUP', 'checkout-api-catalog', 'READ'), 'the catalog replica')
  assert.ok(allowed(rules, 'sales-counter', 'GROUP', 'sales-counter-restore-3f2c', 'READ'), 'a reader with a uuid')
  assert.ok(!allowed(rules, 'payment', 'GROUP', 'inventory', 'READ'))
  assert.ok(!allowed(rules, 'payment', 'GROUP', 'paymentx', 'READ'), 'a prefix is the name and a dash, not any continuation')
  assert.ok(!allowed(rules, 'inventory', 'GROUP', 'checkout-api', 'READ'))
  assert.ok(allowed(rules, 'connect', 'GROUP', 'connect', 'READ'))
  assert.ok(!allowed(rules, 'connect', 'GROUP', 'payment', 'READ'))
})

test('transactional ids: sales-counter and the Flink jobs only, each under its own prefix', () => {
  assert.ok(allowed(rules, 'sales-counter', 'TRANSACTIONAL_ID', 'sales-counter-1', 'WRITE'))
  assert.ok(allowed(rules, 'streams', 'TRANSACTIONAL_ID', 'vitrine-order_kpis-0-12', 'WRITE'))
  for (const s of SERVICES.filter(s => s !== 'sales-counter' && s !== 'streams')) {
    assert.ok(!allowed(rules, s, 'TRANSACTIONAL_ID', 'sales-counter-1', 'WRITE'), s)
    assert.ok(!allowed(rules, s, 'TRANSACTIONAL_ID', 'vitrine-order_kpis', 'WRITE'), s)
  }
})

test('the registry alone touches its storage topics; the gateway cannot delete a catalog, registry or Connect topic', () => {
  for (const name of REGISTRY_TOPICS) {
    assert.ok(allowed(rules, REGISTRY_PRINCIPAL, 'TOPIC', name, 'WRITE'), name)
    for (const s of SERVICES) assert.ok(!allowed(rules, s, 'TOPIC', name, 'WRITE') && !allowed(rules, s, 'TOPIC', name, 'READ'), `${s} ${name}`)
  }
  assert.ok(!allowed(rules, REGISTRY_PRINCIPAL, 'TOPIC', 'orders.new', 'READ'))
  // Each Apicurio instance's own group, apicurio-<uuid>.
  assert.ok(allowed(rules, REGISTRY_PRINCIPAL, 'GROUP', 'apicurio-bd00a197', 'READ'))
  assert.ok(!allowed(rules, 'payment', 'GROUP', 'apicurio-bd00a197', 'READ'))
  assert.ok(allowed(rules, 'gateway', 'TOPIC', 'rascunho', 'CREATE'))
  assert.ok(allowed(rules, 'gateway', 'TOPIC', 'rascunho', 'DELETE'))
  for (const name of ['orders.new', 'kafkasql-journal', 'connect.offsets']) assert.ok(!allowed(rules, 'gateway', 'TOPIC', name, 'DELETE'), name)
  // A DENY of DELETE does not take DESCRIBE away.
  assert.ok(allowed(rules, 'gateway', 'TOPIC', 'orders.new', 'DESCRIBE'))
  assert.ok(!allowed(rules, 'payment', 'TOPIC', 'rascunho', 'CREATE'))
})

test('labs: the gateway alone creates, writes, reads, grows and deletes lab.* topics and joins lab.* groups, under the run\'s prefix', () => {
  const topic = `${LAB_PREFIX}particoes.aula-1`
  const group = `${LAB_PREFIX}grupos.classic.ab12cd`
  for (const op of ['CREATE', 'WRITE', 'READ', 'ALTER', 'DELETE', 'DESCRIBE_CONFIGS'] as const) assert.ok(allowed(rules, 'gateway', 'TOPIC', topic, op), op)
  for (const op of ['READ', 'DESCRIBE', 'DELETE'] as const) assert.ok(allowed(rules, 'gateway', 'GROUP', group, op), op)
  for (const s of SERVICES.filter(s => s !== 'gateway')) {
    assert.ok(!allowed(rules, s, 'TOPIC', topic, 'WRITE') && !allowed(rules, s, 'TOPIC', topic, 'READ'), s)
    assert.ok(!allowed(rules, s, 'GROUP', group, 'READ'), s)
  }
  // Lab rights stop at the prefix: WRITE and ALTER on a catalog or scratch topic stay refused.
  assert.ok(!allowed(rules, 'gateway', 'TOPIC', 'orders.confirmed', 'WRITE'))
  assert.ok(!allowed(rules, 'gateway', 'TOPIC', 'orders.confirmed', 'ALTER'))
  assert.ok(!allowed(rules, 'gateway', 'TOPIC', 'labx', 'WRITE'))
  assert.ok(!allowed(rules, 'gateway', 'GROUP', 'payment', 'READ'))
  const prefixed = deriveAcls({ prefix: 't1a2b3c4d.' })
  assert.ok(allowed(prefixed, 'gateway', 'TOPIC', `t1a2b3c4d.${topic}`, 'WRITE'))
  assert.ok(allowed(prefixed, 'gateway', 'GROUP', `t1a2b3c4d.${group}`, 'READ'))
})

test('exercises: its own ex* topics and groups in full; the shop\'s topics read, never written; the services\' groups described, never joined', () => {
  const e = EXERCISES_PRINCIPAL
  for (const op of ['CREATE', 'DELETE', 'READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'] as const) {
    assert.ok(allowed(rules, e, 'TOPIC', 'ex12.precos', op), `ex12.precos ${op}`)
  }
  for (const op of ['READ', 'DESCRIBE', 'DELETE'] as const) assert.ok(allowed(rules, e, 'GROUP', 'ex03-relatorios-t1a2b3c4d', op), `ex03 group ${op}`)
  for (const spec of TOPICS) {
    assert.ok(allowed(rules, e, 'TOPIC', spec.name, 'READ'), `exercises READ ${spec.name}`)
    for (const op of ['WRITE', 'DELETE', 'CREATE', 'ALTER_CONFIGS'] as const) assert.ok(!allowed(rules, e, 'TOPIC', spec.name, op), `exercises ${op} ${spec.name}`)
    // The prefix names the exercises' own topics only: nothing of the catalog starts with it.
    assert.ok(!spec.name.startsWith(EXERCISE_PREFIX), spec.name)
  }
  assert.ok(allowed(rules, e, 'GROUP', 'payment-t1a2b3c4d', 'DESCRIBE'), 'exercise 4 reads payment\'s committed offsets')
  assert.ok(!allowed(rules, e, 'GROUP', 'payment', 'READ'), 'it never joins (or moves) a service\'s group')
  for (const s of SERVICES) assert.ok(!s.startsWith(EXERCISE_PREFIX), s)
  for (const name of [...REGISTRY_TOPICS, 'connect.configs', 'lab.x', 'scratch']) assert.ok(!allowed(rules, e, 'TOPIC', name, 'READ'), `exercises READ ${name}`)
  assert.ok(!allowed(rules, e, 'TRANSACTIONAL_ID', 'sales-counter-1', 'WRITE'))
  // Under a test prefix its topics move with it.
  const prefixed = deriveAcls({ prefix: 't1a2b3c4d.' })
  assert.ok(allowed(prefixed, e, 'TOPIC', 't1a2b3c4d.ex01.mensagens', 'CREATE'))
  assert.ok(!allowed(prefixed, e, 'TOPIC', 'ex01.mensagens', 'CREATE'))
})

test('a test prefix moves topics, Connect and the transactional ids, never widens them', () => {
  const prefixed = deriveAcls({ prefix: 't1a2b3c4d.' })
  assert.ok(allowed(prefixed, 'checkout-api', 'TOPIC', 't1a2b3c4d.orders.new', 'WRITE'))
  assert.ok(!allowed(prefixed, 'checkout-api', 'TOPIC', 'orders.new', 'WRITE'))
  assert.ok(!allowed(prefixed, 'checkout-api', 'TOPIC', 't9.orders.new', 'WRITE'))
  assert.ok(allowed(prefixed, 'sales-counter', 'TRANSACTIONAL_ID', 't1a2b3c4d.sales-counter-1-t1a2b3c4d', 'WRITE'))
  assert.ok(allowed(prefixed, 'connect', 'TOPIC', 't1a2b3c4d.connect.offsets', 'CREATE'))
  assert.ok(!allowed(prefixed, 'gateway', 'TOPIC', 't1a2b3c4d.orders.new', 'DELETE'))
  // What a test grants and revokes: only names under its prefix, nothing the stack itself needs.
  const own = prefixOnlyAcls('t1a2b3c4d.')
  assert.ok(own.length > 0)
  for (const r of own) assert.ok(r.name.startsWith('t1a2b3c4d.') || r.name === 'vitrine-t1a2b3c4d.', `${r.principal} ${r.resource} ${r.name}`)
  assert.deepEqual(prefixOnlyAcls(''), [])
})

test('principals: one SCRAM user per service, the registry, the drills\', the exercises\' and the admin; only the admin is super, and only the gateway has wildcards', () => {
  assert.deepEqual(scramPrincipals().sort(), [ADMIN_PRINCIPAL, REGISTRY_PRINCIPAL, DRILL_PRINCIPAL, EXERCISES_PRINCIPAL, ...SERVICES].sort())
  assert.ok(!rules.some(r => r.principal === ADMIN_PRINCIPAL), 'the admin is a super user and needs no ACL')
  // drill has no standing ACL: a drill grants its one write and takes it back (drill-grant.ts).
  assert.ok(!rules.some(r => r.principal === DRILL_PRINCIPAL), 'drill holds a standing ACL')
  assert.deepEqual(drillAcls('t1.orders.new', 'schema-invalido').map(r => `${r.principal} ${r.resource} ${r.pattern} ${r.name} ${r.operation} ${r.permission}`),
    ['drill TOPIC LITERAL t1.orders.new WRITE ALLOW', 'drill TOPIC LITERAL t1.orders.new DESCRIBE ALLOW'])
  for (const s of [...SERVICES, REGISTRY_PRINCIPAL, EXERCISES_PRINCIPAL]) assert.ok(rules.some(r => r.principal === s), `${s} has no ACL`)
  // Only read-only cluster rights, the gateway's: the broker's default.replication.factor (console),
  // the quorum, log dirs and ACLs (labs, ACL page). Never ALTER: it would let the gateway create ACLs.
  assert.deepEqual(rules.filter(r => r.resource === 'CLUSTER').map(r => `${r.principal} ${r.operation} ${r.permission}`).sort(), ['gateway DESCRIBE ALLOW', 'gateway DESCRIBE_CONFIGS ALLOW'], 'no other cluster-wide right')
  assert.deepEqual([...new Set(rules.filter(r => r.name === '*').map(r => r.principal))], ['gateway'])
  assert.equal(rules.filter(r => r.permission === 'DENY' && r.principal !== 'gateway').length, 0)
  for (const r of rules) assert.ok(r.why.length > 0)
})
