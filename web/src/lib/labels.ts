import { eventTitle } from '@vitrine/contracts/summary'
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
  orchestration: 'orquestração',
  // The traffic generator's third mode: it alternates the two.
  mixed: 'misto (alterna)'
}

// What an event says (its title, its one-line summary, reason codes) is worded once, in contracts;
// this entry of it has no node-only code, so the bundle stays browser-only.
export { detailLabel, notificationLabel, reasonLabel, summarizeRecord, topicKindLabel } from '@vitrine/contracts/summary'

/** A human name for what the event says happened (the catalog gives the topic's kind). */
export function stepLabel (e: Pick<LiveEvent, 'topic' | 'value'> & Partial<Pick<LiveEvent, 'kind'>>): string {
  return eventTitle(e.topic, e.value)
}

export const SERVICE_LABEL: Record<string, string> = {
  'checkout-api': 'checkout-api',
  payment: 'payment',
  inventory: 'inventory',
  notification: 'notification',
  orchestrator: 'orchestrator',
  gateway: 'gateway'
}
