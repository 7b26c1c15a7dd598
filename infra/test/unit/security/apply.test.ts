import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatAclReport } from '../../../src/security/apply.ts'

test('the ACL report of up: a drill grant left behind is named as such, with how to remove it; another extra ACL as one not derived from the catalog', () => {
  const lines = formatAclReport({
    created: 0,
    unchanged: 3,
    extra: [
      { principal: 'drill', resource: 'TOPIC', name: 'orders.new', pattern: 'LITERAL', operation: 'WRITE', permission: 'ALLOW' },
      { principal: 'payment', resource: 'TOPIC', name: 'orders.confirmed', pattern: 'LITERAL', operation: 'WRITE', permission: 'ALLOW' }
    ]
  })
  assert.equal(lines[0], 'ACLs: 0 criadas, 3 já existiam')
  assert.match(lines[1]!, /^ACL de uma simulação de caos que ficou sem revogar .*User:drill ALLOW WRITE em TOPIC LITERAL orders\.new; remova com infra\/bin\/kafka acls --remove$/)
  assert.match(lines[2]!, /^ACL a mais \(não vem do catálogo.*User:payment ALLOW WRITE em TOPIC LITERAL orders\.confirmed$/)
  assert.equal(lines.length, 3)
})
