import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from 'typebox'
import { ConfigError, loadConfig, serviceConfig } from '../../../src/config.ts'
import { envKafkaSecurity, kafkaPrincipal, platformaticSecurity, rdkafkaSecurity, saslFailure } from '../../../src/kafka/security.ts'

const Schema = serviceConfig({ PORT: Type.Integer({ default: 3000 }) })

test('by default a service talks PLAINTEXT: no security property is set', () => {
  const c = loadConfig(Schema, {})
  assert.equal(c.KAFKA_SECURITY_PROTOCOL, 'plaintext')
  assert.deepEqual(rdkafkaSecurity(c), {})
  assert.equal(platformaticSecurity(c), undefined)
})

test('sasl_plaintext with a SCRAM user: librdkafka and @platformatic/kafka settings', () => {
  const c = loadConfig(Schema, { KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_USERNAME: 'payment', KAFKA_SASL_PASSWORD: 's3cret' })
  assert.deepEqual(rdkafkaSecurity(c), { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'payment', 'sasl.password': 's3cret' })
  assert.deepEqual(platformaticSecurity(c), { mechanism: 'SCRAM-SHA-512', username: 'payment', password: 's3cret' })
})

test('SASL without a user or password stops the boot naming the variables, never printing a password', () => {
  assert.throws(() => loadConfig(Schema, { KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_PASSWORD: 'topsecret-value' }), (err: Error) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /KAFKA_SASL_USERNAME: required when KAFKA_SECURITY_PROTOCOL=sasl_plaintext/)
    assert.doesNotMatch(err.message, /topsecret-value/)
    return true
  })
  assert.throws(() => loadConfig(Schema, { KAFKA_SECURITY_PROTOCOL: 'ssl' }), /KAFKA_SECURITY_PROTOCOL/)
})

test('a tool\'s clients log in from its environment, checked as a service\'s config is', () => {
  assert.deepEqual(envKafkaSecurity({}), {})
  const login = envKafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_USERNAME: 'admin', KAFKA_SASL_PASSWORD: 'pw' })
  assert.deepEqual(login, { 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'admin', 'sasl.password': 'pw' })
  assert.equal(kafkaPrincipal(login), 'admin')
  assert.throws(() => envKafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext', KAFKA_SASL_USERNAME: 'admin' }), /KAFKA_SASL_PASSWORD: required/)
  assert.throws(() => envKafkaSecurity({ KAFKA_SECURITY_PROTOCOL: 'ssl' }), /KAFKA_SECURITY_PROTOCOL must be plaintext or sasl_plaintext/)
})

test('librdkafka\'s log line for a refused SASL login is read as the reason; other lines are not', () => {
  // The line librdkafka 2.12 logs against a broker that refuses the password (kafka-acls.test.ts sees it live).
  const line = '[thrd:sasl_plaintext://localhost:9092/bootstrap]: sasl_plaintext://localhost:9092/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 318ms in state AUTH_REQ, 1 identical error(s) suppressed)'
  assert.equal(saslFailure(line), 'SASL authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512')
  assert.equal(saslFailure('[thrd:main]: localhost:9092/1: Connect to ipv4#127.0.0.1:9092 failed: Connection refused'), undefined)
})
