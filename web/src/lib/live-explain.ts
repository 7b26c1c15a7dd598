import type { CatalogTopic, ChaosRun, DeadLetter, ExerciseView, GroupDetail, KpiSnapshot, LiveEvent, StatsSnapshot, TopicDetail } from './types.ts'
import { clock, count, duration, money, percent } from './format.ts'
import { stepLabel } from './labels.ts'

// The live views' explanation panels: what the numbers on screen mean right now, in pt-BR. Pure
// functions of the state each page already holds (no request of their own), so a page derives its
// panel with $derived and the unit tests check the wording against the numbers.

/** The services that move an order; the streams, the counters and Connect only watch it. */
const SAGA = new Set(['checkout-api', 'payment', 'inventory', 'notification', 'orchestrator'])
/** An order whose last saga event is one of these is over. */
const TERMINAL = new Set(['orders.confirmed', 'orders.failed'])

const plural = (n: number, one: string, many: string): string => `${count(n)} ${n === 1 ? one : many}`
const names = (list: readonly string[]): string => list.length <= 1 ? (list[0] ?? '') : `${list.slice(0, -1).join(', ')} e ${list.at(-1)!}`

/** Orders still moving, grouped by the last event each one has and who acts on it next. */
export interface InFlight {
  /** Orders the page knows (it keeps the latest events only). */
  known: number
  orders: number
  /** Largest group first. */
  steps: Array<{ topic: string, next: string[], orders: number }>
  /** How long the order waiting longest has had no new event, ms (null with none in flight). */
  oldestMs: number | null
}

/** Who handles an event of `spec` next in `mode`: its saga readers (in orchestration, the orchestrator decides). */
function nextOf (spec: CatalogTopic | undefined, mode: LiveEvent['mode']): string[] {
  if (!spec) return []
  let readers = spec.readers.filter(r => SAGA.has(r))
  if (mode === 'orchestration' && spec.kind === 'event' && readers.includes('orchestrator')) readers = ['orchestrator']
  else if (mode !== 'orchestration') readers = readers.filter(r => r !== 'orchestrator')
  // A record nobody in the saga reads (payments.requested): its writer is still working on the order.
  return readers.length > 0 ? readers : spec.writers.filter(w => SAGA.has(w))
}

/** Orders in flight among `events` (newest first, as live.events keeps them). */
export function ordersInFlight (events: readonly LiveEvent[], topics: readonly CatalogTopic[], now: number): InFlight {
  const spec = new Map(topics.map(t => [t.name, t]))
  const last = new Map<string, LiveEvent>()
  const done = new Set<string>()
  for (const e of events) {
    if (!e.orderId) continue
    const t = spec.get(e.topic)
    const saga = t?.kind === 'retry' || t?.kind === 'dead-letter' || (e.producer !== null && SAGA.has(e.producer))
    if (!saga) continue
    if (TERMINAL.has(e.topic)) done.add(e.orderId)
    const seen = last.get(e.orderId)
    if (!seen || e.timestamp > seen.timestamp) last.set(e.orderId, e)
  }
  const steps = new Map<string, { topic: string, next: string[], orders: number }>()
  let oldest: number | null = null
  let orders = 0
  for (const [orderId, e] of last) {
    if (done.has(orderId)) continue
    orders++
    const t = spec.get(e.topic)
    const next = t?.kind === 'retry' ? [e.origin?.failedBy?.split('/')[0] ?? '?'] : t?.kind === 'dead-letter' ? [] : nextOf(t, e.mode)
    const key = `${e.topic}|${next.join(',')}`
    const step = steps.get(key) ?? { topic: e.topic, next, orders: 0 }
    step.orders++
    steps.set(key, step)
    oldest = Math.max(oldest ?? 0, now - e.timestamp)
  }
  return { known: last.size, orders, steps: [...steps.values()].sort((a, b) => b.orders - a.orders || a.topic.localeCompare(b.topic)), oldestMs: oldest }
}

