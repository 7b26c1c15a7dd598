import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { SagaMode } from '@vitrine/contracts'
import { createOrder } from '../../orders.ts'
import type { CheckoutConfigType } from '../../config.ts'

/** How many customers the generator takes turns with (trafego-1 … trafego-12, seeded in migrations/0004_customers.sql). */
export const TRAFFIC_CUSTOMERS = 12

export interface TrafficSettings { rate: number, mode: SagaMode | 'mixed', failPaymentShare: number, outOfStockShare: number }

/**
 * The demo's traffic generator: places orders through the same code path as POST /orders, at a
 * steady rate, for the products the inventory lists. Shares of forced failures make compensation visible.
 */
export class TrafficGenerator {
  private timer: NodeJS.Timeout | undefined
  private products: Product[] = []
  private lastFetch = 0
  settings: TrafficSettings = { rate: 0, mode: 'choreography', failPaymentShare: 0, outOfStockShare: 0 }
  sent = 0
  errors = 0
  private counter = 0
  // Orders being placed: stop() waits for them, so none is left half-sent when the pool closes.
  private readonly placing = new Set<Promise<void>>()

  constructor (private readonly app: FastifyInstance, private readonly config: CheckoutConfigType) {
    // SAGA_MODE_DEFAULT switches the whole system, generated traffic included.
    this.settings.mode = config.SAGA_MODE_DEFAULT
  }

  get running (): boolean {
    return this.timer !== undefined
  }

  start (settings: Partial<TrafficSettings>): void {
    this.stop()
    this.settings = { ...this.settings, ...settings }
    if (this.settings.rate <= 0) return
    // Ticks at up to 20 Hz, sending however many orders the rate asks for per tick.
    const tickMs = Math.max(50, Math.round(1000 / this.settings.rate))
    let carry = 0
    this.timer = setInterval(() => {
      carry += this.settings.rate * tickMs / 1000
      const n = Math.floor(carry)
      carry -= n
      for (let i = 0; i < n; i++) {
        const p: Promise<void> = this.placeOne()
          .catch(err => { this.errors++; this.app.log.warn({ err }, 'traffic order failed') })
          .finally(() => { this.placing.delete(p) })
        this.placing.add(p)
      }
    }, tickMs)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Stops, then waits for the orders already being placed. */
  async close (): Promise<void> {
    this.stop()
    await Promise.all(this.placing)
  }

  private async catalog (): Promise<Product[]> {
    // Refreshed often: stock runs down during a long class, and the choice below follows it.
    if (this.products.length > 0 && Date.now() - this.lastFetch < 3000) return this.products
    const res = await fetch(`${this.config.INVENTORY_URL}/products`, { signal: AbortSignal.timeout(2000) })
    if (!res.ok) throw new Error(`inventory answered ${res.status}`)
    const body = await res.json() as { products: Product[] }
    // Inactive products cannot be ordered; the generator leaves them out.
    this.products = body.products.filter(p => p.active !== false)
    this.lastFetch = Date.now()
    return this.products
  }

  private async placeOne (): Promise<void> {
    const products = await this.catalog()
    if (products.length === 0) return
    const n = ++this.counter
    // A fixed set of customers, seeded with tiers in migrations/0004_customers.sql (revenue by tier needs them known).
    const customer = `trafego-${((n - 1) % TRAFFIC_CUSTOMERS) + 1}`
    const r = Math.random()
    const failPayment = r < this.settings.failPaymentShare
    const outOfStock = !failPayment && r < this.settings.failPaymentShare + this.settings.outOfStockShare
    const { product, quantity } = pickItem(products, n, outOfStock, this.config.MAX_QUANTITY)
    const mode: SagaMode = this.settings.mode === 'mixed' ? (n % 2 === 0 ? 'choreography' : 'orchestration') : this.settings.mode
    await createOrder(this.app, this.config, {
      customerId: failPayment ? `${customer}-fail-payment` : customer,
      // No price: createOrder charges the catalog's, like any other order.
      items: [{ productId: product.id, quantity }],
      mode,
      channel: 'demo-traffic'
    }, {})
    this.sent++
  }
}

interface Product { id: string, priceCents: number, available: number, active?: boolean }

/**
 * What the simulated customer buys. Ordinary orders go round the products that still have stock,
 * so a long demo does not turn into a stream of out-of-stock failures nobody asked for; the
 * deliberate out-of-stock share asks the scarcest product for one unit more than it has.
 */
export function pickItem (products: readonly Product[], n: number, outOfStock: boolean, maxQuantity: number): { product: Product, quantity: number } {
  if (outOfStock) {
    const scarcest = products.reduce((a, b) => (b.available < a.available ? b : a))
    return { product: scarcest, quantity: Math.min(maxQuantity, scarcest.available + 1) }
  }
  const quantity = 1 + (n % 3)
  const inStock = products.filter(p => p.available >= quantity)
  const pool = inStock.length > 0 ? inStock : products
  return { product: pool[n % pool.length]!, quantity }
}

declare module 'fastify' {
  interface FastifyInstance {
    traffic: TrafficGenerator
  }
}

/** The generator as a plugin: it starts once the app is ready (at TRAFFIC_RATE, when set) and stops on close. */
export default fp<{ config: CheckoutConfigType }>(async (fastify, { config }) => {
  const traffic = new TrafficGenerator(fastify, config)
  fastify.decorate('traffic', traffic)
  fastify.addHook('onReady', async () => { if (config.TRAFFIC_RATE > 0) traffic.start({ rate: config.TRAFFIC_RATE }) })
  fastify.addHook('onClose', async () => { await traffic.close() })
}, { name: 'checkout-traffic', dependencies: ['vitrine-postgres', 'vitrine-outbox'] })
