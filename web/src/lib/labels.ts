import type { LiveEvent, Outcome } from './types.ts'

// Everything a class reads, in Brazilian Portuguese.

export const OUTCOME_LABEL: Record<Outcome, string> = {
  started: 'início',
  progress: 'em andamento',
  success: 'sucesso',
  failure: 'falha',
  compensation: 'compensação',
  retry: 'nova tentativa',
  'dead-letter': 'dead-letter',
  unknown: 'desconhecido'
}

export const OUTCOMES: Outcome[] = ['started', 'progress', 'success', 'failure', 'compensation', 'retry', 'dead-letter', 'unknown']

export const MODE_LABEL: Record<string, string> = {
  choreography: 'coreografia',
  orchestration: 'orquestração'
}

const STEP: Record<string, string> = {
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
  'orders.failed': 'Pedido falhou',
  'notifications.sent': 'Cliente notificado',
  'orders.dlq': 'Mensagem na dead-letter',
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

export function reasonLabel (reason: string | null | undefined): string {
  if (!reason) return ''
  return REASON[reason] ?? reason
}

/** A human name for what the event says happened. */
export function stepLabel (e: Pick<LiveEvent, 'topic' | 'value' | 'kind'>): string {
  const v = (e.value ?? {}) as { command?: string, outcome?: string }
  if (e.kind === 'command' && v.command) return COMMAND[v.command] ?? `Comando ${v.command}`
  if (e.kind === 'reply' && v.outcome) return REPLY[v.outcome] ?? `Resposta ${v.outcome}`
  return STEP[e.topic] ?? e.topic
}

export const SERVICE_LABEL: Record<string, string> = {
  'checkout-api': 'checkout-api',
  payment: 'payment',
  inventory: 'inventory',
  notification: 'notification',
  orchestrator: 'orchestrator',
  gateway: 'gateway'
}
