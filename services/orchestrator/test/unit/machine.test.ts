import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { InventoryReply, OrderCreated, PaymentReply } from '@vitrine/contracts'
import { UnexpectedReply, decide, start } from '../../src/machine.ts'
import type { Clock, Command, Decision, Saga, Timeouts } from '../../src/machine.ts'

const RESEND_MS = 3000
const T = { paymentMs: 1000, inventoryMs: 2000, compensationMs: 500, resendMs: RESEND_MS, maxResends: 2 } as Timeouts
const T0 = 1_000_000

function clockAt (now: number): Clock {
  let n = 0
  return { now, newId: () => `cmd-${now}-${++n}` }
}

function order (deadlineAt = T0 + 60_000): OrderCreated {
  return { eventId: 'ev-new', orderId: 'o-1', customerId: 'ana', items: [{ productId: 'p1', quantity: 2, unitPriceCents: 500 }], totalCents: 1000, currency: 'BRL', deadlineAt, channel: 'web', occurredAt: T0 }
}

const pay = (command: PaymentReply['command'], outcome: PaymentReply['outcome'], reason: string | null = null): PaymentReply =>
  ({ eventId: `r-${command}-${outcome}`, orderId: 'o-1', command, outcome, paymentId: 'pay-1', reason, occurredAt: T0 })
const inv = (command: InventoryReply['command'], outcome: InventoryReply['outcome'], extra: Partial<InventoryReply> = {}): InventoryReply =>
  ({ eventId: `r-${command}-${outcome}`, orderId: 'o-1', command, outcome, reason: null, productId: null, occurredAt: T0, ...extra })

/** The answer to the command in flight: its causation-id is that command's eventId. */
function answer (s: Saga, reply: PaymentReply | InventoryReply, now: number): Decision {
  const causationId = s.awaiting[reply.command as keyof Saga['awaiting']] ?? 'not-awaited'
  return decide(s, 'paymentId' in reply ? { kind: 'payment-reply', reply, causationId } : { kind: 'inventory-reply', reply, causationId }, T, clockAt(now))
}

const names = (cmds: Command[]): string[] => cmds.map(c => `${c.topic}:${c.value.command}`)
// Read through a plain record so these tests compile against the machine before it had these fields.
const field = (s: Saga, name: 'attention' | 'resends'): unknown => (s as unknown as Record<string, unknown>)[name]
const resendOf = (c: Command): unknown => (c as unknown as Record<string, unknown>).resend

test('start: the saga waits for payment with CHARGE sent and the payment step deadline set', () => {
  const d = start(order(), T, clockAt(T0))
  assert.equal(d.saga.state, 'payment_pending')
  assert.equal(d.saga.step, 'payment')
  assert.equal(d.saga.stepDeadlineAt, T0 + T.paymentMs)
  assert.deepEqual(d.saga.compensate, ['payment'])
  assert.deepEqual(names(d.commands), ['payments.commands:CHARGE'])
  assert.equal(d.saga.awaiting.CHARGE, d.commands[0]!.value.eventId)
  const charge = d.commands[0]!.value as { amountCents: number, items: unknown[] }
  assert.equal(charge.amountCents, 1000)
  assert.deepEqual(charge.items, [{ productId: 'p1', quantity: 2 }])
})

test('happy path: APPROVED → RESERVE; RESERVED → COMMIT + CONFIRM; COMMITTED → completed', () => {
  let s = start(order(), T, clockAt(T0)).saga
  let d = answer(s, pay('CHARGE', 'APPROVED'), T0 + 100)
  assert.equal(d.saga.state, 'payment_approved')
  assert.deepEqual(names(d.commands), ['inventory.commands:RESERVE'])
  assert.equal(d.saga.stepDeadlineAt, T0 + 100 + T.inventoryMs)
  assert.deepEqual(d.saga.compensate, ['payment', 'inventory'])
  s = d.saga
  d = answer(s, inv('RESERVE', 'RESERVED'), T0 + 200)
  assert.equal(d.saga.state, 'inventory_reserved')
  assert.deepEqual(names(d.commands), ['inventory.commands:COMMIT', 'orders.commands:CONFIRM'])
  assert.equal(d.saga.outcome, 'confirmed')
  assert.equal(d.saga.stepDeadlineAt, T0 + 200 + T.inventoryMs, 'no going back after this point, but COMMIT is awaited with a deadline')
  assert.deepEqual(d.saga.compensate, [])
  s = d.saga
  d = answer(s, inv('COMMIT', 'COMMITTED'), T0 + 300)
  assert.equal(d.saga.state, 'completed')
  assert.deepEqual(d.commands, [])
})

