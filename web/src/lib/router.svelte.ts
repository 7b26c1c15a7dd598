// A hash router: #/fluxo, #/eventos, #/pedido/<orderId>, #/metricas, #/novo, #/kafka/<tab>/<item>, #/exercicios, #/lab/<lab>, #/glossario/<termo>.

export type PageName = 'fluxo' | 'eventos' | 'pedido' | 'metricas' | 'novo' | 'kafka' | 'exercicios' | 'exactly-once' | 'caos' | 'kpis' | 'sql' | 'lab' | 'glossario'

const PAGES: readonly PageName[] = ['fluxo', 'eventos', 'pedido', 'metricas', 'novo', 'kafka', 'exercicios', 'exactly-once', 'caos', 'kpis', 'sql', 'lab', 'glossario']

function parse (hash: string): { page: PageName, params: string[] } {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent)
  const page = PAGES.includes(parts[0] as PageName) ? parts[0] as PageName : 'fluxo'
  return { page, params: parts.slice(1) }
}

export const route = $state(parse(typeof location === 'undefined' ? '' : location.hash))

/** Follows the address bar; returns the teardown. */
export function followHash (): () => void {
  const update = (): void => {
    const r = parse(location.hash)
    route.page = r.page
    route.params = r.params
  }
  window.addEventListener('hashchange', update)
  return () => window.removeEventListener('hashchange', update)
}

export function href (page: PageName, ...params: string[]): string {
  return `#/${[page, ...params.map(encodeURIComponent)].join('/')}`
}

export function go (page: PageName, ...params: string[]): void {
  location.hash = href(page, ...params)
}