/** The flow page's panel: the counters on the graph, then the orders still moving. */
export function flowExplain (counts: Readonly<Record<string, number>>, flight: InFlight): string[] {
  const created = counts['orders.new'] ?? 0
  const confirmed = counts['orders.confirmed'] ?? 0
  const failed = counts['orders.failed'] ?? 0
  const out = [`Desde que esta página abriu: ${plural(created, 'pedido entrou', 'pedidos entraram')} (orders.new), ${plural(confirmed, 'foi confirmado', 'foram confirmados')} (orders.confirmed) e ${plural(failed, 'falhou', 'falharam')} (orders.failed).`]
  if (flight.known === 0) {
    out.push('Nenhum pedido passou por aqui ainda: faça um em “Novo pedido” ou ligue o gerador de tráfego na barra do instrutor.')
    return out
  }
  if (flight.orders === 0) {
    out.push(`Nenhum pedido em andamento: ${flight.known === 1 ? 'o pedido que a página guarda já terminou' : `os ${count(flight.known)} pedidos que a página guarda já terminaram`} (confirmado ou falhou).`)
    return out
  }
  const parts = flight.steps.slice(0, 3).map(s => s.next.length === 0
    ? `${count(s.orders)} na dead-letter (${s.topic}): ninguém o processa sem um reprocessamento`
    : `${count(s.orders)} depois de ${s.topic}, esperando ${names(s.next)}`)
  const more = flight.steps.length > 3 ? `; e outros ${count(flight.steps.slice(3).reduce((n, s) => n + s.orders, 0))} em outros passos` : ''
  out.push(`Agora ${plural(flight.orders, 'pedido está', 'pedidos estão')} em andamento: ${parts.join('; ')}${more}.`)
  if (flight.oldestMs !== null) {
    const stuck = flight.oldestMs > 30_000 ? ' Um pedido parado tanto tempo costuma ser um serviço fora do ar ou atrasado: veja o lag do grupo dele em Kafka › Grupos.' : ''
    out.push(`O que espera há mais tempo está sem evento novo há ${duration(flight.oldestMs)}.${stuck}`)
  }
  return out
}

/** The events page's figures over the last minute. */
export interface EventsMinute { events: number, orders: number, failures: number, top: { topic: string, events: number, tied: number } | null }

export function eventsLastMinute (events: readonly LiveEvent[], now: number): EventsMinute {
  const since = now - 60_000
  const byTopic = new Map<string, number>()
  const orders = new Set<string>()
  let n = 0
  let failures = 0
  for (const e of events) {
    if (e.timestamp < since || e.timestamp > now) continue
    n++
    byTopic.set(e.topic, (byTopic.get(e.topic) ?? 0) + 1)
    if (e.orderId) orders.add(e.orderId)
    if (e.outcome === 'failure' || e.outcome === 'dead-letter' || e.outcome === 'compensation') failures++
  }
  let top: EventsMinute['top'] = null
  for (const [topic, k] of byTopic) if (!top || k > top.events || (k === top.events && topic < top.topic)) top = { topic, events: k, tied: 0 }
  if (top) top.tied = [...byTopic.values()].filter(k => k === top!.events).length
  return { events: n, orders: orders.size, failures, top }
}

export function eventsExplain (m: EventsMinute, kept: number): string[] {
  if (m.events === 0) {
    return [`Nenhum evento no último minuto: a loja está parada (a página guarda ${plural(kept, 'evento', 'eventos')} de antes). Faça um pedido ou ligue o gerador de tráfego.`]
  }
  const rate = (m.events / 60).toLocaleString('pt-BR', { maximumFractionDigits: 1 })
  const out = [`No último minuto chegaram ${plural(m.events, 'evento', 'eventos')} (${rate} por segundo) de ${plural(m.orders, 'pedido', 'pedidos')}: cada pedido escreve vários eventos, um por passo da saga.`]
  if (m.top && m.top.tied > 1) out.push(`Nenhum tópico domina: ${count(m.top.tied)} tópicos empatam com ${plural(m.top.events, 'evento', 'eventos')} cada (como ${m.top.topic}).`)
  else if (m.top) out.push(`O tópico que mais aparece é ${m.top.topic}, com ${count(m.top.events)} de ${count(m.events)} (${percent(m.top.events / m.events)}).`)
  out.push(m.failures === 0
    ? 'Nenhum deles é falha ou compensação.'
    : `${plural(m.failures, 'deles é falha, compensação ou dead-letter', 'deles são falhas, compensações ou dead-letters')}: filtre por status para vê-los.`)
  return out
}

/**
 * The Kafka › Grupos panel: the partition with the largest lag, who reads it and whether its commit
 * moves. `before`: an earlier reading of the same group and how old it is (a few seconds: members
 * commit every few seconds, so one refresh apart says little).
 */
