import { api } from './api.ts'
import { live } from './live.svelte.ts'

// The order being put together on "Novo pedido": the form edits it, the comparison sends the same
// customer and items in each saga style. One instance per page, passed to both.

export interface Product { id: string, name: string, priceCents: number, active: boolean, stock: number, reserved: number, available: number }
export interface OrderItem { productId: string, quantity: number }
export type SagaMode = 'choreography' | 'orchestration'

// The teacher's triggers: payment reads them from the customer id (services/payment/src/payments.ts),
// "sem estoque" asks for more units than the inventory has.
export const TRIGGERS = [
  { id: 'none', label: 'Nenhum', help: 'o pagamento segue a taxa de falha configurada (padrão 20%)' },
  { id: 'pay-ok', label: 'Pagamento aprovado', help: 'cliente com "pay-ok": sempre aprovado — o caminho feliz' },
  { id: 'fail-payment', label: 'Pagamento recusado', help: 'cliente com "fail-payment": recusado; nada foi cobrado, nada a compensar' },
  { id: 'out-of-stock', label: 'Sem estoque', help: 'pagamento aprovado e quantidade acima do disponível: o estoque falha e o pagamento é estornado (compensação)' },
  { id: 'slow-payment', label: 'Pagamento lento', help: 'cliente com "slow-payment": o pagamento demora mais que o prazo do pedido; o prazo cancela e compensa' },
  { id: 'retry-payment', label: 'Falha passageira', help: 'cliente com "retry-payment": a cobrança falha como se o emissor do cartão não respondesse; o registro vai para o tópico de retry orders.retry.5s e, na volta, é aprovado' }
] as const
export type Trigger = typeof TRIGGERS[number]['id']

export class OrderDraft {
  products = $state.raw<Product[]>([])
  productsError = $state<string | null>(null)
  quantities = $state<Record<string, number>>({})
  customer = $state(`cliente-${Math.random().toString(36).slice(2, 7)}`)
  mode = $state<SagaMode>('choreography')
  trigger = $state<Trigger>('pay-ok')

  readonly chosen = $derived(this.products.filter(p => (this.quantities[p.id] ?? 0) > 0))
  readonly scarcest = $derived(this.products.reduce<Product | null>((min, p) => (min === null || p.available < min.available ? p : min), null))
  /** The triggers work only with the gateway's TEACHING_MODE on (issue 16); off, the customer goes as typed. */
  readonly teaching = $derived(live.status?.teachingMode === true)
  readonly activeTrigger = $derived<Trigger>(this.teaching ? this.trigger : 'none')
  readonly outOfStock = $derived(this.activeTrigger === 'out-of-stock' && this.scarcest !== null)
  /** The customer sent: the trigger rides in it ("sem estoque" needs an approved payment to show the refund). */
  readonly customerId = $derived(this.activeTrigger === 'none' ? this.customer : `${this.customer}-${this.activeTrigger === 'out-of-stock' ? 'pay-ok' : this.activeTrigger}`)
  readonly customerValid = $derived(/^[A-Za-z0-9_.@-]{1,40}$/.test(this.customer))
  /** The items as chosen in the table (what the comparison sends). */
  readonly chosenItems = $derived<OrderItem[]>(this.chosen.map(p => ({ productId: p.id, quantity: this.quantities[p.id] ?? 1 })))
  /**
   * The items the order sends. "Sem estoque": one unit more than there is of the scarcest product.
   * No price is sent: checkout-api charges the catalog's.
   */
  readonly items = $derived<OrderItem[]>(this.outOfStock && this.scarcest ? [{ productId: this.scarcest.id, quantity: this.scarcest.available + 1 }] : this.chosenItems)
  readonly total = $derived(this.items.reduce((n, i) => n + (this.products.find(p => p.id === i.productId)?.priceCents ?? 0) * i.quantity, 0))

  async load (): Promise<void> {
    try {
      // Inactive products cannot be ordered (checkout-api refuses them): the form leaves them out.
      this.products = (await api<{ products: Product[] }>('GET', '/api/shop/products')).products.filter(p => p.active !== false)
      this.productsError = null
      if (Object.keys(this.quantities).length === 0 && this.products[0]) this.quantities = { [this.products[0].id]: 1 }
    } catch (err) {
      this.productsError = (err as Error).message
    }
  }
}
