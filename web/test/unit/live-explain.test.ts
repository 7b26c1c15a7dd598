import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TOPICS, writersOf } from '@vitrine/contracts'
import { chaosExplain, dlqExplain, eventsExplain, exactlyOnceExplain, eventsLastMinute, exercisesExplain, flowExplain, groupExplain, kpisExplain, orderExplain, ordersInFlight, statsExplain, topicExplain } from '../../src/lib/live-explain.ts'
import type { CatalogTopic, ChaosRun, DeadLetter, ExerciseView, GroupDetail, KpiSnapshot, LiveEvent, StatsSnapshot, TopicDetail } from '../../src/lib/types.ts'

const catalog: CatalogTopic[] = TOPICS.map(t => ({ name: t.name, description: t.description, partitions: t.partitions, replicationFactor: t.replicationFactor, key: t.key, schema: t.schema, writers: [...writersOf(t)], readers: [...t.readers], kind: t.kind, config: { ...t.config } }))
const NOW = 1_700_000_000_000
let offset = 0

function ev (topic: string, orderId: string | null, producer: string | null, ageMs: number, extra: Partial<LiveEvent> = {}): LiveEvent {
  const o = offset++
  const base = { id: `${topic}/0/${o}`, topic, kind: 'event', partition: 0, offset: o, key: orderId, timestamp: NOW - ageMs, headers: {} }
  const meta = { eventType: topic, correlationId: orderId, causationId: null, mode: 'choreography', producer, schemaId: null, value: {} }
  return { ...base, ...meta, decodeError: null, orderId, outcome: 'progress', origin: null, ...extra } as LiveEvent
}

test('the flow panel: the counters on the graph, orders in flight grouped by who acts next, the oldest wait', () => {
  // Newest first, as live.events keeps them.
  const events = [
    ev('payments.approved', 'o2', 'payment', 1_000),
    ev('orders.new', 'o3', 'checkout-api', 2_000),
    ev('orders.new', 'o4', 'checkout-api', 40_000),
    ev('notifications.sent', 'o1', 'notification', 3_000),
    ev('orders.confirmed', 'o1', 'checkout-api', 4_000),
    ev('orders.new', 'o2', 'checkout-api', 5_000),
    ev('orders.new', 'o1', 'checkout-api', 6_000),
    // Streams' output names an order too, but does not move it.
    ev('streams.enriched-orders', 'o5', 'streams', 500)
  ]
  const flight = ordersInFlight(events, catalog, NOW)
  assert.equal(flight.known, 4)
  assert.equal(flight.orders, 3)
  assert.deepEqual(flight.steps, [
    { topic: 'orders.new', next: ['payment'], orders: 2 },
    { topic: 'payments.approved', next: ['inventory'], orders: 1 }
  ])
  assert.equal(flight.oldestMs, 40_000)
  const lines = flowExplain({ 'orders.new': 4, 'orders.confirmed': 1 }, flight)
  assert.equal(lines[0], 'Desde que esta página abriu: 4 pedidos entraram (orders.new), 1 foi confirmado (orders.confirmed) e 0 falharam (orders.failed).')
  assert.equal(lines[1], 'Agora 3 pedidos estão em andamento: 2 depois de orders.new, esperando payment; 1 depois de payments.approved, esperando inventory.')
  assert.match(lines[2]!, /^O que espera há mais tempo está sem evento novo há 40 s\. Um pedido parado/)

  // Orchestration: the orchestrator decides what follows an event; a command goes to its reader.
  const orch = ordersInFlight([ev('orders.new', 'o6', 'checkout-api', 100, { mode: 'orchestration' }), ev('payments.commands', 'o7', 'orchestrator', 100, { mode: 'orchestration', kind: 'command' })], catalog, NOW)
  assert.deepEqual(orch.steps.map(s => [s.topic, s.next]), [['orders.new', ['orchestrator']], ['payments.commands', ['payment']]])

  assert.match(flowExplain({}, ordersInFlight([], catalog, NOW))[1]!, /Nenhum pedido passou por aqui ainda/)
  assert.match(flowExplain({}, ordersInFlight(events.slice(3, 5), catalog, NOW))[1]!, /Nenhum pedido em andamento: o pedido que a página guarda já terminou/)
})