export function groupExplain (g: GroupDetail, before: { detail: GroupDetail, ageMs: number } | null): string[] {
  const out: string[] = []
  const members = g.members.length
  if (g.partitions.length === 0) {
    return [`O grupo não tem offsets commitados nem partições atribuídas${members > 0 ? `, embora tenha ${plural(members, 'membro', 'membros')}: talvez ainda esteja entrando (rebalanceamento)` : ''}.`]
  }
  const worst = [...g.partitions].filter(p => p.lag !== null).sort((a, b) => (b.lag ?? 0) - (a.lag ?? 0))[0]
  if (!worst || g.totalLag === 0) {
    out.push(`Lag 0 em todas as partições com commit (${count(g.partitions.length)} no total): o grupo já confirmou tudo o que foi escrito nelas.`)
  } else {
    out.push(`A partição ${worst.partition} de ${worst.topic} tem o maior lag: ${count(worst.lag ?? 0)} ${worst.lag === 1 ? 'mensagem' : 'mensagens'} entre o offset commitado (${worst.committed === null ? 'sem commit' : count(worst.committed)}) e o fim do log (${count(worst.end)}); o lag total do grupo é ${count(g.totalLag)}.`)
    if (worst.member !== null) {
      const prev = before?.detail.id === g.id ? before.detail.partitions.find(p => p.topic === worst.topic && p.partition === worst.partition) : undefined
      const moved = prev && prev.committed !== null && worst.committed !== null && worst.committed > prev.committed
      const still = prev && prev.committed === worst.committed
      out.push(`Ela é lida por ${worst.member}, que está conectado ao grupo${moved
        ? `, e o commit andou de ${count(prev.committed!)} para ${count(worst.committed!)} nos últimos ${duration(before!.ageMs)}: ele está lendo; o lag cai se ele ler mais rápido do que o produtor escreve.`
        : still
          ? `, mas o commit não andou nos últimos ${duration(before!.ageMs)}: ${worst.member} está parado, lento ou sem confirmar o que leu (veja o log dele).`
          : '.'}`)
    } else if (members === 0) {
      out.push('Nenhum membro está conectado: ninguém lê, e o lag só cai quando um consumidor do grupo voltar — ele recomeça do offset commitado.')
    } else {
      out.push(`Nenhum dos ${plural(members, 'membro', 'membros')} tem essa partição agora: o grupo está rebalanceando, ou os membros não assinam mais esse tópico.`)
    }
  }
  const idle = g.members.filter(m => m.assignments.every(a => a.partitions.length === 0))
  if (idle.length > 0 && members > 0) out.push(`${plural(idle.length, 'membro está', 'membros estão')} sem partição (${idle.map(m => m.clientId).join(', ')}): há mais membros que partições, e cada partição é lida por um só membro do grupo.`)
  const uncommitted = g.partitions.filter(p => p.lag === null).length
  if (uncommitted > 0) out.push(`${plural(uncommitted, 'partição está', 'partições estão')} sem commit: o lag dela depende do auto.offset.reset de quem a ler.`)
  return out
}

/** The metrics page's panel, from the gateway's figures on screen. */
export function statsExplain (s: StatsSnapshot): string[] {
  const o = s.orders
  if (o.created === 0) return ['O gateway ainda não viu nenhum pedido desde que começou: faça um em “Novo pedido” ou ligue o gerador de tráfego.']
  const out = [`Desde que o gateway começou: ${plural(o.created, 'pedido criado', 'pedidos criados')}, ${count(o.confirmed)} ${o.confirmed === 1 ? 'confirmado' : 'confirmados'}, ${count(o.failed)} ${o.failed === 1 ? 'falhou' : 'falharam'} e ${count(o.pending)} em andamento.`]
  const ended = o.confirmed + o.failed
  if (s.successRate !== null) out.push(`Taxa de sucesso ${percent(s.successRate)}: dos ${plural(ended, 'pedido que terminou', 'pedidos que terminaram')}, ${plural(o.confirmed, 'foi confirmado', 'foram confirmados')}${s.meanProcessingMs !== null ? `, em ${duration(s.meanProcessingMs)} em média de orders.new até o fim` : ''}.`)
  out.push(s.compensations + s.deadLetters === 0
    ? 'Nenhuma compensação e nenhuma dead-letter: nada precisou ser desfeito nem ficou sem processar.'
    : `${plural(s.compensations, 'compensação', 'compensações')} (estornos e liberações de estoque de pedidos que falharam) e ${plural(s.deadLetters, 'dead-letter', 'dead-letters')} (eventos que nenhum serviço conseguiu processar).`)
  return out
}

