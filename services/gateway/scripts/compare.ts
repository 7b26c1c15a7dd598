// `make compare`: asks the gateway's POST /api/compare to place the same order in both saga styles
// and prints the two traces side by side, in pt-BR, for the class. `--json` prints the raw answer.
//
//   make compare
//   make compare CLIENTE=ana-fail-payment
//   make compare ITENS=prod_6:100                (prod_6 tem 5 unidades: falta estoque)
//   tsx services/gateway/scripts/compare.ts --cliente turma-pay-ok --itens prod_1:2,prod_3:1
// Items are product:quantity; the price is the catalog's (checkout-api charges it).
import { parseArgs } from 'node:util'
import type { CompareResultType, SagaRunType } from '../src/schemas/compare.ts'

const { values } = parseArgs({
  options: {
    cliente: { type: 'string', default: process.env.CLIENTE || 'turma-pay-ok' },
    itens: { type: 'string', default: process.env.ITENS || 'prod_1:1' },
    // The demo's gateway: :3010, moved by APP_PORT_OFFSET like every app of a second copy of the shop.
    url: { type: 'string', default: process.env.GATEWAY_URL || `http://localhost:${3010 + Number(process.env.APP_PORT_OFFSET || 0)}` },
    json: { type: 'boolean', default: false }
  }
})

function items (spec: string): Array<{ productId: string, quantity: number }> {
  return spec.split(',').map(part => {
    const [productId, quantity, ...rest] = part.split(':')
    if (!productId || !quantity || rest.length > 0 || !Number.isInteger(Number(quantity))) {
      console.error(`Item inválido "${part}": use produto:quantidade, por exemplo prod_1:2 (o preço vem do catálogo)`)
      process.exit(2)
    }
    return { productId, quantity: Number(quantity) }
  })
}

const MODE_PT = { choreography: 'Coreografia', orchestration: 'Orquestração' } as const
const STATUS_PT: Record<string, string> = { confirmed: 'confirmado', failed: 'falhou', pending: 'pendente' }

// Width of what the terminal shows; a cell is cut with … rather than wrapped.
const width = (s: string): number => [...s].length
const fit = (s: string, w: number): string => (width(s) > w ? [...s].slice(0, Math.max(0, w - 1)).join('') + '…' : s + ' '.repeat(w - width(s)))

function row (label: string, a: string, b: string, labelW: number, colW: number): string {
  return `${fit(label, labelW)} ${fit(a, colW)}  ${fit(b, colW)}`
}

/** Two lines per message: where it is on Kafka, then who wrote it, who read it, and what it says. */
function messageLines (run: SagaRunType): string[][] {
  return run.messages.map(m => {
    const readers = m.consumers.map(c => `${c.service}${c.committed === true ? '✓' : c.committed === false ? '✗' : ''}`).join(' ')
    return [
      `${String(m.index + 1).padStart(2)}  +${m.atMs} ms  ${m.topic} [p${m.partition}@${m.offset}]`,
      `    ${m.producer ?? '?'} → ${readers} · ${m.summary}`
    ]
  })
}

