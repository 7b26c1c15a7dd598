// TypeScript shapes of the Avro records in ../schemas (latest version of each).
// test/unit/events.test.ts checks a sample of each against its schema.

export interface Item { productId: string, quantity: number }
export interface PricedItem extends Item { unitPriceCents: number }

interface Base { eventId: string, orderId: string, occurredAt: number }

export interface OrderCreated extends Base { customerId: string, items: PricedItem[], totalCents: number, currency: string, deadlineAt: number, channel: string }
export interface PaymentRequested extends Base { paymentId: string, customerId: string, amountCents: number }
export interface PaymentApproved extends Base { paymentId: string, customerId: string, amountCents: number, items: Item[] }
export interface PaymentFailed extends Base { paymentId: string, customerId: string, reason: string }
export interface PaymentRefunded extends Base { paymentId: string, customerId: string, amountCents: number, reason: string }
export interface InventoryReserved extends Base { customerId: string, items: Item[] }
export interface InventoryFailed extends Base { customerId: string, reason: string, productId: string | null, requested: number, available: number }
export interface InventoryReleased extends Base { customerId: string, items: Item[], reason: string }
export interface OrderConfirmed extends Base { customerId: string, totalCents: number }
export interface OrderFailed extends Base { customerId: string, reason: string, detail: string | null }
export interface NotificationSent extends Base { customerId: string, kind: 'ORDER_CONFIRMED' | 'ORDER_FAILED' | 'OUT_OF_STOCK', channels: string[] }

export interface PaymentCommand extends Base { command: 'CHARGE' | 'REFUND', customerId: string, amountCents: number, items: Item[], reason: string | null }
export interface PaymentReply extends Base { command: 'CHARGE' | 'REFUND', outcome: 'APPROVED' | 'DECLINED' | 'REFUNDED' | 'NOTHING_TO_REFUND', paymentId: string | null, reason: string | null }
export interface InventoryCommand extends Base { command: 'RESERVE' | 'RELEASE' | 'COMMIT', customerId: string, items: Item[], reason: string | null }
export interface InventoryReply extends Base { command: 'RESERVE' | 'RELEASE' | 'COMMIT', outcome: 'RESERVED' | 'FAILED' | 'RELEASED' | 'COMMITTED' | 'NOTHING_TO_RELEASE', reason: string | null, productId: string | null }
/** products.catalog: not part of a saga, so no orderId; keyed by productId. */
export interface Product { eventId: string, productId: string, name: string, priceCents: number, currency: string, active: boolean, version: number, occurredAt: number }

/** sales.totals: the sales-counter's running totals, keyed by the counter's name; not part of a saga. */
export interface SalesTotals { eventId: string, counter: string, orders: number, revenueCents: number, mode: 'AT_LEAST_ONCE' | 'EXACTLY_ONCE', positions: Array<{ partition: number, offset: number }>, instanceId: string, occurredAt: number }

// The Flink SQL jobs' outputs (services/streams/sql); times are epoch ms (Avro timestamp-millis).
/** streams.order-kpis: confirmed orders of one 1-minute window. */
export interface OrderKpis { windowStart: number, windowEnd: number, orders: number, revenueCents: number, avgTicketCents: number, uniqueCustomers: number }
/** streams.live-kpis: the running KPIs of one 5-minute bucket. */
export interface LiveKpis { bucketStart: number, orders: number, revenueCents: number, avgTicketCents: number, uniqueCustomers: number }
/** streams.top-products: one of a window's 3 most ordered products. */
export interface TopProduct { windowStart: number, windowEnd: number, rank: number, productId: string, quantity: number, orders: number, revenueCents: number }
/** streams.enriched-orders: one order line with its customer and product as they were at the order's time. */
export interface EnrichedOrderLine { orderId: string, customerId: string, customerName: string | null, customerTier: string | null, productId: string, productName: string | null, quantity: number, unitPriceCents: number, catalogPriceCents: number | null, lineCents: number, occurredAt: number }
/** streams.revenue-by-tier: the running revenue of one customer tier. */
export interface RevenueByTier { tier: string, orders: number, revenueCents: number, avgTicketCents: number }

export interface OrderCommand extends Base { command: 'CONFIRM' | 'FAIL', reason: string | null, detail: string | null }

/** The value type written to each Avro topic. */
export interface TopicValues {
  'products.catalog': Product
  'orders.new': OrderCreated
  'payments.requested': PaymentRequested
  'payments.approved': PaymentApproved
  'payments.failed': PaymentFailed
  'payments.refunded': PaymentRefunded
  'inventory.reserved': InventoryReserved
  'inventory.failed': InventoryFailed
  'inventory.released': InventoryReleased
  'orders.confirmed': OrderConfirmed
  'sales.totals': SalesTotals
  'orders.failed': OrderFailed
  'notifications.sent': NotificationSent
  'payments.commands': PaymentCommand
  'payments.replies': PaymentReply
  'inventory.commands': InventoryCommand
  'inventory.replies': InventoryReply
  'orders.commands': OrderCommand
}

export type EventTopic = keyof TopicValues

/**
 * The value type of each stream job's output topic. Kept apart from TopicValues: these are
 * computed rows (no eventId, written by Flink), not saga events a service's consumer handles.
 */
export interface StreamValues {
  'streams.order-kpis': OrderKpis
  'streams.top-products': TopProduct
  'streams.live-kpis': LiveKpis
  'streams.enriched-orders': EnrichedOrderLine
  'streams.revenue-by-tier': RevenueByTier
}

export type StreamTopic = keyof StreamValues

/** Every Avro topic's value type: the saga's events and the stream jobs' outputs. */
export type AvroTopicValues = TopicValues & StreamValues
