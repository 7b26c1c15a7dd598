import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Faults, NO_FAULTS, activeFaults, bootFaults } from '../../src/index.ts'

// The toggles without I/O: the static drills as boot values, a change applied to the next read,
// one clear for all, and the failure rate by topic.

test('the static drills are the boot values: HANDLER_DELAY_MS, HANDLER_FAIL_TOPICS failing every record of those topics', () => {
  assert.deepEqual(bootFaults({ HANDLER_DELAY_MS: 0, HANDLER_FAIL_TOPICS: '' }), NO_FAULTS)
  assert.deepEqual(bootFaults({ HANDLER_DELAY_MS: 2000, HANDLER_FAIL_TOPICS: ' orders.commands,orders.new,orders.commands' }),
    { ...NO_FAULTS, handlerDelayMs: 2000, failRate: 1, failTopics: ['orders.commands', 'orders.new'] })
})

test('a change keeps the toggles it does not name, listeners hear it, clear turns every one off (boot ones too)', () => {
  const f = new Faults('payment', bootFaults({ HANDLER_DELAY_MS: 500, HANDLER_FAIL_TOPICS: '' }))
  const heard: boolean[] = []
  f.onChange(s => heard.push(s.pauseConsuming))
  assert.deepEqual(f.state().active, ['handlerDelayMs=500'])
  assert.equal(f.state().changedAt, null, 'boot values, not changed over HTTP')
  const s = f.set({ pauseConsuming: true, statementTimeoutMs: 250 })
  assert.deepEqual(s.active, ['handlerDelayMs=500', 'statementTimeoutMs=250', 'pauseConsuming'])
  assert.ok(s.changedAt !== null)
  assert.deepEqual(heard, [false, true], 'called at once, then on the change')
  assert.deepEqual(f.clear().faults, NO_FAULTS)
  assert.deepEqual(heard, [false, true, false])
})

test('the failure rate applies to failTopics only when some are named, and draws for a rate below 1', () => {
  let draw = 0.5
  const f = new Faults('inventory', NO_FAULTS, () => draw)
  assert.equal(f.fails('orders.new'), false, 'off')
  f.set({ failRate: 1, failTopics: ['payments.approved'] })
  assert.equal(f.fails('payments.approved'), true)
  assert.equal(f.fails('orders.new'), false, 'not a named topic')
  f.set({ failRate: 0.3, failTopics: [] })
  assert.equal(f.fails('orders.new'), false, 'draw 0.5 >= 0.3')
  draw = 0.1
  assert.equal(f.fails('orders.new'), true, 'draw 0.1 < 0.3, any topic')
  assert.deepEqual(activeFaults(f.get()), ['failRate=0.3'])
})

test('a failed record\'s error names the boot drill (exercise 5 reads it in the DLQ) until the toggles change over HTTP', () => {
  const f = new Faults('orchestrator', bootFaults({ HANDLER_DELAY_MS: 0, HANDLER_FAIL_TOPICS: 'orders.commands' }))
  assert.match(f.failure('orders.commands').message, /^fault drill HANDLER_FAIL_TOPICS: this process fails every orders.commands record$/)
  f.set({ failRate: 0.5 })
  assert.match(f.failure('orders.commands').message, /^fault toggle failRate=0.5: /)
})
