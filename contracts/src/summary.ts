import type { AvroTopicValues, EventTopic, Item, TopicValues } from './events.ts'
import { HEADERS } from './headers.ts'
import { findTopic } from './topics.ts'

// The one pt-BR wording of what an event says: the order history in checkout-api, the trace of
// /compare and the live UI all read it from here. No node-only import: the web bundles this file
// (through the `@vitrine/contracts/summary` entry, which leaves the Avro and file-system code out).

const TITLE: Record<string, string> = {
  'products.catalog': 'Produto no catálogo (preço, ativo)',
  'orders.new': 'Pedido criado',
  'payments.requested': 'Pagamento solicitado',
  'payments.approved': 'Pagamento aprovado',
  'payments.failed': 'Pagamento recusado',
  'payments.refunded': 'Pagamento estornado',
  'inventory.reserved': 'Estoque reservado',
  'inventory.failed': 'Estoque insuficiente',
  'inventory.released': 'Reserva liberada',
  'orders.confirmed': 'Pedido confirmado',
  'sales.totals': 'Totais de vendas',
  'orders.failed': 'Pedido falhou',
  'notifications.sent': 'Cliente notificado',
  'orders.dlq': 'Mensagem na dead-letter',
  'streams.order-kpis': 'KPIs da janela de 1 min (Flink)',
  'streams.top-products': 'Top produtos da janela (Flink)',
  'streams.live-kpis': 'KPIs ao vivo, bloco de 5 min (Flink)',
  'streams.enriched-orders': 'Item de pedido enriquecido (Flink)',
  'streams.revenue-by-tier': 'Receita por tier (Flink)',
  'customers.cdc': 'Cliente mudou no banco (Debezium)',
  'products.cdc': 'Produto mudou no banco (Debezium)',
  'orders.retry.5s': 'Nova tentativa em 5 s',
  'orders.retry.30s': 'Nova tentativa em 30 s',
  'orders.retry.5m': 'Nova tentativa em 5 min'
}

const COMMAND: Record<string, string> = {
  CHARGE: 'Comando: cobrar',
  REFUND: 'Comando: estornar',
  RESERVE: 'Comando: reservar estoque',
  RELEASE: 'Comando: liberar reserva',
  COMMIT: 'Comando: efetivar venda',
  CONFIRM: 'Comando: confirmar pedido',
  FAIL: 'Comando: falhar pedido'
}

const REPLY: Record<string, string> = {
  APPROVED: 'Resposta: pagamento aprovado',
  DECLINED: 'Resposta: pagamento recusado',
  REFUNDED: 'Resposta: estorno feito',
  NOTHING_TO_REFUND: 'Resposta: nada a estornar',
  RESERVED: 'Resposta: estoque reservado',
  FAILED: 'Resposta: estoque insuficiente',
  RELEASED: 'Resposta: reserva liberada',
  COMMITTED: 'Resposta: venda efetivada',
  NOTHING_TO_RELEASE: 'Resposta: nada a liberar'
}

const REASON: Record<string, string> = {
  payment_failed: 'pagamento recusado',
  inventory_failed: 'estoque insuficiente',
  deadline_exceeded: 'prazo do pedido estourou',
  forced_by_trigger: 'forçado pelo gatilho do professor',
  declined_by_issuer: 'recusado pela operadora (taxa de falha)',
  insufficient_stock: 'estoque insuficiente',
  unknown_product: 'produto desconhecido',
  order_cancelled: 'pedido cancelado',
  charge_cancelled: 'cobrança cancelada',
  saga_failed: 'a saga falhou',
  saga_compensation: 'compensação da saga',
  no_charge: 'nada foi cobrado',
  no_reservation: 'nada foi reservado'
}

const VERB: Record<string, string> = { CHARGE: 'cobrar', REFUND: 'estornar', RESERVE: 'reservar', RELEASE: 'liberar', COMMIT: 'efetivar a venda', CONFIRM: 'confirmar', FAIL: 'encerrar como falho' }