test('the events panel: the last minute\'s count, rate, dominant topic and failures', () => {
  const events = [
    ev('orders.new', 'a', 'checkout-api', 1_000),
    ev('orders.new', 'b', 'checkout-api', 2_000),
    ev('payments.failed', 'b', 'payment', 3_000, { outcome: 'failure' }),
    ev('orders.new', 'c', 'checkout-api', 61_000)
  ]
  const m = eventsLastMinute(events, NOW)
  assert.deepEqual(m, { events: 3, orders: 2, failures: 1, top: { topic: 'orders.new', events: 2, tied: 1 } })
  const lines = eventsExplain(m, events.length)
  assert.equal(lines[0], 'No último minuto chegaram 3 eventos (0,1 por segundo) de 2 pedidos: cada pedido escreve vários eventos, um por passo da saga.')
  assert.equal(lines[1], 'O tópico que mais aparece é orders.new, com 2 de 3 (66,7%).')
  assert.match(lines[2]!, /^1 deles é falha/)
  // One order's saga: one event per topic, none dominates.
  assert.equal(eventsExplain(eventsLastMinute(events.slice(1, 3), NOW), 2)[1], 'Nenhum tópico domina: 2 tópicos empatam com 1 evento cada (como orders.new).')
  assert.match(eventsExplain(eventsLastMinute(events, NOW + 120_000), 4)[0]!, /Nenhum evento no último minuto: a loja está parada \(a página guarda 4 eventos/)
})

test('the groups panel: the partition with the largest lag, its reader, and whether its commit moved', () => {
  const detail = (committed: number, members: GroupDetail['members']): GroupDetail => {
    const member = members[0]?.clientId ?? null
    const partitions = [{ topic: 't', partition: 0, committed: 5, end: 5, lag: 0, member }, { topic: 't', partition: 1, committed, end: 40, lag: 40 - committed, member }]
    return { id: 'g', state: 'STABLE', protocol: 'range', protocolType: 'consumer', members, partitions, totalLag: 40 - committed }
  }
  const one = [{ id: 'm1', clientId: 'aluno-1', host: '/127.0.0.1', assignments: [{ topic: 't', partitions: [0, 1] }] }]
  const stuck = groupExplain(detail(3, one), { detail: detail(3, one), ageMs: 6000 })
  assert.equal(stuck[0], 'A partição 1 de t tem o maior lag: 37 mensagens entre o offset commitado (3) e o fim do log (40); o lag total do grupo é 37.')
  assert.equal(stuck[1], 'Ela é lida por aluno-1, que está conectado ao grupo, mas o commit não andou nos últimos 6 s: aluno-1 está parado, lento ou sem confirmar o que leu (veja o log dele).')
  assert.match(groupExplain(detail(10, one), { detail: detail(3, one), ageMs: 6000 })[1]!, /o commit andou de 3 para 10 nos últimos 6 s: ele está lendo/)
  assert.match(groupExplain(detail(3, []), null)[1]!, /^Nenhum membro está conectado/)
  assert.match(groupExplain(detail(40, one), null)[0]!, /^Lag 0 em todas as partições com commit \(2 no total\)/)
  const idle = groupExplain(detail(40, [...one, { id: 'm2', clientId: 'aluno-2', host: '/127.0.0.1', assignments: [] }]), null)
  assert.match(idle[1]!, /^1 membro está sem partição \(aluno-2\): há mais membros que partições/)
})

test('the metrics panel reads the gateway\'s figures', () => {
  const s = { orders: { created: 10, confirmed: 6, failed: 2, pending: 2 }, successRate: 0.75, meanProcessingMs: 1500, compensations: 2, deadLetters: 0 } as StatsSnapshot
  const lines = statsExplain(s)
  assert.equal(lines[0], 'Desde que o gateway começou: 10 pedidos criados, 6 confirmados, 2 falharam e 2 em andamento.')
  assert.equal(lines[1], 'Taxa de sucesso 75%: dos 8 pedidos que terminaram, 6 foram confirmados, em 1,5 s em média de orders.new até o fim.')
  assert.match(lines[2]!, /^2 compensações .* e 0 dead-letters/)
})

test('the order panel: how it ended, in how many events by whom, and what was undone', () => {
  const confirmed = [ev('orders.new', 'o', 'checkout-api', 3_000), ev('payments.approved', 'o', 'payment', 2_500), ev('inventory.reserved', 'o', 'inventory', 2_000), ev('orders.confirmed', 'o', 'checkout-api', 1_800)]
  assert.deepEqual(orderExplain(confirmed), ['Confirmado: 4 eventos em 1,2 s do primeiro ao último, escritos por checkout-api, payment e inventory; cada serviço reagiu ao evento do anterior.'])
  const failed = [confirmed[0]!, confirmed[1]!, ev('inventory.failed', 'o', 'inventory', 2_000, { outcome: 'failure' }), ev('payments.refunded', 'o', 'payment', 1_500, { outcome: 'compensation' }), ev('orders.failed', 'o', 'checkout-api', 1_000, { outcome: 'failure' })]
  const lines = orderExplain(failed)
  assert.equal(lines[0], 'Falhou: 5 eventos em 2 s, escritos por checkout-api, payment e inventory.')
  assert.match(lines[1]!, /^1 compensação desfez o que já tinha sido feito \(payments\.refunded\)/)
  assert.match(orderExplain(confirmed.slice(0, 2))[0]!, /^Em andamento: 2 eventos até agora, escritos por checkout-api e payment; o último foi “Pagamento aprovado” \(payments\.approved\) às /)
  assert.deepEqual(orderExplain([]), [])
})

test('the KPIs panel: the last closed window, the live bucket, the best seller and tier; before any window, why none', () => {
  assert.match(kpisExplain(null)[0]!, /^Nenhuma janela de 1 minuto fechou ainda/)
  const k = {
    windows: [{ windowStart: NOW - 120_000, orders: 3, revenueCents: 14970, avgTicketCents: 4990, uniqueCustomers: 2 }],
    live: [{ bucketStart: NOW - 60_000, orders: 5, revenueCents: 24950 }],
    topProducts: [{ windowStart: NOW - 120_000, rank: 1, productId: 'prod_1', quantity: 4, orders: 3, revenueCents: 19960 }],
    revenueByTier: [{ tier: 'gold', orders: 2, revenueCents: 9980, avgTicketCents: 4990 }],
    updatedAt: NOW
  } as unknown as KpiSnapshot
  const lines = kpisExplain(k).map(l => l.replace(/\u00a0/g, ' '))
  assert.equal(lines[0], 'Na última janela fechada, 3 pedidos confirmados somaram R$ 149,70, de 2 clientes: ticket médio R$ 49,90 (receita ÷ pedidos).')
  assert.match(lines[1]!, /^O bloco de 5 minutos ao vivo já tem 5 pedidos \(R\$ 249,50\)/)
  assert.equal(lines[2], 'O produto que mais vendeu na última janela foi prod_1: 4 unidades em 3 pedidos.')
  assert.match(lines[3]!, /^O tier de cliente que mais fatura é gold: R\$ 99,80 em 2 pedidos/)
})

test('the exercises panel: how many are done and what the next one\'s checker still misses', () => {
  const status = { done: false, doneAt: null, checkedAt: null, setupAt: null, missing: [], seen: [], unavailable: null }
  const list = [
    { n: 1, slug: '01', title: 'Produzir e consumir', concepts: [], page: 'p', status: { ...status, done: true, doneAt: 'x', checkedAt: 'x' } },
    { n: 2, slug: '02', title: 'Réplicas', concepts: [], page: 'p', status: { ...status, unavailable: 'precisa de 3 brokers' } },
    { n: 3, slug: '03', title: 'Lag de um consumer group', concepts: [], page: 'p', status: { ...status, checkedAt: 'x', missing: ['o grupo ex03-leitor ainda tem lag 42: consuma até o fim', 'outra'] } }
  ] as ExerciseView[]
  const lines = exercisesExplain(list)
  assert.match(lines[0]!, /^1 de 3 exercícios feitos \(1 não roda nesta loja\): /)
  assert.equal(lines[1], 'O próximo é o 3 (Lag de um consumer group): o verificador diz que ainda falta “o grupo ex03-leitor ainda tem lag 42: consuma até o fim” e mais 1.')
  assert.deepEqual(exercisesExplain([]), [])
})

test('the topic panel: leaders, where the messages are, trimmed starts and replicas out of the ISR', () => {
  const p = (partition: number, leader: number, messages: number, low = 0, outOfSync: number[] = []): TopicDetail['partitionDetails'][number] => ({ partition, leader, replicas: [1, 2], isr: [1, 2], outOfSync, low, high: low + messages, messages })
  const t = { name: 't', partitions: 2, replicationFactor: 2, messages: 4, partitionDetails: [p(0, 1, 3, 5, [2]), p(1, 2, 1)] } as TopicDetail
  const lines = topicExplain(t)
  assert.equal(lines[0], '2 partições, fator de replicação 2: cada partição tem um líder, o broker que recebe as escritas e as leituras, e 1 cópia seguidora; broker 1 lidera 1, broker 2 lidera 1.')
  assert.match(lines[1]!, /^4 mensagens guardadas; a partição 0 tem mais \(3, 75%\)/)
  assert.match(lines[2]!, /^Em 1 partição o início \(low\) passou de 0/)
  assert.match(lines[3]!, /^Fora do ISR: partição 0 \(broker 2\)/)
  const empty = topicExplain({ ...t, replicationFactor: 1, messages: 0, partitionDetails: [p(0, 1, 0), p(1, 1, 0)] })
  assert.match(empty[0]!, /nenhuma cópia: se o broker cair/)
  assert.deepEqual(empty.slice(1), ['Nenhuma mensagem guardada agora.', 'Todas as réplicas estão no ISR (em dia com o líder).'])
})

test('the dead-letter panel: how many, from which groups and topics, the most common error', () => {
  const d = (group: string, originalTopic: string, error: string): DeadLetter => ({ group, originalTopic, error } as DeadLetter)
  const lines = dlqExplain([d('payment', 'orders.new', 'boom'), d('payment', 'orders.new', 'boom'), d('inventory', 'payments.approved', 'x')])
  assert.equal(lines[0], '3 mensagens esgotaram as novas tentativas: 2 do grupo payment e 1 do grupo inventory; vindas de 2 de orders.new e 1 de payments.approved.')
  assert.match(lines[1]!, /^O erro mais comum \(2 vezes\): “boom”\./)
  assert.match(dlqExplain([])[0]!, /^A dead-letter está vazia/)
})

test('the exactly-once panel: the counter against the recount, and what the mode does on a crash', () => {
  const base = { totals: { orders: 12, revenueCents: 0 }, truth: { orders: 10, revenueCents: 0 }, duplicates: 2, batches: { committed: 4, aborted: 1 }, restoredFrom: null }
  const alo = exactlyOnceExplain({ ...base, mode: 'at-least-once' }, 1)
  assert.equal(alo[0], 'O contador soma 12 pedidos, mas a recontagem de orders.confirmed dá 10: 2 pedidos foram contados duas vezes.')
  assert.match(alo[1]!, /caiu 1× desde que esta página abriu/)
  const eos = exactlyOnceExplain({ ...base, mode: 'exactly-once', restoredFrom: { offset: 7, orders: 10 } }, 0)
  assert.match(eos[1]!, /4 lotes confirmados e 1 abortado; .* vêm de antes, do modo at-least-once\.$/)
  assert.match(eos[2]!, /offset 7, 10 pedidos/)
})

test('the chaos panel: the lag the fault caused, the recovery and the invariants', () => {
  const at = (s: number): string => new Date(NOW + s * 1000).toISOString()
  const times = { startedAt: at(0), faultStartedAt: at(5), faultEndedAt: at(15), recoveredAt: at(18), finishedAt: at(20) }
  const run = {
    ...times,
    recoverySeconds: 3,
    phase: 'done',
    samples: [{ at: at(1), lag: 0, errorsPerSec: 0 }, { at: at(8), lag: 40, errorsPerSec: 2 }, { at: at(16), lag: 12, errorsPerSec: 0 }, { at: at(19), lag: 0, errorsPerSec: 0 }],
    invariants: { ok: true, orders: 9, checkedAt: at(20), checks: [{ name: 'lag', ok: true }] }
  } as unknown as ChaosRun
  assert.deepEqual(chaosExplain(run), [
    'Durante a falha o lag chegou a 40; o sistema se recuperou (lag 0, pedidos terminados) 3 s depois do fim da falha.',
    'As invariantes da saga valem para os 9 pedidos criados desde o início: nada se perdeu nem foi feito duas vezes, mesmo com a falha.'
  ])
  assert.equal(chaosExplain({ ...run, phase: 'fault', recoveredAt: null, finishedAt: null, invariants: null, samples: run.samples.slice(0, 2) })[0], 'A falha está ligada desde t+5 s: o lag chegou a 40 (agora 40) e há 2 erros/s.')
})