function print (r: CompareResultType): void {
  const cols = Math.max(100, process.stdout.columns ?? 160)
  const labelW = 26
  const colW = Math.floor((cols - labelW - 3) / 2)
  const c = r.choreography
  const o = r.orchestration
  const line = '─'.repeat(Math.min(cols, labelW + 2 * colW + 3))
  const ms = (n: number | null): string => (n === null ? '—' : `${n} ms`)
  const out: string[] = []
  out.push('', 'Comparação: o mesmo pedido em coreografia e em orquestração', line)
  out.push(`Cliente ${r.request.customerId}; itens ${r.request.items.map(i => `${i.quantity}× ${i.productId}`).join(', ')} (preços do catálogo)`)
  out.push('')
  out.push(row('', MODE_PT.choreography, MODE_PT.orchestration, labelW, colW))
  out.push(row('Pedido', c.orderId, o.orderId, labelW, colW))
  out.push(row('Resultado', `${STATUS_PT[c.status] ?? c.status}${c.reason ? ` (${c.reason})` : ''}`, `${STATUS_PT[o.status] ?? o.status}${o.reason ? ` (${o.reason})` : ''}`, labelW, colW))
  out.push(row('Mensagens no Kafka', String(c.messageCount), String(o.messageCount), labelW, colW))
  out.push(row('Tópicos distintos', String(c.topicCount), String(o.topicCount), labelW, colW))
  out.push(row('Serviços que escreveram', c.producers.join(', '), o.producers.join(', '), labelW, colW))
  out.push(row('Até a resposta ao cliente', ms(c.timings.toOutcomeMs), ms(o.timings.toOutcomeMs), labelW, colW))
  out.push(row('Total (até a última msg)', ms(c.timings.totalMs), ms(o.timings.totalMs), labelW, colW))
  out.push(row('Completa?', c.complete ? 'sim' : `não: ${c.incomplete.join('; ')}`, o.complete ? 'sim' : `não: ${o.incomplete.join('; ')}`, labelW, colW))
  out.push('', 'Mensagens em ordem causal (+ms desde o pedido; ✓ = o grupo consumidor já confirmou a leitura no Kafka; sem marca = leitor sem grupo)', line)
  const a = messageLines(c)
  const b = messageLines(o)
  const msgW = Math.floor((cols - 2) / 2)
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    for (let j = 0; j < 2; j++) out.push(`${fit(a[i]?.[j] ?? '', msgW)}  ${fit(b[i]?.[j] ?? '', msgW)}`)
  }
  out.push('', 'Onde vive o estado da saga', line)
  for (const run of [c, o]) {
    out.push(`${MODE_PT[run.mode]}: ${run.stateLives}`)
    for (const s of run.state) out.push(`    ${s.service}.${s.table}.${s.column} = ${s.value ?? '—'}${s.detail ? ` (${s.detail})` : ''}`)
  }
  const orchestratorWrote = o.messages.filter(m => m.producer === 'orchestrator').length
  out.push('', 'O que observar', line)
  out.push(`• A orquestração trocou ${o.messageCount} mensagens contra ${c.messageCount} da coreografia (${o.messageCount - c.messageCount >= 0 ? '+' : ''}${o.messageCount - c.messageCount}), em ${o.topicCount} tópicos contra ${c.topicCount}: cada passo é um comando e uma resposta.`)
  out.push(`• Na orquestração o orchestrator escreveu ${orchestratorWrote} das ${o.messageCount} mensagens: toda decisão passa por ele. Na coreografia ninguém decide pelos outros; cada serviço reage ao evento anterior.`)
  out.push('• Os tempos incluem o atraso simulado do pagamento (PAYMENT_DELAY_MIN_MS/MAX_MS); compare os "+ms" de cada salto, não só o total.')
  out.push('')
  console.log(out.join('\n'))
}

let res: Response
try {
  res = await fetch(`${values.url}/api/compare`, {
    method: 'POST',
    // make compare runs it through infra's as-admin.ts, which signs it in as the instructor (HTTP_AUTH=jwt).
    headers: { 'content-type': 'application/json', ...(process.env.VITRINE_TOOL_AUTHORIZATION ? { authorization: process.env.VITRINE_TOOL_AUTHORIZATION } : {}) },
    body: JSON.stringify({ customerId: values.cliente, items: items(values.itens) }),
    signal: AbortSignal.timeout(300_000)
  })
} catch (err) {
  console.error(`O gateway não respondeu em ${values.url} (${(err as Error).message}). Ele está rodando? Suba tudo com "make demo".`)
  process.exit(1)
}
const body = await res.json().catch(() => null) as CompareResultType & { message?: string } | null
if (!res.ok || !body) {
  console.error(`A comparação falhou (${res.status}): ${body?.message ?? 'resposta sem corpo'}`)
  process.exit(1)
}
if (values.json) console.log(JSON.stringify(body, null, 2))
else print(body)