test('declined payment: FAIL at once, nothing to compensate', () => {
  const s = start(order(), T, clockAt(T0)).saga
  const d = answer(s, pay('CHARGE', 'DECLINED', 'declined_by_issuer'), T0 + 100)
  assert.equal(d.saga.state, 'failed')
  assert.deepEqual(names(d.commands), ['orders.commands:FAIL'])
  assert.deepEqual({ reason: d.commands[0]!.value.reason, detail: (d.commands[0]!.value as { detail: string | null }).detail }, { reason: 'payment_failed', detail: 'declined_by_issuer' })
  assert.deepEqual(d.saga.compensate, [])
})

for (const outcome of ['REFUNDED', 'NOTHING_TO_REFUND'] as const) {
  test(`inventory FAILED: REFUND first, FAIL only after ${outcome}`, () => {
    let s = answer(start(order(), T, clockAt(T0)).saga, pay('CHARGE', 'APPROVED'), T0 + 100).saga
    let d = answer(s, inv('RESERVE', 'FAILED', { reason: 'insufficient_stock', productId: 'p1' }), T0 + 200)
    assert.equal(d.saga.state, 'compensating_payment')
    assert.deepEqual(names(d.commands), ['payments.commands:REFUND'], 'no FAIL before the refund is confirmed')
    assert.equal(d.saga.outcome, null)
    assert.deepEqual(d.saga.compensate, ['payment'], 'a failed reservation has nothing to release')
    s = d.saga
    d = answer(s, pay('REFUND', outcome), T0 + 300)
    assert.equal(d.saga.state, 'failed')
    assert.deepEqual(names(d.commands), ['orders.commands:FAIL'])
    assert.equal(d.commands[0]!.value.reason, 'inventory_failed')
    assert.equal((d.commands[0]!.value as { detail: string }).detail, 'insufficient_stock: p1')
  })
}

test('payment step expired: REFUND (cancels a pending charge); FAIL when the compensation deadline passes without an answer; failed when it comes', () => {
  const s0 = start(order(), T, clockAt(T0)).saga
  assert.equal(decide(s0, { kind: 'timeout' }, T, clockAt(T0 + 999)).ignored, 'not_due')
  let d = decide(s0, { kind: 'timeout' }, T, clockAt(T0 + 1000))
  assert.equal(d.timedOut, 'payment')
  assert.equal(d.saga.state, 'compensating_payment')
  assert.deepEqual(names(d.commands), ['payments.commands:REFUND'])
  assert.equal(d.saga.failureReason, 'payment_timeout')
  assert.equal(d.saga.awaiting.CHARGE, undefined, 'the CHARGE answer is no longer awaited')
  assert.equal(d.saga.stepDeadlineAt, T0 + 1000 + T.compensationMs)
  // The charge's answer arrives after the deadline: late, ignored.
  const late = decide(d.saga, { kind: 'payment-reply', reply: pay('CHARGE', 'APPROVED'), causationId: s0.awaiting.CHARGE! }, T, clockAt(T0 + 1100))
  assert.equal(late.ignored, 'late')
  assert.deepEqual(late.commands, [])
  // Payment does not answer the REFUND in time: the customer gets an answer, the saga keeps compensating.
  d = decide(d.saga, { kind: 'timeout' }, T, clockAt(T0 + 1500))
  assert.equal(d.saga.state, 'compensating_payment')
  assert.deepEqual(names(d.commands), ['orders.commands:FAIL'])
  assert.equal(d.saga.outcome, 'failed')
  assert.equal(d.saga.stepDeadlineAt, T0 + 1500 + RESEND_MS, 'the REFUND keeps a deadline')
  // Payment comes back and confirms: the saga ends, without a second FAIL.
  d = answer(d.saga, pay('REFUND', 'NOTHING_TO_REFUND'), T0 + 9000)
  assert.equal(d.saga.state, 'failed')
  assert.deepEqual(d.commands, [])
})

test('inventory step expired: RELEASE and REFUND together; the state names what is still awaited', () => {
  let s = answer(start(order(), T, clockAt(T0)).saga, pay('CHARGE', 'APPROVED'), T0 + 100).saga
  let d = decide(s, { kind: 'timeout' }, T, clockAt(T0 + 100 + T.inventoryMs))
  assert.equal(d.timedOut, 'inventory')
  assert.deepEqual(names(d.commands).sort(), ['inventory.commands:RELEASE', 'payments.commands:REFUND'])
  assert.equal(d.saga.state, 'compensating_inventory')
  assert.equal(d.saga.failureReason, 'inventory_timeout')
  s = d.saga
  d = answer(s, pay('REFUND', 'REFUNDED'), T0 + 2200)
  assert.equal(d.saga.state, 'compensating_inventory', 'release still awaited')
  assert.deepEqual(d.saga.compensate, ['inventory'])
  assert.deepEqual(d.commands, [])
  d = answer(d.saga, inv('RELEASE', 'RELEASED'), T0 + 2300)
  assert.equal(d.saga.state, 'failed')
  assert.deepEqual(names(d.commands), ['orders.commands:FAIL'])
})

