import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from 'typebox'
import { ConfigError, loadConfig, serviceConfig } from '../../src/config.ts'

const Schema = serviceConfig({ PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }) })

test('defaults apply and strings become numbers', () => {
  const c = loadConfig(Schema, { PORT: '4000', RETRY_ATTEMPTS: '5' })
  assert.equal(c.PORT, 4000)
  assert.equal(c.RETRY_ATTEMPTS, 5)
  assert.equal(c.KAFKA_BROKERS, 'localhost:9092')
  assert.equal(c.LOG_LEVEL, 'info')
})

test('every broken variable is named with its rule, in one error', () => {
  assert.throws(() => loadConfig(Schema, { PORT: '70000', KAFKA_BROKERS: 'no port here', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' }), (err: Error) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /PORT: .*65535/)
    assert.match(err.message, /KAFKA_BROKERS: .*pattern/)
    assert.match(err.message, /LOG_LEVEL: /)
    assert.match(err.message, /DATABASE_URL: .*pattern/)
    return true
  })
})

test('unknown variables are ignored, empty ones fall back to the default', () => {
  const c = loadConfig(Schema, { SOMETHING_ELSE: 'x', PORT: '' })
  assert.equal(c.PORT, 3000)
  assert.equal((c as Record<string, unknown>).SOMETHING_ELSE, undefined)
})
