import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EventTopic, StreamTopic, StreamValues, TopicValues } from '../../src/events.ts'
import { HEADERS } from '../../src/headers.ts'
import { detailLabel, eventTitle, moneyLabel, reasonLabel, summarizeEvent, summarizeRecord, topicKindLabel } from '../../src/summary.ts'
import { TOPICS } from '../../src/topics.ts'

const base = { eventId: 'e-1', orderId: 'o-1', occurredAt: 1_760_000_000_000 }
const items = [{ productId: 'p-1', quantity: 2 }]

// One typed sample per saga topic: the expected line is written out, so a changed wording shows here.
const cases: { [T in EventTopic]: [TopicValues[T], string] } = {
  'products.catalog': [{ eventId: 'e-1', productId: 'p-1', name: 'Camiseta Kafka', priceCents: 4990, currency: 'BRL', active: false, version: 3, occurredAt: 1 }, 'Produto no catálogo (preço, ativo): Camiseta Kafka (p-1) a R$\u00a049,90, inativo, versão 3'],
  'orders.new': [{ ...base, customerId: 'c-1', items: [{ productId: 'p-1', quantity: 2, unitPriceCents: 1990 }], totalCents: 3980, currency: 'BRL', deadlineAt: 2, channel: 'web' }, 'Pedido criado: 1 item(ns), total R$\u00a039,80, canal web'],
  'payments.requested': [{ ...base, paymentId: 'pay-1', customerId: 'c-1', amountCents: 3980 }, 'Pagamento solicitado: valor R$\u00a039,80'],
  'payments.approved': [{ ...base, paymentId: 'pay-1', customerId: 'c-1', amountCents: 3980, items }, 'Pagamento aprovado: valor R$\u00a039,80'],
  'payments.failed': [{ ...base, paymentId: 'pay-1', customerId: 'c-1', reason: 'declined_by_issuer' }, 'Pagamento recusado: motivo: recusado pela operadora (taxa de falha)'],
  'payments.refunded': [{ ...base, paymentId: 'pay-1', customerId: 'c-1', amountCents: 3980, reason: 'inventory_failed' }, 'Pagamento estornado: valor R$\u00a039,80, motivo: estoque insuficiente'],
  'inventory.reserved': [{ ...base, customerId: 'c-1', items: [...items, { productId: 'p-2', quantity: 1 }] }, 'Estoque reservado: 2× p-1, 1× p-2'],
  'inventory.failed': [{ ...base, customerId: 'c-1', reason: 'insufficient_stock', productId: 'p-1', requested: 2, available: 0 }, 'Estoque insuficiente: motivo: estoque insuficiente (p-1: pediu 2, havia 0)'],
  'inventory.released': [{ ...base, customerId: 'c-1', items, reason: 'order_cancelled' }, 'Reserva liberada: 2× p-1 (pedido cancelado)'],
  'orders.confirmed': [{ ...base, customerId: 'c-1', totalCents: 3980 }, 'Pedido confirmado: total R$\u00a039,80'],
  'sales.totals': [{ eventId: 'e-1', counter: 'totals', orders: 2, revenueCents: 3980, mode: 'AT_LEAST_ONCE', positions: [], instanceId: 'main', occurredAt: 1 }, 'Totais de vendas: 2 pedido(s), receita R$\u00a039,80, modo at-least-once'],
  'orders.failed': [{ ...base, customerId: 'c-1', reason: 'deadline_exceeded', detail: 'sem resposta em 30 s' }, 'Pedido falhou: motivo: prazo do pedido estourou (sem resposta em 30 s)'],
  'notifications.sent': [{ ...base, customerId: 'c-1', kind: 'OUT_OF_STOCK', channels: ['email', 'sms'] }, 'Cliente notificado: sem estoque, por email, sms'],
  'payments.commands': [{ ...base, command: 'REFUND', customerId: 'c-1', amountCents: 3980, items, reason: 'saga_compensation' }, 'Comando: estornar: valor R$\u00a039,80 (compensação da saga)'],
  'payments.replies': [{ ...base, command: 'CHARGE', outcome: 'DECLINED', paymentId: null, reason: 'declined_by_issuer' }, 'Resposta: pagamento recusado: ao comando cobrar (recusado pela operadora (taxa de falha))'],
  'inventory.commands': [{ ...base, command: 'RESERVE', customerId: 'c-1', items, reason: null }, 'Comando: reservar estoque: 2× p-1'],
  'inventory.replies': [{ ...base, command: 'RESERVE', outcome: 'FAILED', reason: 'insufficient_stock', productId: 'p-1' }, 'Resposta: estoque insuficiente: ao comando reservar (estoque insuficiente), produto p-1'],
  'orders.commands': [{ ...base, command: 'FAIL', reason: 'payment_failed', detail: null }, 'Comando: falhar pedido: motivo: pagamento recusado']
}

test('every saga topic has its own pt-BR line, built from its fields', () => {
  for (const [topic, [value, expected]] of Object.entries(cases) as Array<[EventTopic, [never, string]]>) {
    assert.equal(summarizeEvent(topic, value), expected, topic)
    assert.equal(summarizeRecord(topic, value, {}), expected, `${topic} untyped`)
  }
})