test('release confirmed before refund: compensating_payment until the refund answers', () => {
  const s = answer(start(order(), T, clockAt(T0)).saga, pay('CHARGE', 'APPROVED'), T0 + 100).saga
  const d1 = decide(s, { kind: 'timeout' }, T, clockAt(T0 + 5000))
  const d2 = answer(d1.saga, inv('RELEASE', 'NOTHING_TO_RELEASE'), T0 + 5100)
  assert.equal(d2.saga.state, 'compensating_payment')
  assert.equal(answer(d2.saga, pay('REFUND', 'REFUNDED'), T0 + 5200).saga.state, 'failed')
})

test('a step capped by the order deadline fails with deadline_exceeded, and FAIL goes out with the compensation', () => {
  const d0 = start(order(T0 + 300), T, clockAt(T0))
  assert.equal(d0.saga.stepDeadlineAt, T0 + 300, 'no step waits past the order deadline')
  const d = decide(d0.saga, { kind: 'timeout' }, T, clockAt(T0 + 300))
  assert.equal(d.saga.failureReason, 'deadline_exceeded')
  assert.deepEqual(names(d.commands), ['payments.commands:REFUND', 'orders.commands:FAIL'])
  assert.equal(d.saga.state, 'compensating_payment')
})

test('an order read after its deadline fails at once, without charging anything', () => {
  const d = start(order(T0 - 1), T, clockAt(T0))
  assert.equal(d.saga.state, 'failed')
  assert.deepEqual(names(d.commands), ['orders.commands:FAIL'])
  assert.equal(d.commands[0]!.value.reason, 'deadline_exceeded')
})

test('late, repeated and out-of-order replies change nothing', () => {
  const s = start(order(), T, clockAt(T0)).saga
  // A reply to a command never sent in this state (out of order).
  assert.equal(answer(s, inv('RESERVE', 'RESERVED'), T0 + 10).ignored, 'late')
  // The awaited command's type, but answering another command id (a stale one).
  assert.equal(decide(s, { kind: 'payment-reply', reply: pay('CHARGE', 'DECLINED'), causationId: 'some-older-command' }, T, clockAt(T0 + 10)).ignored, 'late')
  const approved = answer(s, pay('CHARGE', 'APPROVED'), T0 + 100)
  // The same answer again (a participant that replied twice) is no longer awaited.
  const again = decide(approved.saga, { kind: 'payment-reply', reply: pay('CHARGE', 'APPROVED'), causationId: s.awaiting.CHARGE! }, T, clockAt(T0 + 200))
  assert.equal(again.ignored, 'late')
  assert.equal(again.saga, approved.saga, 'same saga object: nothing changed')
  // Terminal sagas ignore everything, timeouts included.
  const failed = answer(s, pay('CHARGE', 'DECLINED'), T0 + 100).saga
  assert.equal(answer(failed, pay('REFUND', 'REFUNDED'), T0 + 200).ignored, 'late')
  assert.equal(decide(failed, { kind: 'timeout' }, T, clockAt(T0 + 99_999)).ignored, 'not_due')
})

test('a reply without a causation-id is matched by the command it answers', () => {
  const s = start(order(), T, clockAt(T0)).saga
  const d = decide(s, { kind: 'payment-reply', reply: pay('CHARGE', 'APPROVED'), causationId: null }, T, clockAt(T0 + 10))
  assert.equal(d.saga.state, 'payment_approved')
})

test('a reply that cannot answer its command is a permanent error (to the DLQ)', () => {
  const s = start(order(), T, clockAt(T0)).saga
  assert.throws(() => decide(s, { kind: 'payment-reply', reply: pay('CHARGE', 'REFUNDED'), causationId: null }, T, clockAt(T0)), UnexpectedReply)
  assert.throws(() => decide(s, { kind: 'inventory-reply', reply: { ...inv('RESERVE', 'RESERVED'), command: 'CHARGE' as never }, causationId: null }, T, clockAt(T0)), UnexpectedReply)
})

test('the input saga is never mutated (a failed transaction leaves nothing half-applied in memory)', () => {
  const s = start(order(), T, clockAt(T0)).saga
  const copy = structuredClone(s)
  answer(s, pay('CHARGE', 'APPROVED'), T0 + 10)
  decide(s, { kind: 'timeout' }, T, clockAt(T0 + 5000))
  assert.deepEqual(s, copy)
})

