import type { ServiceName } from './services.ts'
import type { EventTopic } from './events.ts'
import { CONSUMER_SERVICES } from './services.ts'

// The single source of truth for every topic Vitrine uses: name, layout, retention, key,
// value schema, the one service that writes it and the services that read it.
// `infra` applies it to the broker (creating what is missing, reporting drift); services
// take their topic names and schemas from here; the web UI draws its flow graph from it.

export type TopicConfig = Record<string, string>

export interface TopicSpec {
  name: string
  /** What the topic is for, in pt-BR: shown in the UI and the README. */
  description: string
  partitions: number
  /** Desired replication; clamped to the number of brokers on a smaller cluster. */
  replicationFactor: number
  /** Topic-level configs (cleanup, retention, min.insync.replicas ...), as the broker spells them. */
  config: TopicConfig
  /**
   * What the record key holds; every saga topic is keyed by orderId so an order stays on one
   * partition. The compacted catalog is keyed by productId: compaction keeps the newest record per key.
   * A counter's output (sales.totals) is keyed by the counter's name: one running total per key.
   * The stream jobs' outputs (streams.*) are keyed by their window (its start, plus the rank in a
   * top-N) or by the customer tier; enriched orders by orderId. The CDC topics (*.cdc) by the
   * captured row's primary key, as Debezium writes it ({"customer_id": …}, {"id": …}).
   */
  key: 'orderId' | 'productId' | 'customerId' | 'original' | 'counter' | 'window' | 'tier'
  /** Avro schema name under contracts/schemas (`<schema>.v<N>.avsc`), or null for raw bytes. */
  schema: string | null
  /** The one service that writes it; the shared dead-letter/retry topics name the consumers that may. */
  writer: ServiceName | readonly ServiceName[]
  readers: readonly ServiceName[]
  /** How the UI groups it. */
  kind: 'event' | 'command' | 'reply' | 'dead-letter' | 'retry'
}

const WEEK_MS = String(7 * 24 * 60 * 60 * 1000)
// The DLQ keeps a record a month; a retry tier holds records already committed away from their
// source topic, so it keeps them as long (a group down over a weekend must not lose a retried refund).
export const DLQ_RETENTION_MS = 30 * 24 * 60 * 60 * 1000
const DEFAULT_RF = 3
const event = (config: TopicConfig = {}): TopicConfig => ({ 'cleanup.policy': 'delete', 'retention.ms': WEEK_MS, 'min.insync.replicas': '2', ...config })

export const RETRY_TIERS = [
  { topic: 'orders.retry.5s', delayMs: 5_000 },
  { topic: 'orders.retry.30s', delayMs: 30_000 },
  { topic: 'orders.retry.5m', delayMs: 300_000 }
] as const

export const DLQ_TOPIC = 'orders.dlq'

