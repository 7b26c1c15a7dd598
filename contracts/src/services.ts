// Every service that writes or reads a topic. The catalog refers to these names only.
export const SERVICES = [
  'checkout-api',
  'payment',
  'inventory',
  'notification',
  'orchestrator',
  'gateway',
  'sales-counter',
  // The Flink SQL jobs of services/streams/sql: their output topics' one writer.
  'streams',
  // Kafka Connect's Debezium connector (infra/src/streams-connect.ts): the CDC topics' one writer.
  'connect'
] as const

export type ServiceName = typeof SERVICES[number]

// Consumer services share the dead-letter and retry machinery (service-kit), so they may write those topics.
export const CONSUMER_SERVICES: readonly ServiceName[] = ['checkout-api', 'payment', 'inventory', 'notification', 'orchestrator']