test('after RESERVED, COMMIT has a deadline: unanswered it is re-sent, a bounded number of times, then the saga is flagged for an operator', () => {
  let s = answer(start(order(), T, clockAt(T0)).saga, pay('CHARGE', 'APPROVED'), T0 + 100).saga
  let d = answer(s, inv('RESERVE', 'RESERVED'), T0 + 200)
  assert.equal(d.saga.step, 'commit')
  assert.equal(d.saga.stepDeadlineAt, T0 + 200 + T.inventoryMs, 'COMMIT is awaited with a deadline (not capped by the order deadline: the customer has the answer)')
  s = d.saga
  const first = s.awaiting.COMMIT
  d = decide(s, { kind: 'timeout' }, T, clockAt(T0 + 200 + T.inventoryMs))
  assert.deepEqual(names(d.commands), ['inventory.commands:COMMIT'], 're-sent')
  assert.equal(resendOf(d.commands[0]!), 1)
  assert.notEqual(d.saga.awaiting.COMMIT, first, 'the re-send is the command now awaited')
  assert.equal(d.saga.state, 'inventory_reserved')
  assert.equal(d.saga.stepDeadlineAt, T0 + 200 + T.inventoryMs + RESEND_MS)
  d = decide(d.saga, { kind: 'timeout' }, T, clockAt(d.saga.stepDeadlineAt!))
  assert.equal(resendOf(d.commands[0]!), 2)
  d = decide(d.saga, { kind: 'timeout' }, T, clockAt(d.saga.stepDeadlineAt!))
  assert.deepEqual(d.commands, [], 'no more re-sends after maxResends')
  assert.match(String(field(d.saga, 'attention')), /COMMIT/)
  assert.equal(d.saga.stepDeadlineAt, null, 'left for the operator, not swept forever')
  assert.equal(d.saga.state, 'inventory_reserved', 'never silently completed')
  // The operator replays the dead-lettered COMMIT; its answer still ends the saga and clears the flag.
  d = answer(d.saga, inv('COMMIT', 'COMMITTED'), T0 + 60_000)
  assert.equal(d.saga.state, 'completed')
  assert.equal(field(d.saga, 'attention'), null)
})

test('an unconfirmed compensation: FAIL at its deadline, then REFUND re-sent every resendMs up to maxResends, then flagged for an operator; a late answer still ends the saga', () => {
  let d = decide(start(order(), T, clockAt(T0)).saga, { kind: 'timeout' }, T, clockAt(T0 + 1000))
  assert.deepEqual(names(d.commands), ['payments.commands:REFUND'])
  d = decide(d.saga, { kind: 'timeout' }, T, clockAt(T0 + 1500))
  assert.deepEqual(names(d.commands), ['orders.commands:FAIL'], 'the customer is answered first; the REFUND may just be waiting in Kafka')
  assert.equal(d.saga.stepDeadlineAt, T0 + 1500 + RESEND_MS, 'the compensation keeps a deadline')
  d = decide(d.saga, { kind: 'timeout' }, T, clockAt(T0 + 1500 + RESEND_MS))
  assert.deepEqual(names(d.commands), ['payments.commands:REFUND'], 're-sent')
  assert.equal(resendOf(d.commands[0]!), 1)
  assert.equal(field(d.saga, 'resends'), 1)
  d = decide(d.saga, { kind: 'timeout' }, T, clockAt(d.saga.stepDeadlineAt!))
  d = decide(d.saga, { kind: 'timeout' }, T, clockAt(d.saga.stepDeadlineAt!))
  assert.deepEqual(d.commands, [])
  assert.match(String(field(d.saga, 'attention')), /REFUND/)
  assert.equal(d.saga.stepDeadlineAt, null)
  assert.equal(d.saga.state, 'compensating_payment')
  d = answer(d.saga, pay('REFUND', 'REFUNDED'), T0 + 90_000)
  assert.equal(d.saga.state, 'failed')
  assert.equal(field(d.saga, 'attention'), null)
  assert.deepEqual(d.commands, [], 'FAIL was sent once, before')
})

test('one of two compensations answered after the flag: the other gets a deadline again, never left without one', () => {
  const approved = answer(start(order(), T, clockAt(T0)).saga, pay('CHARGE', 'APPROVED'), T0 + 100).saga
  let d = decide(approved, { kind: 'timeout' }, T, clockAt(T0 + 100 + T.inventoryMs))
  for (let i = 0; i < 10 && d.saga.stepDeadlineAt !== null; i++) d = decide(d.saga, { kind: 'timeout' }, T, clockAt(d.saga.stepDeadlineAt))
  assert.ok(field(d.saga, 'attention'), 'flagged for an operator')
  d = answer(d.saga, pay('REFUND', 'REFUNDED'), T0 + 90_000)
  assert.equal(d.saga.state, 'compensating_inventory')
  assert.ok(d.saga.stepDeadlineAt !== null && d.saga.stepDeadlineAt > T0 + 90_000, 'RELEASE is awaited with a deadline again')
})