export const TOPICS = [
  {
    name: 'products.catalog',
    description: 'Catálogo de produtos (compactado): o estado atual de cada produto, com nome, preço e se está ativo. O checkout-api mantém uma réplica dele e cobra esse preço.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    // Compacted: the newest record per productId is kept for ever, so a new reader rebuilds the whole catalog from offset 0.
    config: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(60 * 60 * 1000) },
    key: 'productId',
    schema: 'product',
    writer: 'inventory',
    readers: ['checkout-api', 'gateway'],
    kind: 'event'
  },
  {
    name: 'orders.new',
    description: 'Pedido criado pelo checkout-api. Início de toda saga, nos dois modos.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'order-created',
    writer: 'checkout-api',
    readers: ['payment', 'orchestrator', 'gateway', 'streams'],
    kind: 'event'
  },
  {
    name: 'payments.requested',
    description: 'O pagamento do pedido começou a ser processado.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'payment-requested',
    writer: 'payment',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'payments.approved',
    description: 'Pagamento aprovado; o estoque reage reservando os itens (coreografia).',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'payment-approved',
    writer: 'payment',
    readers: ['inventory', 'gateway'],
    kind: 'event'
  },
  {
    name: 'payments.failed',
    description: 'Pagamento recusado; o pedido falha sem nada a compensar.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'payment-failed',
    writer: 'payment',
    readers: ['checkout-api', 'gateway'],
    kind: 'event'
  },
  {
    name: 'payments.refunded',
    description: 'Compensação: a cobrança foi estornada (uma única vez por pedido).',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'payment-refunded',
    writer: 'payment',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'inventory.reserved',
    description: 'Todos os itens do pedido foram reservados numa única transação.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'inventory-reserved',
    writer: 'inventory',
    readers: ['checkout-api', 'gateway'],
    kind: 'event'
  },
  {
    name: 'inventory.failed',
    description: 'Estoque insuficiente (ou produto desconhecido); o pagamento estorna.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'inventory-failed',
    writer: 'inventory',
    readers: ['checkout-api', 'payment', 'notification', 'gateway'],
    kind: 'event'
  },
  {
    name: 'inventory.released',
    description: 'Compensação: a reserva voltou ao estoque disponível.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'inventory-released',
    writer: 'inventory',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'orders.confirmed',
    description: 'Pedido confirmado: pago e com estoque reservado.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'order-confirmed',
    writer: 'checkout-api',
    readers: ['inventory', 'notification', 'gateway', 'sales-counter', 'streams'],
    kind: 'event'
  },
  {
    name: 'sales.totals',
    description: 'Totais de vendas (pedidos confirmados e receita) do sales-counter, compactado: o último registro é o estado dele. Em exactly-once é escrito em transações Kafka (lido em read_committed).',
    // One partition: one running total, kept in order.
    partitions: 1,
    replicationFactor: DEFAULT_RF,
    config: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(60 * 60 * 1000) },
    key: 'counter',
    schema: 'sales-totals',
    writer: 'sales-counter',
    readers: ['sales-counter', 'gateway'],
    kind: 'event'
  },
  {
    name: 'orders.failed',
    description: 'Pedido falhou (pagamento, estoque ou prazo); dispara as compensações.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'order-failed',
    writer: 'checkout-api',
    readers: ['payment', 'inventory', 'notification', 'gateway'],
    kind: 'event'
  },
  {
    name: 'notifications.sent',
    description: 'E-mail, SMS e push simulados foram enviados ao cliente.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'notification-sent',
    writer: 'notification',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'payments.commands',
    description: 'Orquestração: comandos do orquestrador para o pagamento (cobrar, estornar).',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'payment-command',
    writer: 'orchestrator',
    readers: ['payment', 'gateway'],
    kind: 'command'
  },
  {
    name: 'payments.replies',
    description: 'Orquestração: respostas do pagamento ao orquestrador.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'payment-reply',
    writer: 'payment',
    readers: ['orchestrator', 'gateway'],
    kind: 'reply'
  },
  {
    name: 'inventory.commands',
    description: 'Orquestração: comandos do orquestrador para o estoque (reservar, liberar, efetivar).',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'inventory-command',
    writer: 'orchestrator',
    readers: ['inventory', 'gateway'],
    kind: 'command'
  },
  {
    name: 'inventory.replies',
    description: 'Orquestração: respostas do estoque ao orquestrador.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'inventory-reply',
    writer: 'inventory',
    readers: ['orchestrator', 'gateway'],
    kind: 'reply'
  },
  {
    name: 'orders.commands',
    description: 'Orquestração: o orquestrador diz ao checkout-api como a saga terminou.',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'order-command',
    writer: 'orchestrator',
    readers: ['checkout-api', 'gateway'],
    kind: 'command'
  },
  {
    name: 'streams.order-kpis',
    description: 'KPIs dos pedidos confirmados por janela de 1 minuto (pedidos, receita, ticket médio, clientes únicos), calculados pelo Flink SQL (services/streams/sql/order_kpis.sql). Um registro por janela, quando ela fecha.',
    partitions: 1,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'window',
    schema: 'order-kpis',
    writer: 'streams',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'streams.top-products',
    description: 'Os 3 produtos mais pedidos (em unidades) por janela de 1 minuto, calculados pelo Flink SQL (top_products.sql). Chave: início da janela + posição.',
    partitions: 1,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'window',
    schema: 'top-products',
    writer: 'streams',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'streams.live-kpis',
    description: 'KPIs do bloco de 5 minutos corrente, atualizados a cada pedido confirmado (tabela upsert do Flink SQL, live_kpis.sql; compactado: o último registro de cada bloco vale).',
    partitions: 1,
    replicationFactor: DEFAULT_RF,
    // A table: the newest record per 5-minute bucket is its value.
    config: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(60 * 60 * 1000) },
    key: 'window',
    schema: 'live-kpis',
    writer: 'streams',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'streams.enriched-orders',
    description: 'Cada item de cada pedido com o cliente (nome, tier) e o produto como eram na hora do pedido: join temporal do Flink SQL com as tabelas capturadas pelo Debezium (enriched_orders.sql).',
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event(),
    key: 'orderId',
    schema: 'enriched-order',
    writer: 'streams',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'streams.revenue-by-tier',
    description: 'Receita acumulada por tier de cliente (bronze, silver, gold), cada pedido no tier que o cliente tinha na hora do pedido: join temporal do Flink SQL de orders.new com customers.cdc, tabela upsert (revenue_by_tier.sql); compactado: o último registro de cada tier vale.',
    partitions: 1,
    replicationFactor: DEFAULT_RF,
    config: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(60 * 60 * 1000) },
    key: 'tier',
    schema: 'revenue-by-tier',
    writer: 'streams',
    readers: ['gateway'],
    kind: 'event'
  },
  {
    name: 'customers.cdc',
    description: 'Cada mudança da tabela customers do checkout-api (cliente e tier bronze/silver/gold), lida do WAL do PostgreSQL pelo Debezium (Kafka Connect) e escrita em JSON do Debezium (before/after/op). O Flink a lê como tabela de changelog (debezium-json). Compactado: o último registro de cada cliente é o estado dele.',
    // One partition: a small table, read whole by every job.
    partitions: 1,
    replicationFactor: DEFAULT_RF,
    config: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(60 * 60 * 1000) },
    key: 'customerId',
    // Debezium's JSON, not Avro: Confluent's AvroConverter is not on Maven Central.
    schema: null,
    writer: 'connect',
    readers: ['streams'],
    kind: 'event'
  },
  {
    name: 'products.cdc',
    description: 'Cada mudança de nome, preço ou disponibilidade da tabela products do inventory (não as de estoque), capturada do WAL pelo Debezium em JSON do Debezium. O Flink a lê como tabela de changelog para saber o preço de um produto na hora do pedido.',
    partitions: 1,
    replicationFactor: DEFAULT_RF,
    config: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(60 * 60 * 1000) },
    key: 'productId',
    schema: null,
    writer: 'connect',
    readers: ['streams'],
    kind: 'event'
  },
  ...RETRY_TIERS.map(({ topic, delayMs }) => ({
    name: topic,
    description: `Nova tentativa após ${delayMs / 1000}s para mensagens que falharam com erro transitório.`,
    partitions: 3,
    replicationFactor: DEFAULT_RF,
    config: event({ 'retention.ms': String(DLQ_RETENTION_MS) }),
    key: 'original' as const,
    schema: null,
    writer: CONSUMER_SERVICES,
    readers: CONSUMER_SERVICES,
    kind: 'retry' as const
  })),
  {
    name: DLQ_TOPIC,
    description: 'Dead-letter: mensagens que não puderam ser decodificadas ou falharam em todas as tentativas, com a origem nos headers.',
    partitions: 1,
    replicationFactor: DEFAULT_RF,
    config: event({ 'retention.ms': String(DLQ_RETENTION_MS) }),
    key: 'original',
    schema: null,
    // sales-counter has its own consumer (Kafka transactions) and dead-letters undecodable records too.
    writer: [...CONSUMER_SERVICES, 'sales-counter'],
    readers: ['gateway'],
    kind: 'dead-letter'
  }
] as const satisfies readonly TopicSpec[]