const NOTIFICATION: Record<string, string> = {
  ORDER_CONFIRMED: 'pedido confirmado',
  ORDER_FAILED: 'pedido falhou',
  OUT_OF_STOCK: 'sem estoque'
}

/** A reason code in pt-BR; a code we do not know yet is shown as it came. */
export function reasonLabel (reason: string | null | undefined): string {
  if (!reason) return ''
  return REASON[reason] ?? reason
}

/**
 * A failure's detail in pt-BR. checkout-api stores the upstream reason there, alone
 * (`forced_by_trigger`) or followed by what it is about (`insufficient_stock: prod_6`): the code
 * is translated, the rest (a product id, a sentence already in pt-BR) kept as it came.
 */
export function detailLabel (detail: string | null | undefined): string {
  if (!detail) return ''
  const m = /^([a-z][a-z0-9_]*)(?::\s*(.*))?$/s.exec(detail)
  if (!m || !Object.hasOwn(REASON, m[1]!)) return detail
  return m[2] ? `${REASON[m[1]!]}: ${m[2]}` : REASON[m[1]!]!
}

const TOPIC_KIND: Record<string, string> = {
  event: 'evento',
  command: 'comando',
  reply: 'resposta',
  'dead-letter': 'dead-letter (DLQ)',
  retry: 'nova tentativa'
}

/** A catalog topic's kind (topics.ts `kind`) in pt-BR. */
export function topicKindLabel (kind: string | null | undefined): string {
  if (!kind) return ''
  return TOPIC_KIND[kind] ?? kind
}

/** A notification's kind (notifications.sent `kind`) in pt-BR. */
export function notificationLabel (kind: string): string {
  return NOTIFICATION[kind] ?? kind
}

/** Cents as money in pt-BR (R$ 12,34); anything else (a value that lacks the field) as `?`. */
// One formatter per currency: building an Intl.NumberFormat costs far more than formatting with it
// (it was ~4% of checkout-api's CPU, one per history line).
const moneyFormats = new Map<string, Intl.NumberFormat>()