/** The order page's panel, from its timeline (oldest first) as the page shows it. */
export function orderExplain (steps: readonly LiveEvent[]): string[] {
  const first = steps[0]
  const last = steps.at(-1)
  if (!first || !last) return []
  const writers = [...new Set(steps.map(e => e.producer).filter((p): p is string => p !== null))]
  const ended = steps.find(e => TERMINAL.has(e.topic))
  const span = duration(last.timestamp - first.timestamp)
  const events = plural(steps.length, 'evento', 'eventos')
  const out: string[] = []
  if (ended?.topic === 'orders.confirmed') {
    out.push(`Confirmado: ${events} em ${span} do primeiro ao último, escritos por ${names(writers)}; cada serviço reagiu ao evento do anterior.`)
  } else if (ended) {
    out.push(`Falhou: ${events} em ${span}, escritos por ${names(writers)}.`)
  } else {
    out.push(`Em andamento: ${events} até agora, escritos por ${names(writers)}; o último foi “${stepLabel(last)}” (${last.topic}) às ${clock(last.timestamp).slice(0, 8)}.`)
  }
  const undone = steps.filter(e => e.outcome === 'compensation')
  if (undone.length > 0) out.push(`${plural(undone.length, 'compensação desfez', 'compensações desfizeram')} o que já tinha sido feito (${[...new Set(undone.map(e => e.topic))].join(', ')}): numa saga não há rollback, cada serviço desfaz o seu passo com um evento novo.`)
  else if (ended && ended.topic !== 'orders.confirmed') out.push('Nenhuma compensação: nada do que falhou precisou ser desfeito.')
  if (steps.some(e => e.outcome === 'retry')) out.push('Houve nova tentativa: um serviço não conseguiu processar um evento e o mandou para um tópico de retry, que ele mesmo relê depois de uma espera.')
  return out
}

/** The Flink KPIs page's panel: the last closed window, the live bucket, the best seller and the best tier. */
export function kpisExplain (k: KpiSnapshot | null): string[] {
  const last = k?.windows.at(-1)
  const bucket = k?.live.at(-1)
  const out: string[] = []
  if (!last) {
    out.push('Nenhuma janela de 1 minuto fechou ainda: o Flink só escreve uma janela depois que ela fecha (quando o tempo dos eventos passa do fim dela) e só publica no checkpoint, então os cards ficam em “—” no primeiro minuto e pouco.')
  } else {
    out.push(`Na última janela fechada, ${plural(last.orders, 'pedido confirmado somou', 'pedidos confirmados somaram')} ${money(last.revenueCents)}, de ${plural(last.uniqueCustomers, 'cliente', 'clientes')}: ticket médio ${money(last.avgTicketCents)} (receita ÷ pedidos).`)
  }
  if (bucket) out.push(`O bloco de 5 minutos ao vivo já tem ${plural(bucket.orders, 'pedido', 'pedidos')} (${money(bucket.revenueCents)}): ele é atualizado a cada pedido, sem esperar a janela fechar.`)
  const best = k?.topProducts[0]
  if (best) out.push(`O produto que mais vendeu na última janela foi ${best.productId}: ${plural(best.quantity, 'unidade', 'unidades')} em ${plural(best.orders, 'pedido', 'pedidos')}.`)
  const tier = k?.revenueByTier[0]
  if (tier) out.push(`O tier de cliente que mais fatura é ${tier.tier}: ${money(tier.revenueCents)} em ${plural(tier.orders, 'pedido', 'pedidos')} (o tier vem da tabela de clientes do PostgreSQL, capturada pelo Debezium e juntada a cada pedido no Flink).`)
  return out
}

/** The exercises scoreboard's panel: how many are done, which one comes next and what its checker still misses. */
export function exercisesExplain (list: readonly ExerciseView[]): string[] {
  if (list.length === 0) return []
  const done = list.filter(e => e.status.done).length
  const unavailable = list.filter(e => !e.status.done && e.status.unavailable !== null).length
  const out = [`${count(done)} de ${plural(list.length, 'exercício feito', 'exercícios feitos')}${unavailable > 0 ? ` (${count(unavailable)} não ${unavailable === 1 ? 'roda' : 'rodam'} nesta loja)` : ''}: um exercício conta como feito quando o verificador dele vê o resultado no sistema de verdade, não quando alguém diz que fez.`]
  const next = list.find(e => !e.status.done && e.status.unavailable === null)
  if (!next) out.push(done === list.length ? 'Todos feitos.' : 'Os que faltam não rodam nesta loja (veja o motivo em cada um).')
  else if (next.status.checkedAt === null) out.push(`O próximo é o ${next.n} (${next.title}): comece com make exercicio N=${next.n}; o verificador ainda não olhou.`)
  else out.push(`O próximo é o ${next.n} (${next.title}): o verificador diz que ainda falta ${next.status.missing.length === 0 ? 'algo' : `“${next.status.missing[0]!}”`}${next.status.missing.length > 1 ? ` e mais ${count(next.status.missing.length - 1)}` : ''}.`)
  return out
}

