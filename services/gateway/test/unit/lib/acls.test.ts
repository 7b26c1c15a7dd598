import assert from 'node:assert/strict'
import { test } from 'node:test'
import { aclMeaning, groupAcls, securityDisabled } from '../../../src/lib/acls.ts'
import type { RawAcl } from '../../../src/lib/acls.ts'

// The ACL tab's grouping and pt-BR explanations, from DescribeAcls-shaped entries.

const acl = (principal: string, resource: string, name: string, operation: string, o: Partial<RawAcl> = {}): RawAcl =>
  ({ principal: `User:${principal}`, resource, name, pattern: 'LITERAL', operation, permission: 'ALLOW', host: '*', ...o })

test('grouped by principal: the catalog\'s services in their order, then the others by name; inside, cluster, topics, groups, transactional ids', () => {
  const grouped = groupAcls([
    acl('registry', 'TOPIC', 'kafkasql-journal', 'WRITE'),
    acl('payment', 'GROUP', 'payment', 'READ'),
    acl('payment', 'TOPIC', 'payments.requested', 'WRITE'),
    acl('checkout-api', 'TOPIC', 'orders.confirmed', 'WRITE'),
    acl('drill', 'TOPIC', 'orders.confirmed', 'WRITE'),
    acl('gateway', 'CLUSTER', 'kafka-cluster', 'DESCRIBE'),
    acl('gateway', 'TOPIC', 'orders.new', 'DELETE', { permission: 'DENY' })
  ])
  assert.deepEqual(grouped.map(p => p.principal), ['checkout-api', 'payment', 'gateway', 'drill', 'registry'])
  assert.deepEqual(grouped.find(p => p.principal === 'payment')!.acls.map(a => `${a.resource} ${a.name} ${a.operation}`), ['TOPIC payments.requested WRITE', 'GROUP payment READ'])
  assert.deepEqual(grouped.find(p => p.principal === 'gateway')!.acls.map(a => a.resource), ['CLUSTER', 'TOPIC'])
  assert.match(grouped.find(p => p.principal === 'drill')!.role, /fora do catálogo/)
  assert.match(grouped.find(p => p.principal === 'checkout-api')!.role, /serviço checkout-api/)
  assert.equal(grouped.reduce((n, p) => n + p.acls.length, 0), 7, 'no entry lost or merged')
})

test('each permission says what it lets the principal do, in pt-BR; a DENY says it wins', () => {
  assert.equal(aclMeaning(acl('checkout-api', 'TOPIC', 'orders.confirmed', 'WRITE')), 'publica mensagens (Produce) — tópico orders.confirmed')
  assert.equal(aclMeaning(acl('gateway', 'TOPIC', 'lab.', 'READ', { pattern: 'PREFIXED' })), 'lê as mensagens (Fetch) e consulta offsets — todo tópico cujo nome começa com lab.')
  assert.equal(aclMeaning(acl('gateway', 'GROUP', '*', 'DESCRIBE')), 'vê os membros, as partições e os offsets do grupo — todo grupo')
  assert.match(aclMeaning(acl('gateway', 'TOPIC', 'orders.new', 'DELETE', { permission: 'DENY' })), /^NEGADO: apaga o tópico — tópico orders.new \(uma negação vence/)
  assert.match(aclMeaning(acl('sales-counter', 'TRANSACTIONAL_ID', 'sales-counter-', 'WRITE', { pattern: 'PREFIXED' })), /transações .* transactional.id cujo nome começa com sales-counter-/)
  assert.match(aclMeaning(acl('gateway', 'CLUSTER', 'kafka-cluster', 'DESCRIBE_CONFIGS')), /configurações dos brokers — o cluster/)
})

test('the broker\'s SECURITY_DISABLED (54) is recognised however it is wrapped', () => {
  assert.ok(securityDisabled({ errors: [{ apiId: 'SECURITY_DISABLED', apiCode: 54 }] }))
  assert.ok(securityDisabled({ cause: { errors: [{ apiCode: 54 }] } }))
  assert.ok(!securityDisabled({ errors: [{ apiId: 'CLUSTER_AUTHORIZATION_FAILED', apiCode: 31 }] }))
  assert.ok(!securityDisabled(new Error('timeout')))
})
