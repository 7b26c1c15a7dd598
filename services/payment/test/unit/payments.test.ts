import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decideOutcome, delayFor, failsTransiently } from '../../src/payments.ts'

const config = { PAYMENT_DELAY_MIN_MS: 1000, PAYMENT_DELAY_MAX_MS: 3000, PAYMENT_SLOW_MS: 45_000, TEACHING_MODE: true }

test('teacher triggers beat the random failure rate', () => {
  assert.deepEqual(decideOutcome('ana-fail-payment', 0, Math.random, true), { approved: false, reason: 'forced_by_trigger' })
  assert.deepEqual(decideOutcome('ana-pay-ok', 1, Math.random, true), { approved: true, reason: null })
})

test('with TEACHING_MODE off a trigger is an ordinary customer name: the failure rate, the usual delay, no transient failure', () => {
  assert.deepEqual(decideOutcome('ana-fail-payment', 0, () => 0.5, false), { approved: true, reason: null })
  assert.deepEqual(decideOutcome('ana-pay-ok', 1, () => 0.5, false), { approved: false, reason: 'declined_by_issuer' })
  // Off is the default: a caller that forgets the mode obeys no trigger.
  assert.deepEqual(decideOutcome('ana-pay-ok', 1, () => 0.5), { approved: false, reason: 'declined_by_issuer' })
  assert.equal(delayFor('aluno-slow-payment', { ...config, TEACHING_MODE: false }, () => 0), 1000)
  assert.equal(failsTransiently('ana-retry-payment', 0, false), false)
  assert.equal(failsTransiently('ana-retry-payment', 0), false)
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
  assert.equal(failsTransiently('ana-retry-payment', 0, true), true)
  assert.equal(failsTransiently('ana-retry-payment', 1, true), false)
  assert.equal(failsTransiently('ana-pay-ok', 0, true), false)
  assert.deepEqual(decideOutcome('ana-retry-payment', 1, Math.random, true), { approved: true, reason: null })
})
