import { join } from 'node:path'
import { loadSettings, bootstrapServers, databaseUrl, registryUrl } from './settings.ts'
import { down, up } from './stack.ts'
import { apps, appNames, startApps } from './apps.ts'
import { isAlive, readPid, sleep, tailLog } from './proc.ts'
import { info, step } from './steps.ts'

// `make demo`: the stack, the services and the UI, a few orders that show each path of the saga,
// steady traffic, the URLs; then it stays in the foreground until Ctrl-C, which stops everything.
const settings = loadSettings()
const CHECKOUT = 'http://localhost:3001'
const rate = Number(process.env.DEMO_RATE ?? 1)
const detach = process.env.DEMO_DETACH === '1'

async function post (url: string, body: unknown, method = 'POST'): Promise<any> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${JSON.stringify(json)}`)
  return json
}

async function demoOrders (withOrchestrator: boolean): Promise<void> {
  const orders: Array<{ label: string, body: Record<string, unknown> }> = [
    { label: 'compra normal', body: { customerId: 'ana-pay-ok', items: [{ productId: 'prod_1', quantity: 2, price: 49.9 }, { productId: 'prod_3', quantity: 3, price: 9.9 }] } },
    { label: 'compra normal', body: { customerId: 'bruno-pay-ok', items: [{ productId: 'prod_5', quantity: 1, price: 89.9 }] } },
    { label: 'pagamento recusado (gatilho fail-payment)', body: { customerId: 'carla-fail-payment', items: [{ productId: 'prod_2', quantity: 1, price: 35 }] } },
    { label: 'sem estoque (prod_6 tem 5 unidades)', body: { customerId: 'diego-pay-ok', items: [{ productId: 'prod_6', quantity: 100, price: 59.9 }] } },
    ...(withOrchestrator ? [{ label: 'compra orquestrada', body: { customerId: 'elisa-pay-ok', mode: 'orchestration', items: [{ productId: 'prod_4', quantity: 1, price: 159.9 }] } }] : [])
  ]
  const placed = await Promise.all(orders.map(async o => ({ ...o, id: (await post(`${CHECKOUT}/orders`, o.body)).orderId as string })))
  const deadline = Date.now() + 30_000
  const finished = new Map<string, { status: string, reason: string | null, mode: string }>()
  while (finished.size < placed.length && Date.now() < deadline) {
    for (const o of placed) {
      if (finished.has(o.id)) continue
      const v = await (await fetch(`${CHECKOUT}/orders/${o.id}`)).json() as { status: string, reason: string | null, mode: string }
      if (v.status !== 'pending') finished.set(o.id, v)
    }
    await sleep(500)
  }
  for (const o of placed) {
    const v = finished.get(o.id)
    info(`${o.label.padEnd(42)} ${o.id}  ${v ? `${v.mode}: ${v.status}${v.reason ? ` (${v.reason})` : ''}` : 'ainda pendente'}`)
  }
}

async function main (): Promise<void> {
  await up(settings)
  const list = await startApps(settings)
  const names = list.map(a => a.name)
  await step('Enviando pedidos de demonstração', async () => await demoOrders(names.includes('orchestrator')))
  if (rate > 0) {
    await step(`Gerador de tráfego: ${rate} pedido(s)/s`, async () => {
      await post(`${CHECKOUT}/traffic`, { rate, mode: names.includes('orchestrator') ? 'mixed' : 'choreography', failPaymentShare: 0.1, outOfStockShare: 0.05 }, 'PUT')
    })
  }
  const web = list.find(a => a.name === 'web')
  console.log(`
Vitrine pronta.

  Interface (ao vivo)   ${web ? web.url : '(web/ ainda não disponível)'}
  checkout-api          ${CHECKOUT}/orders   (POST cria pedido; GET /orders/<id> mostra a história)
${list.filter(a => a.name !== 'web' && a.name !== 'checkout-api').map(a => `  ${a.name.padEnd(21)} ${a.url}/health`).join('\n')}
  Schema Registry       ${registryUrl(settings)}/subjects
  Kafka (bootstrap)     ${process.env.KAFKA_BROKERS ?? bootstrapServers(settings)}
  PostgreSQL            ${databaseUrl(settings)}
  Logs                  ${join(settings.stateDir, 'logs')}/

  make status   o que está rodando     make down   para tudo
  make compare  o mesmo pedido em coreografia e orquestração, lado a lado
  make dlq      a dead-letter queue (runbooks/01-dlq.md)
${detach ? '' : '\nCtrl-C para parar tudo.\n'}`)
  if (detach) return

  const state = { stopping: false }
  const stop = async (): Promise<void> => {
    if (state.stopping) return
    state.stopping = true
    console.log('\nParando tudo...')
    await fetch(`${CHECKOUT}/traffic`, { method: 'DELETE' }).catch(() => {})
    const leftovers = await down(settings, appNames())
    console.log(leftovers.length ? `ainda escutando: ${leftovers.join(', ')}` : 'Tudo parado.')
    process.exit(leftovers.length ? 1 : 0)
  }
  process.on('SIGINT', () => { stop().catch(() => process.exit(1)) })
  process.on('SIGTERM', () => { stop().catch(() => process.exit(1)) })

  // A component that dies is reported with the end of its log, not left silent.
  const reported = new Set<string>()
  const watched = [...apps().map(a => a.name), ...Array.from({ length: settings.brokers }, (_, i) => `kafka-${i + 1}`), 'postgres', 'registry-backend', 'registry']
  while (!state.stopping) {
    for (const name of watched) {
      const pid = readPid(settings.stateDir, name)
      if (pid !== undefined && !isAlive(pid) && !reported.has(name)) {
        reported.add(name)
        console.error(`\n✘ ${name} parou de rodar. Últimas linhas de ${join(settings.stateDir, 'logs', name + '.log')}:\n${tailLog(settings.stateDir, name)}\n`)
      }
    }
    await sleep(2000)
  }
}

main().catch(err => {
  console.error(`\n${err instanceof Error ? err.message : String(err)}\n\nO que já subiu continua rodando: \`make status\` mostra, \`make down\` para tudo.`)
  process.exit(1)
})