/** The Kafka › Tópicos detail's panel: where the messages are, who leads, whether the replicas keep up. */
export function topicExplain (t: TopicDetail): string[] {
  const parts = t.partitionDetails
  const leaders = new Map<number, number>()
  for (const p of parts) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1)
  const byLeader = [...leaders].sort((a, b) => a[0] - b[0]).map(([b, n]) => `broker ${b} lidera ${n}`).join(', ')
  const out = [`${plural(t.partitions, 'partição', 'partições')}, fator de replicação ${t.replicationFactor}: cada partição tem um líder, o broker que recebe as escritas e as leituras${t.replicationFactor > 1 ? `, e ${plural(t.replicationFactor - 1, 'cópia seguidora', 'cópias seguidoras')}` : ' (e nenhuma cópia: se o broker cair, a partição fica fora do ar)'}; ${byLeader}.`]
  const fullest = [...parts].sort((a, b) => b.messages - a.messages)[0]
  if (!fullest || t.messages === 0) out.push('Nenhuma mensagem guardada agora.')
  else out.push(`${plural(t.messages, 'mensagem guardada', 'mensagens guardadas')}; a partição ${fullest.partition} tem mais (${count(fullest.messages)}, ${percent(fullest.messages / t.messages)}): mensagens com a mesma chave vão sempre para a mesma partição, então chaves repetidas concentram.`)
  const trimmed = parts.filter(p => p.low > 0)
  if (trimmed.length > 0) out.push(`Em ${plural(trimmed.length, 'partição', 'partições')} o início (low) passou de 0: as mensagens mais antigas já foram apagadas (retenção ou compactação); os offsets não recomeçam.`)
  const behind = parts.filter(p => p.outOfSync.length > 0)
  out.push(behind.length > 0
    ? `Fora do ISR: ${behind.map(p => `partição ${p.partition} (broker ${p.outOfSync.join(', ')})`).join('; ')}: essas réplicas estão atrasadas ou com o broker parado, e não contam para acks=all.`
    : 'Todas as réplicas estão no ISR (em dia com o líder).')
  return out
}

/** The dead-letter tab's panel: how many, from which groups and topics, and the most common error. */
export function dlqExplain (records: readonly DeadLetter[]): string[] {
  if (records.length === 0) return ['A dead-letter está vazia: todo evento que um serviço não conseguiu processar de primeira passou numa nova tentativa.']
  const tally = (f: (d: DeadLetter) => string): Array<[string, number]> => {
    const m = new Map<string, number>()
    for (const d of records) m.set(f(d), (m.get(f(d)) ?? 0) + 1)
    return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  }
  const groups = tally(d => d.group).map(([g, n]) => `${count(n)} do grupo ${g}`)
  const topics = tally(d => d.originalTopic).map(([t, n]) => `${count(n)} de ${t}`)
  const [error, times] = tally(d => d.error)[0]!
  return [
    `${plural(records.length, 'mensagem esgotou', 'mensagens esgotaram')} as novas tentativas: ${names(groups)}; vindas de ${names(topics)}.`,
    `O erro mais comum${times > 1 ? ` (${count(times)} vezes)` : ''}: “${error}”. Corrija a causa antes de reprocessar, senão a mensagem volta para cá depois das mesmas tentativas.`
  ]
}

/** What the exactly-once page shows of the sales-counter (its own state type lives in the page). */
export interface CounterFigures {
  mode: 'at-least-once' | 'exactly-once'
  totals: { orders: number, revenueCents: number }
  truth: { orders: number, revenueCents: number } | null
  duplicates: number | null
  batches: { committed: number, aborted: number }
  restoredFrom: { offset: number, orders: number } | null
}