export function moneyLabel (cents: unknown, currency = 'BRL'): string {
  if (typeof cents !== 'number' || !Number.isFinite(cents)) return '?'
  try {
    let format = moneyFormats.get(currency)
    if (!format) {
      format = new Intl.NumberFormat('pt-BR', { style: 'currency', currency })
      moneyFormats.set(currency, format)
    }
    return format.format(cents / 100)
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`
  }
}

function itemsLabel (items: readonly Item[] | undefined): string {
  if (!Array.isArray(items) || items.length === 0) return 'nenhum item'
  return items.map(i => `${i.quantity}× ${i.productId}`).join(', ')
}

const because = (reason: string | null | undefined): string => reason ? ` (${reasonLabel(reason)})` : ''

/** The short name of the step a record stands for: what the UI shows as an event's title. */
export function eventTitle (topic: string, value: unknown): string {
  const v = (value ?? {}) as { command?: unknown, outcome?: unknown }
  const kind = findTopic(topic)?.kind
  if (kind === 'command' && typeof v.command === 'string') return COMMAND[v.command] ?? `Comando ${v.command}`
  if (kind === 'reply' && typeof v.outcome === 'string') return REPLY[v.outcome] ?? `Resposta ${v.outcome}`
  return TITLE[topic] ?? topic
}

// One entry per catalog topic with a schema: the compiler checks each reads only its topic's fields.
const DETAIL: { [T in keyof AvroTopicValues]: (v: AvroTopicValues[T]) => string } = {
  'products.catalog': v => `${v.name} (${v.productId}) a ${moneyLabel(v.priceCents, v.currency)}, ${v.active ? 'ativo' : 'inativo'}, versão ${v.version}`,
  'orders.new': v => `${v.items?.length ?? 0} item(ns), total ${moneyLabel(v.totalCents, v.currency)}, canal ${v.channel}`,
  'payments.requested': v => `valor ${moneyLabel(v.amountCents)}`,
  'payments.approved': v => `valor ${moneyLabel(v.amountCents)}`,
  'payments.failed': v => `motivo: ${reasonLabel(v.reason)}`,
  'payments.refunded': v => `valor ${moneyLabel(v.amountCents)}, motivo: ${reasonLabel(v.reason)}`,
  'inventory.reserved': v => itemsLabel(v.items),
  'inventory.failed': v => `motivo: ${reasonLabel(v.reason)}${v.productId ? ` (${v.productId}: pediu ${v.requested}, havia ${v.available})` : ''}`,
  'inventory.released': v => `${itemsLabel(v.items)}${because(v.reason)}`,
  'orders.confirmed': v => `total ${moneyLabel(v.totalCents)}`,
  'sales.totals': v => `${v.orders} pedido(s), receita ${moneyLabel(v.revenueCents)}, modo ${v.mode === 'EXACTLY_ONCE' ? 'exactly-once' : 'at-least-once'}`,
  'orders.failed': v => `motivo: ${reasonLabel(v.reason)}${v.detail ? ` (${detailLabel(v.detail)})` : ''}`,
  'notifications.sent': v => `${NOTIFICATION[v.kind] ?? v.kind}, por ${(v.channels ?? []).join(', ') || 'nenhum canal'}`,
  'payments.commands': v => `valor ${moneyLabel(v.amountCents)}${because(v.reason)}`,
  'payments.replies': v => `ao comando ${VERB[v.command] ?? v.command}${because(v.reason)}`,
  'inventory.commands': v => `${itemsLabel(v.items)}${because(v.reason)}`,
  'inventory.replies': v => `ao comando ${VERB[v.command] ?? v.command}${because(v.reason)}${v.productId ? `, produto ${v.productId}` : ''}`,
  'orders.commands': v => `${v.reason ? `motivo: ${reasonLabel(v.reason)}` : 'saga concluída'}${v.detail ? ` (${detailLabel(v.detail)})` : ''}`,
  'streams.order-kpis': v => `${v.orders} pedido(s), receita ${moneyLabel(v.revenueCents)}, ticket médio ${moneyLabel(v.avgTicketCents)}, ${v.uniqueCustomers} cliente(s)`,
  'streams.top-products': v => `${v.rank}º ${v.productId}: ${v.quantity} unidade(s) em ${v.orders} pedido(s)`,
  'streams.live-kpis': v => `${v.orders} pedido(s), receita ${moneyLabel(v.revenueCents)}, ticket médio ${moneyLabel(v.avgTicketCents)}`,
  'streams.enriched-orders': v => `${v.quantity}× ${v.productName ?? v.productId} para ${v.customerName ?? v.customerId} (tier ${v.customerTier ?? 'desconhecido'})`,
  'streams.revenue-by-tier': v => `tier ${v.tier}: ${v.orders} pedido(s), receita ${moneyLabel(v.revenueCents)}`
}

/** One line in pt-BR about a saga event: its step, then what its own fields say. */
export function summarizeEvent<T extends EventTopic> (topic: T, value: TopicValues[T]): string {
  return `${eventTitle(topic, value)}: ${(DETAIL[topic] as (v: TopicValues[T]) => string)(value)}`
}

function isAvroTopic (topic: string): topic is keyof AvroTopicValues {
  return Object.hasOwn(DETAIL, topic)
}

/**
 * The same line for a record whose type is not known statically: a decoded value that arrived as
 * JSON (the browser), a dead-letter or retry record (raw bytes, described from its headers), or a
 * value that could not be decoded (null).
 */
export function summarizeRecord (topic: string, value: unknown, headers: Record<string, string> = {}): string {
  const kind = findTopic(topic)?.kind
  if (kind === 'dead-letter') return `${eventTitle(topic, value)}: veio de ${headers[HEADERS.originalTopic] ?? '?'}${headers[HEADERS.error] ? `, erro: ${headers[HEADERS.error]}` : ''}`
  if (kind === 'retry') return `${eventTitle(topic, value)}: ${headers[HEADERS.originalTopic] ?? '?'}`
  if (isAvroTopic(topic) && value !== null && typeof value === 'object') return `${eventTitle(topic, value)}: ${(DETAIL[topic] as (v: unknown) => string)(value)}`
  return eventTitle(topic, value)
}
