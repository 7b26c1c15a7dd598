import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadSettings } from '../../../src/settings.ts'
import { serverProperties } from '../../../src/kafka-node.ts'
import { DEFAULT_KAFKA_AUTH, formatScramArgs, kafkaAuthSetting, kafkaCredentials, secretsDir } from '../../../src/security/kafka-auth.ts'
import { scramPrincipals } from '../../../src/security/acls.ts'
import { forgetAuthMode, recordAuthMode } from '../../../src/security/auth-mode.ts'
import { httpAuthSetting } from '../../../src/security/http-auth.ts'

function parse (text: string): Map<string, string> {
  return new Map(text.split('\n').filter(l => l && !l.startsWith('#')).map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}

function tempState (t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-auth-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('KAFKA_AUTH is scram unless asked otherwise, and a bad value is refused naming the variable', () => {
  assert.equal(DEFAULT_KAFKA_AUTH, 'scram')
  assert.equal(kafkaAuthSetting(''), 'scram')
  assert.equal(kafkaAuthSetting('none'), 'none')
  assert.throws(() => kafkaAuthSetting('tls'), /KAFKA_AUTH deve ser "none" ou "scram", mas veio "tls"/)
})

test('without KAFKA_AUTH/HTTP_AUTH a command follows the running stack\'s modes, and only while its Kafka runs', t => {
  const stateDir = tempState(t)
  recordAuthMode(stateDir, { kafkaAuth: 'none', httpAuth: 'none' })
  // No Kafka pid file: the record is not trusted.
  assert.equal(kafkaAuthSetting('', stateDir), 'scram')
  mkdirSync(join(stateDir, 'pids'))
  writeFileSync(join(stateDir, 'pids', 'kafka-1.pid'), String(process.pid))
  assert.equal(kafkaAuthSetting('', stateDir), 'none')
  assert.equal(httpAuthSetting('', stateDir), 'none')
  assert.equal(loadSettings({ stateDir }).kafkaAuth, 'none')
  // An explicit variable wins over the running stack (stack.ts then refuses a mismatch).
  assert.equal(kafkaAuthSetting('scram', stateDir), 'scram')
  // A pid that no longer runs (a crash, a reboot): back to the default.
  writeFileSync(join(stateDir, 'pids', 'kafka-1.pid'), '2147483646')
  assert.equal(kafkaAuthSetting('', stateDir), 'scram')
  assert.equal(httpAuthSetting('', stateDir), 'jwt')
  forgetAuthMode(stateDir)
  writeFileSync(join(stateDir, 'pids', 'kafka-1.pid'), String(process.pid))
  assert.equal(kafkaAuthSetting('', stateDir), 'scram')
})

test('none: the broker is the PLAINTEXT one of before, with no authorizer and no secrets written', t => {
  const stateDir = tempState(t)
  const p = parse(serverProperties(loadSettings({ kafkaAuth: 'none', stateDir }), 0))
  assert.match(p.get('listeners') ?? '', /^PLAINTEXT:\/\/localhost:\d+,CONTROLLER:\/\/localhost:\d+/)
  assert.equal(p.get('inter.broker.listener.name'), 'PLAINTEXT')
  assert.ok((p.get('listener.security.protocol.map') ?? '').split(',').every(m => m.endsWith(':PLAINTEXT')))
  for (const key of ['authorizer.class.name', 'super.users', 'sasl.enabled.mechanisms']) assert.equal(p.get(key), undefined, key)
  assert.throws(() => statSync(secretsDir(stateDir)), /ENOENT/)
})

test('scram: every listener SASL, SCRAM-SHA-512 for clients and brokers, PLAIN only on the controller listener, StandardAuthorizer, admin the only super user', t => {
  const stateDir = tempState(t)
  const p = parse(serverProperties(loadSettings({ kafkaAuth: 'scram', stateDir, kafkaPort: 19092 }), 0))
  assert.match(p.get('listeners') ?? '', /^SASL_PLAINTEXT:\/\/localhost:19092,CONTROLLER:\/\/localhost:19093,/)
  assert.equal(p.get('inter.broker.listener.name'), 'SASL_PLAINTEXT')
  const map = (p.get('listener.security.protocol.map') ?? '').split(',')
  assert.ok(map.length > 2 && map.every(m => m.endsWith(':SASL_PLAINTEXT')), map.join(','))
  assert.equal(p.get('sasl.enabled.mechanisms'), 'SCRAM-SHA-512')
  assert.equal(p.get('sasl.mechanism.inter.broker.protocol'), 'SCRAM-SHA-512')
  assert.equal(p.get('listener.name.controller.sasl.enabled.mechanisms'), 'PLAIN')
  assert.equal(p.get('sasl.mechanism.controller.protocol'), 'PLAIN')
  assert.equal(p.get('authorizer.class.name'), 'org.apache.kafka.metadata.authorizer.StandardAuthorizer')
  assert.equal(p.get('allow.everyone.if.no.acl.found'), 'false')
  assert.equal(p.get('super.users'), 'User:admin;User:controller')
  // Each link listener (a service's proxy, links.ts) authenticates too.
  assert.ok(p.get('listener.name.link_payment.scram-sha-512.sasl.jaas.config')?.includes('ScramLoginModule'))
})

test('passwords: generated once per principal into a 700 folder and a 600 file, kept across calls, given to the format tool', t => {
  const stateDir = tempState(t)
  const first = kafkaCredentials(stateDir)
  assert.deepEqual(Object.keys(first).sort(), [...scramPrincipals(), 'controller'].sort())
  for (const pw of Object.values(first)) assert.match(pw, /^[0-9a-f]{48}$/)
  assert.equal(new Set(Object.values(first)).size, Object.keys(first).length, 'every principal has its own password')
  assert.deepEqual(kafkaCredentials(stateDir), first)
  assert.equal(statSync(secretsDir(stateDir)).mode & 0o777, 0o700)
  const file = join(secretsDir(stateDir), 'kafka-users.json')
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), first)
  const args = formatScramArgs('scram', first)
  assert.equal(args.filter(a => a === '--add-scram').length, scramPrincipals().length)
  assert.ok(args.includes(`SCRAM-SHA-512=[name=admin,password=${first.admin!}]`))
  assert.ok(!args.some(a => a.includes('name=controller')), 'the controller is no SCRAM user: no client listener may log in as it')
  assert.deepEqual(formatScramArgs('none', first), [])
})