/** The exactly-once page's panel: the counter against the recount, and why they differ or agree in this mode. */
export function exactlyOnceExplain (c: CounterFigures, restarts: number): string[] {
  const out: string[] = []
  const dups = c.duplicates ?? 0
  if (c.truth === null) out.push(`O contador soma ${plural(c.totals.orders, 'pedido', 'pedidos')}; a recontagem direto do tópico ainda não saiu.`)
  else if (dups === 0) out.push(`O contador soma ${plural(c.totals.orders, 'pedido', 'pedidos')} e a recontagem de orders.confirmed dá ${count(c.truth.orders)}: nenhuma duplicata.`)
  else out.push(`O contador soma ${plural(c.totals.orders, 'pedido', 'pedidos')}, mas a recontagem de orders.confirmed dá ${count(c.truth.orders)}: ${plural(dups, 'pedido foi contado', 'pedidos foram contados')} duas vezes.`)
  if (c.mode === 'at-least-once') {
    out.push(`Em at-least-once o total é publicado antes de confirmar os offsets: se o processo cai entre os dois passos${restarts > 0 ? ` (caiu ${count(restarts)}× desde que esta página abriu)` : ''}, a nova instância relê os pedidos já somados e soma de novo.`)
  } else {
    out.push(`Em exactly-once o total e os offsets vão na mesma transação: ${plural(c.batches.committed, 'lote confirmado', 'lotes confirmados')} e ${plural(c.batches.aborted, 'abortado', 'abortados')}; um lote abortado some para quem lê com read_committed, então uma queda não deixa soma dobrada${dups > 0 ? ' — as duplicatas que aparecem vêm de antes, do modo at-least-once' : ''}.`)
  }
  if (c.restoredFrom) out.push(`Esta instância começou do último total confirmado em sales.totals (offset ${count(c.restoredFrom.offset)}, ${plural(c.restoredFrom.orders, 'pedido', 'pedidos')}): o tópico compactado é todo o estado dela.`)
  return out
}

/** The chaos page's panel for the run on screen: the phase, the lag the fault caused, the recovery, the invariants. */
export function chaosExplain (r: ChaosRun): string[] {
  const t = (iso: string): string => (Math.round((Date.parse(iso) - Date.parse(r.startedAt)) / 100) / 10).toLocaleString('pt-BR')
  const within = (from: string | null, to: string | null): ChaosRun['samples'] => r.samples.filter(x => from !== null && x.at >= from && (to === null || x.at <= to))
  const peak = within(r.faultStartedAt, r.recoveredAt ?? r.finishedAt).reduce((m, x) => Math.max(m, x.lag), 0)
  const now = r.samples.at(-1)
  const out: string[] = []
  if (r.phase === 'baseline') out.push(`Medindo o normal antes da falha: lag ${count(now?.lag ?? 0)}, ${(now?.errorsPerSec ?? 0).toLocaleString('pt-BR')} erros/s.`)
  else if (r.phase === 'fault') out.push(`A falha está ligada desde t+${t(r.faultStartedAt!)} s: o lag chegou a ${count(peak)} (agora ${count(now?.lag ?? 0)}) e há ${(now?.errorsPerSec ?? 0).toLocaleString('pt-BR')} erros/s.`)
  else if (r.phase === 'recovering') out.push(`A falha acabou${r.faultEndedAt ? ` em t+${t(r.faultEndedAt)} s` : ''}; esperando o lag voltar a 0 e todo pedido terminar: lag ${count(now?.lag ?? 0)} agora, ${count(peak)} no pico.`)
  else {
    out.push(`Durante a falha o lag chegou a ${count(peak)}; ${r.recoveredAt ? `o sistema se recuperou (lag 0, pedidos terminados) ${r.recoverySeconds ?? '?'} s depois do fim da falha` : 'o sistema não se recuperou no tempo da simulação'}.`)
  }
  if (r.invariants) {
    const broken = r.invariants.checks.filter(c => !c.ok)
    out.push(broken.length === 0
      ? `As invariantes da saga valem para os ${plural(r.invariants.orders, 'pedido', 'pedidos')} criados desde o início: nada se perdeu nem foi feito duas vezes, mesmo com a falha.`
      : `${plural(broken.length, 'invariante quebrou', 'invariantes quebraram')} (${broken.map(c => c.name).join(', ')}) nos ${plural(r.invariants.orders, 'pedido', 'pedidos')}: veja abaixo qual pedido e por quê.`)
  }
  return out
}
