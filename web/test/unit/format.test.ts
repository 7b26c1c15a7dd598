import { test } from 'node:test'
import assert from 'node:assert/strict'
import { duration, percent, shortId } from '../../src/lib/format.ts'
import { reasonLabel, stepLabel } from '../../src/lib/labels.ts'

test('durations and percentages read as a Brazilian class writes them', () => {
  assert.equal(duration(850), '850 ms')
  assert.equal(duration(2400), '2,4 s')
  assert.equal(duration(65_000), '1 min 05 s')
  assert.equal(duration(null), '—')
  assert.equal(percent(0.755), '75,5%')
  assert.equal(percent(null), '—')
  assert.equal(shortId('0251a80c-e0f9-48f9-9d28-da6abf8d0c28'), '0251a80c…')
})

test('each event is named for what happened, commands and replies by their value', () => {
  assert.equal(stepLabel({ topic: 'payments.refunded', kind: 'event', value: {} }), 'Pagamento estornado')
  assert.equal(stepLabel({ topic: 'inventory.commands', kind: 'command', value: { command: 'RELEASE' } }), 'Comando: liberar reserva')
  assert.equal(stepLabel({ topic: 'payments.replies', kind: 'reply', value: { outcome: 'DECLINED' } }), 'Resposta: pagamento recusado')
  assert.equal(stepLabel({ topic: 'some.other', kind: 'event', value: null }), 'some.other')
  assert.equal(reasonLabel('insufficient_stock'), 'estoque insuficiente')
  assert.equal(reasonLabel('something_new'), 'something_new', 'an unknown reason is shown as it came')
})