export type TopicName = typeof TOPICS[number]['name']

type ReadBy<T, S> = T extends { name: infer N extends string, readers: ReadonlyArray<infer R> } ? (S extends R ? N : never) : never

/** The catalog topics that list `S` among their readers (the retry tiers included), at the type level. */
export type TopicsReadBy<S extends ServiceName> = ReadBy<typeof TOPICS[number], S>

/** The Avro topics `S` reads: the ones its consumers may have a handler for. */
export type EventTopicsReadBy<S extends ServiceName> = Extract<TopicsReadBy<S>, EventTopic>

const byName = new Map<string, TopicSpec>(TOPICS.map(t => [t.name, t]))

export function topic (name: TopicName): TopicSpec {
  return byName.get(name)!
}

export function findTopic (name: string): TopicSpec | undefined {
  return byName.get(name)
}

export function writersOf (spec: TopicSpec): readonly ServiceName[] {
  return typeof spec.writer === 'string' ? [spec.writer] : spec.writer
}

export function topicsWrittenBy (service: ServiceName): TopicSpec[] {
  return TOPICS.filter(t => writersOf(t).includes(service))
}

export function topicsReadBy (service: ServiceName): TopicSpec[] {
  return TOPICS.filter(t => (t.readers as readonly string[]).includes(service))
}