// The stream jobs' outputs are rows, not saga events: they are summarized from the record (the live feed's path).
const streamCases: { [T in StreamTopic]: [StreamValues[T], string] } = {
  'streams.order-kpis': [{ windowStart: 0, windowEnd: 60_000, orders: 3, revenueCents: 11940, avgTicketCents: 3980, uniqueCustomers: 2 }, 'KPIs da janela de 1 min (Flink): 3 pedido(s), receita R$\u00a0119,40, ticket médio R$\u00a039,80, 2 cliente(s)'],
  'streams.top-products': [{ windowStart: 0, windowEnd: 60_000, rank: 1, productId: 'p-1', quantity: 5, orders: 2, revenueCents: 9950 }, 'Top produtos da janela (Flink): 1º p-1: 5 unidade(s) em 2 pedido(s)'],
  'streams.live-kpis': [{ bucketStart: 0, orders: 3, revenueCents: 11940, avgTicketCents: 3980, uniqueCustomers: 2 }, 'KPIs ao vivo, bloco de 5 min (Flink): 3 pedido(s), receita R$\u00a0119,40, ticket médio R$\u00a039,80'],
  'streams.enriched-orders': [{ orderId: 'o-1', customerId: 'c-1', customerName: 'Ana', customerTier: null, productId: 'p-1', productName: null, quantity: 2, unitPriceCents: 1990, catalogPriceCents: null, lineCents: 3980, occurredAt: 1 }, 'Item de pedido enriquecido (Flink): 2× p-1 para Ana (tier desconhecido)'],
  'streams.revenue-by-tier': [{ tier: 'gold', orders: 2, revenueCents: 7960, avgTicketCents: 3980 }, 'Receita por tier (Flink): tier gold: 2 pedido(s), receita R$\u00a079,60']
}

test('every stream job output has its own pt-BR line, built from its fields', () => {
  for (const [topic, [value, expected]] of Object.entries(streamCases)) assert.equal(summarizeRecord(topic, value, {}), expected, topic)
})

test('every catalog topic has a title of its own (a new topic must be named here)', () => {
  for (const t of TOPICS) {
    if (t.kind === 'command' || t.kind === 'reply') continue
    assert.notEqual(eventTitle(t.name, {}), t.name, t.name)
  }
})

test('commands and replies are titled by what they say, not by their topic', () => {
  assert.equal(eventTitle('inventory.commands', { command: 'RELEASE' }), 'Comando: liberar reserva')
  assert.equal(eventTitle('payments.replies', { outcome: 'NOTHING_TO_REFUND' }), 'Resposta: nada a estornar')
  assert.equal(eventTitle('payments.replies', { outcome: 'SOMETHING_NEW' }), 'Resposta SOMETHING_NEW')
  assert.equal(eventTitle('orders.commands', { command: 'CONFIRM' }), 'Comando: confirmar pedido')
})

test('dead-letter and retry records are described from their headers', () => {
  assert.equal(summarizeRecord('orders.dlq', null, { [HEADERS.originalTopic]: 'payments.replies', [HEADERS.error]: 'boom' }), 'Mensagem na dead-letter: veio de payments.replies, erro: boom')
  assert.equal(summarizeRecord('orders.retry.30s', null, { [HEADERS.originalTopic]: 'orders.failed' }), 'Nova tentativa em 30 s: orders.failed')
  assert.equal(summarizeRecord('orders.dlq', null), 'Mensagem na dead-letter: veio de ?')
})

test('an unknown topic or an undecoded value keeps the topic or the title, never a crash', () => {
  assert.equal(summarizeRecord('some.other', { a: 1 }), 'some.other')
  assert.equal(summarizeRecord('orders.new', null), 'Pedido criado')
  // A partial value (an older producer, a hand-written test event) still gives a line.
  assert.equal(summarizeRecord('orders.confirmed', {}), 'Pedido confirmado: total ?')
  assert.equal(summarizeRecord('inventory.reserved', {}), 'Estoque reservado: nenhum item')
  assert.equal(summarizeRecord('notifications.sent', { kind: 'ORDER_CONFIRMED' }), 'Cliente notificado: pedido confirmado, por nenhum canal')
})

test('reasons and money in pt-BR', () => {
  assert.equal(reasonLabel('insufficient_stock'), 'estoque insuficiente')
  assert.equal(reasonLabel('something_new'), 'something_new', 'an unknown reason is shown as it came')
  assert.equal(reasonLabel(null), '')
  assert.equal(moneyLabel(123456), 'R$\u00a01.234,56')
  assert.equal(moneyLabel(undefined), '?')
  assert.equal(moneyLabel(100, 'XXX-not-a-currency'), '1.00 XXX-not-a-currency')
})

test('a failure detail that starts with a reason code is shown in pt-BR, with what follows it kept', () => {
  assert.equal(detailLabel('insufficient_stock: prod_6'), 'estoque insuficiente: prod_6')
  assert.equal(detailLabel('forced_by_trigger'), 'forçado pelo gatilho do professor')
  assert.equal(detailLabel('o pedido não terminou dentro do prazo'), 'o pedido não terminou dentro do prazo', 'a sentence is kept')
  assert.equal(detailLabel('made_up_code: x'), 'made_up_code: x', 'an unknown code is kept')
  assert.equal(detailLabel(null), '')
  assert.equal(summarizeRecord('orders.failed', { reason: 'inventory_failed', detail: 'insufficient_stock: prod_6' }), 'Pedido falhou: motivo: estoque insuficiente (estoque insuficiente: prod_6)')
})

test('every catalog topic kind has a pt-BR name', () => {
  for (const kind of new Set(TOPICS.map(t => t.kind))) assert.notEqual(topicKindLabel(kind), kind, kind)
  assert.equal(topicKindLabel('reply'), 'resposta')
  assert.equal(topicKindLabel('event'), 'evento')
})
