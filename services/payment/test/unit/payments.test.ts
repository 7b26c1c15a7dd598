import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decideOutcome, delayFor, failsTransiently } from '../../src/payments.ts'

const config = { PAYMENT_DELAY_MIN_MS: 1000, PAYMENT_DELAY_MAX_MS: 3000, PAYMENT_SLOW_MS: 45_000 }

test('teacher triggers beat the random failure rate', () => {
  assert.deepEqual(decideOutcome('ana-fail-payment', 0), { approved: false, reason: 'forced_by_trigger' })
  assert.deepEqual(decideOutcome('ana-pay-ok', 1), { approved: true, reason: null })
})

test('without a trigger the failure rate decides', () => {
  assert.equal(decideOutcome('ana', 0.2, () => 0.1).approved, false)
  assert.equal(decideOutcome('ana', 0.2, () => 0.3).approved, true)
  assert.equal(decideOutcome('ana', 0, () => 0).approved, true)
  assert.equal(decideOutcome('ana', 1, () => 0.999).approved, false)
})

test('the simulated delay stays in [min, max]; slow-payment waits PAYMENT_SLOW_MS', () => {
  assert.equal(delayFor('x', config, () => 0), 1000)
  assert.equal(delayFor('x', config, () => 1), 3000)
  assert.equal(delayFor('x', { ...config, PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 0 }), 0)
  assert.equal(delayFor('aluno-slow-payment', config), 45_000)
})

test('retry-payment fails only before its first retry, then is approved', () => {
  assert.equal(failsTransiently('ana-retry-payment', 0), true)
  assert.equal(failsTransiently('ana-retry-payment', 1), false)
  assert.equal(failsTransiently('ana-pay-ok', 0), false)
  assert.deepEqual(decideOutcome('ana-retry-payment', 1), { approved: true, reason: null })
})
