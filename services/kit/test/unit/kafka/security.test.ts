import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from 'typebox'
import { ConfigError, loadConfig, serviceConfig } from '../../../src/config.ts'
import { platformaticSecurity, rdkafkaSecurity } from '../../../src/kafka/security.ts'

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
