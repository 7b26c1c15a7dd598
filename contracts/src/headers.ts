// Kafka header names used by every service. One place, so producers and consumers never disagree.
export const HEADERS = {
  eventType: 'event-type',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  sagaMode: 'saga-mode',
  producer: 'producer',
  // Dead-letter and retry bookkeeping (see service-kit's consumer).
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  error: 'dlq-error',
  attempts: 'dlq-attempts',
  failedBy: 'dlq-failed-by',
  /** Why it was dead-lettered: undecodable, permanent, retries_exhausted. */
  reason: 'dlq-reason',
  /** Set when the DLQ copy had to leave the value out (too large): the original is still at its origin. */
  valueDropped: 'dlq-value-dropped',
  retryGroup: 'retry-group',
  /** Set by the outbox relay: the row's id, increasing per key, so a reader can check an order's events kept their order. */
  sequence: 'outbox-seq',
  /** On a DLQ replay: the DLQ record it came from (topic:partition:offset). */
  replayedFrom: 'dlq-replayed-from',
  /** On a saga command sent again because its step went unanswered: which re-send (1, 2 ...). */
  resend: 'saga-resend',
  retryDueAt: 'retry-due-at'
} as const

export const SAGA_MODES = ['choreography', 'orchestration'] as const
export type SagaMode = typeof SAGA_MODES[number]

export function isSagaMode (value: unknown): value is SagaMode {
  return typeof value === 'string' && (SAGA_MODES as readonly string[]).includes(value)
}

/** The saga mode a record belongs to; a record without the header is choreography, the default style. */
export function sagaModeOf (headers: Record<string, string>): SagaMode {
  return headers[HEADERS.sagaMode] === 'orchestration' ? 'orchestration' : 'choreography'
}
