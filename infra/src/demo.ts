import { join } from 'node:path'
import { loadSettings, bootstrapServers, brokerPorts, controllerPorts, databaseUrl, registryUrl, separateController } from './settings.ts'
import { missingTools } from './prometheus.ts'
import { sqlGatewayUrl } from './streams-flink.ts'
import { connectUrl } from './streams-connect.ts'
import { ComponentDiedError, components, down, up } from './stack.ts'
import { CONTROLLER_COMPONENT } from './kafka-node.ts'
import { appPorts, appSettings, apps, startApps } from './apps.ts'
import type { AppComponent } from './apps.ts'
import { isAlive, readPid, rollbackOnFailure, sleep, startMark, stopStartedSince, tailLog } from './proc.ts'
import { info, oneLine, step } from './steps.ts'
import { httpAuthSetting, httpSecrets, httpSecretsFile, instructorToken, toolAuthHeaders } from './security/http-auth.ts'

// `make demo`: the stack, the services and the UI, a few orders that show each path of the saga,
// steady traffic, the URLs; then it stays in the foreground until Ctrl-C, which stops everything.
const settings = loadSettings()
const ports = appSettings(settings).ports
const CHECKOUT = `http://localhost:${ports['checkout-api']}`
const rate = Number(process.env.DEMO_RATE ?? 1)
const detach = process.env.DEMO_DETACH === '1'
// checkout-api's MAX_QUANTITY per item (its default).
const MAX_QUANTITY = Number(process.env.MAX_QUANTITY ?? 100)
// When `make demo` started (the Makefile passes it, so installing and checking count too).
const T0 = Number(process.env.VITRINE_T0) || performance.timeOrigin

// With HTTP_AUTH=jwt the demo acts as the instructor: it restocks, orders for its customers and runs the traffic.
const auth = (): Record<string, string> => toolAuthHeaders(settings.stateDir, 'demo')

async function post (url: string, body: unknown, method = 'POST'): Promise<any> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...auth() }, body: JSON.stringify(body) })
  const json = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${JSON.stringify(json)}`)
  return json
}

// checkout-api prices orders from its replica of products.catalog, which inventory fills after it
// starts (on a first run, from the seed): the demo's orders wait until their products are there.
async function catalogReady (productIds: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const known = await fetch(`${CHECKOUT}/catalog`).then(async r => (await r.json() as { products: Array<{ productId: string }> }).products.map(p => p.productId)).catch(() => [] as string[])
    if (productIds.every(id => known.includes(id))) return
    if (Date.now() > deadline) throw new Error(`o catálogo do checkout-api não recebeu ${productIds.filter(id => !known.includes(id)).join(', ')} em ${timeoutMs / 1000}s (veja os logs do inventory)`)
    await sleep(250)
  }
}

const INVENTORY = `http://localhost:${ports.inventory}`

interface StockView { id: string, available: number, active?: boolean }

async function products (): Promise<StockView[]> {
  const res = await fetch(`${INVENTORY}/products`)
  if (!res.ok) throw new Error(`GET ${INVENTORY}/products answered ${res.status}`)
  return ((await res.json()) as { products: StockView[] }).products
}

/**
 * Stock persists between runs (a benchmark or a long class empties shelves), so each showcase
 * order that must succeed gets its units first, restocked through inventory's API like any delivery.
 */
async function restockFor (items: Array<{ productId: string, quantity: number }>): Promise<void> {
  const need = new Map<string, number>()
  for (const i of items) need.set(i.productId, (need.get(i.productId) ?? 0) + i.quantity)
  const stock = new Map((await products()).map(p => [p.id, p.available]))
  for (const [id, quantity] of need) {
    const missing = quantity - (stock.get(id) ?? 0)
    if (missing <= 0) continue
    // A few more than the order needs: the traffic generator may take some meanwhile.
    await post(`${INVENTORY}/products/${encodeURIComponent(id)}/restock`, { quantity: missing + 20 })
    info(`${id}: ${stock.get(id) ?? 0} em estoque, repostas ${missing + 20} unidades para os pedidos de demonstração`)
  }
}

/** The out-of-stock showcase: one unit more than the scarcest active product has (prod_6, 5 units, on a fresh shop). */
async function scarcest (): Promise<{ productId: string, available: number }> {
  const list = (await products()).filter(p => p.active !== false).sort((a, b) => a.available - b.available || (a.id === 'prod_6' ? -1 : b.id === 'prod_6' ? 1 : 0))
  const p = list[0]
  if (!p) throw new Error('inventory has no product')
  return { productId: p.id, available: p.available }
}

async function demoOrders (withOrchestrator: boolean): Promise<void> {
  const short = await scarcest()
  const orders: Array<{ label: string, body: Record<string, unknown> }> = [
    { label: 'compra normal', body: { customerId: 'ana-pay-ok', items: [{ productId: 'prod_1', quantity: 2 }, { productId: 'prod_3', quantity: 3 }] } },
    { label: 'compra normal', body: { customerId: 'bruno-pay-ok', items: [{ productId: 'prod_5', quantity: 1 }] } },
    { label: 'pagamento recusado (gatilho fail-payment)', body: { customerId: 'carla-fail-payment', items: [{ productId: 'prod_2', quantity: 1 }] } },
    // checkout-api refuses a line above MAX_QUANTITY (400), so with every shelf that full there is no out-of-stock showcase.
    ...(short.available < MAX_QUANTITY ? [{ label: `sem estoque (${short.productId} tem ${short.available} unidades)`, body: { customerId: 'diego-pay-ok', items: [{ productId: short.productId, quantity: short.available + 1 }] } }] : []),
    ...(withOrchestrator ? [{ label: 'compra orquestrada', body: { customerId: 'elisa-pay-ok', mode: 'orchestration', items: [{ productId: 'prod_4', quantity: 1 }] } }] : [])
  ]
  await catalogReady(orders.flatMap(o => (o.body.items as Array<{ productId: string }>).map(i => i.productId)))
  await restockFor(orders.filter(o => !o.label.startsWith('sem estoque')).flatMap(o => o.body.items as Array<{ productId: string, quantity: number }>))
  if (short.available >= MAX_QUANTITY) info(`(sem o pedido "sem estoque": todo produto tem ${MAX_QUANTITY} unidades ou mais; make reset volta o estoque ao seed)`)
  const placed = await Promise.all(orders.map(async o => ({ ...o, id: (await post(`${CHECKOUT}/orders`, o.body)).orderId as string })))
  const deadline = Date.now() + 30_000
  const finished = new Map<string, { status: string, reason: string | null, mode: string }>()
  let firstConfirmed: number | undefined
  while (finished.size < placed.length && Date.now() < deadline) {
    for (const o of placed) {
      if (finished.has(o.id)) continue
      const v = await (await fetch(`${CHECKOUT}/orders/${o.id}`, { headers: auth() })).json() as { status: string, reason: string | null, mode: string }
      if (v.status !== 'pending') finished.set(o.id, v)
      if (v.status === 'confirmed' && firstConfirmed === undefined) firstConfirmed = Date.now()
    }
    await sleep(200)
  }
  if (firstConfirmed !== undefined) info(`Primeiro pedido confirmado ${((firstConfirmed - T0) / 1000).toFixed(1)}s depois do início do make demo`)
  for (const o of placed) {
    const v = finished.get(o.id)
    info(`${o.label.padEnd(42)} ${o.id}  ${v ? `${v.mode}: ${v.status}${v.reason ? ` (${v.reason})` : ''}` : 'ainda pendente'}`)
  }
}

/**
 * The stack, the services, the showcase orders and the UI. A failure anywhere stops what this run
 * started (what already ran before it keeps running), so a failed `make demo` leaves nothing behind.
 */
async function start (): Promise<AppComponent[]> {
  // Kafka and PostgreSQL (and the topics) first; the services boot while the registry, the slowest
  // part of the stack, starts (a service waits, not ready, until it can register its schemas).
  await up(settings, { only: [...Array.from({ length: settings.brokers }, (_, i) => `kafka-${i + 1}`), 'postgres'], catalog: true })
  // Flink and Kafka Connect (two JVMs) start last, once the showcase orders ran: on two cores they would
  // delay the first order, and nothing of the saga needs them.
  const stack = up(settings, { only: components(settings).map(c => c.name).filter(n => !STREAM_COMPONENTS.includes(n)), catalog: true })
  stack.catch(() => {}) // awaited just below, with the services
  // The services and the gateway (so the UI's live feed has the showcase orders) start together;
  // the control plane and the UI (a vite build) start once they are up, while the showcase orders
  // run: on two cores, every process starting beside the saga's delays its first order.
  // Both settle before a failure is thrown, so nothing of this run is still starting when it is rolled back.
  const [services, rest] = await Promise.allSettled([startApps(settings, {}, { only: apps().map(a => a.name).filter(n => n !== 'web' && n !== 'control') }, { stackReady: stack }), stack])
  // The stack's failure first: the services' would only be its consequence.
  if (rest.status === 'rejected') throw rest.reason
  if (services.status === 'rejected') throw services.reason
  const started = services.value
  const webStart = startApps(settings, {}, { only: ['control', 'web'] })
  webStart.catch(() => {}) // awaited below, after the orders
  try {
    await showcase(started.map(a => a.name))
  } catch (err) {
    // Rolled back only once the UI's start has ended too: it would otherwise go on starting.
    await webStart.catch(() => {})
    throw err
  }
  const web = await webStart
  // catalog: true also submits the Flink SQL jobs once Flink (and the CDC connector) are up.
  await up(settings, { only: STREAM_COMPONENTS, catalog: true })
  return [...started, ...web]
}

const STREAM_COMPONENTS = ['flink', 'connect']

/** Flink's SQL Gateway and Kafka Connect, or why LITE=1 has none. */
function streamsLines (): string {
  if (settings.lite) return '  Flink e Kafka Connect  não sobem com LITE=1 (modo leve): sem KPIs, página SQL e tópicos de CDC'
  return [
    `  Flink SQL Gateway     ${sqlGatewayUrl(settings)}/v1/info   (jobs: painel web em http://127.0.0.1:${settings.flinkUiPort})`,
    `  Kafka Connect         ${connectUrl(settings)}/connectors/vitrine-cdc/status   (Debezium: customers.cdc, products.cdc)`
  ].join('\n')
}

async function showcase (names: string[]): Promise<void> {
  await step('Enviando pedidos de demonstração', async () => await demoOrders(names.includes('orchestrator')))
  if (rate > 0) {
    await step(`Gerador de tráfego: ${rate} pedido(s)/s`, async () => {
      await post(`${CHECKOUT}/traffic`, { rate, mode: names.includes('orchestrator') ? 'mixed' : 'choreography', failPaymentShare: 0.1, outOfStockShare: 0.05 }, 'PUT')
    })
  }
}

/** Prometheus, Alertmanager and the brokers' exporters, or the line saying why they are not running. */
function observabilityLines (): string {
  const missing = missingTools()
  if (missing) return `  Prometheus            (não instalado) ${missing}`
  const exporters = [...Array.from({ length: settings.brokers }, (_, i) => brokerPorts(settings, i).jmx), ...(separateController(settings) ? [controllerPorts(settings).jmx] : [])].map(port => `http://127.0.0.1:${port}/metrics`).join(' ')
  return [
    `  Prometheus            http://127.0.0.1:${settings.prometheusPort}   (alertas: /alerts; regras em infra/prometheus/rules)`,
    `  Alertmanager          http://127.0.0.1:${settings.alertmanagerPort}`,
    `  Métricas dos brokers  ${exporters}`
  ].join('\n')
}

/** How the instructor signs in (HTTP_AUTH=jwt): the code for the UI's Entrar panel and a token for curl. */
function signInLines (): string {
  const code = httpSecrets(settings.stateDir).instructorCode
  const mode = httpAuthSetting(process.env.HTTP_AUTH, settings.stateDir)
  return [
    `  Login (HTTP_AUTH=${mode})${mode === 'none' ? '   desligado: toda rota aberta (sem HTTP_AUTH=none, o make demo liga)' : ''}`,
    `    código do instrutor ${code}   (painel Entrar da interface; fica em ${httpSecretsFile(settings.stateDir)})`,
    `    token do instrutor  curl -H "Authorization: Bearer ${instructorToken(settings.stateDir)}" ...`,
    `  Kafka                 ${settings.kafkaAuth === 'scram' ? 'SASL/SCRAM e ACLs por serviço (infra/bin/kafka entra como admin; runbooks/07-seguranca.md)' : 'PLAINTEXT, sem autorizador (KAFKA_AUTH=none)'}`
  ].join('\n')
}

async function main (): Promise<void> {
  // Ctrl-C while starting is a failed start too: what this run started is stopped before leaving.
  const mark = startMark()
  const interrupted = (): void => {
    info('interrompido: parando o que esta tentativa iniciou')
    stopStartedSince(mark).then(stopped => { if (stopped.length > 0) info(`parado: ${stopped.join(', ')}`) }, () => {}).finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const list = await rollbackOnFailure(start)
  process.off('SIGINT', interrupted)
  process.off('SIGTERM', interrupted)
  const web = list.find(a => a.name === 'web')
  console.log(`
Vitrine pronta.

  Interface (ao vivo)   ${web ? web.url : '(web/ ainda não disponível)'}
${signInLines()}
  checkout-api          ${CHECKOUT}/orders   (POST cria pedido; GET /orders/<id> mostra a história)
${list.filter(a => a.name !== 'web' && a.name !== 'checkout-api').map(a => `  ${a.name.padEnd(21)} ${a.url}/health`).join('\n')}
  Schema Registry       ${registryUrl(settings)}/subjects
  Kafka (bootstrap)     ${process.env.KAFKA_BROKERS ?? bootstrapServers(settings)}
${separateController(settings) && !process.env.KAFKA_BROKERS ? `  Controller KRaft      localhost:${controllerPorts(settings).controller}   (nó 0, separado dos 3 brokers: parar 2 brokers não derruba o quórum)\n` : ''}  PostgreSQL            ${databaseUrl(settings)}
${observabilityLines()}
${streamsLines()}
  Logs                  ${join(settings.stateDir, 'logs')}/

  make status   o que está rodando     make down   para tudo
  make restart S=inventory   reinicia um componente (stop | start | kill também)
  make reset    zera a loja: sem pedidos, estoque do seed, offsets no fim
  make compare  o mesmo pedido em coreografia e orquestração, lado a lado
  make dlq      a dead-letter queue (runbooks/01-dlq.md)
${detach ? '' : '\nCtrl-C para parar tudo.\n'}`)
  if (detach) return

  const state = { stopping: false }
  const stop = async (): Promise<void> => {
    if (state.stopping) return
    state.stopping = true
    console.log('\nParando tudo...')
    await fetch(`${CHECKOUT}/traffic`, { method: 'DELETE', headers: auth() }).catch(() => {})
    const leftovers = await down(settings, appPorts())
    console.log(leftovers.length ? `ainda escutando: ${leftovers.join(', ')}` : 'Tudo parado.')
    process.exit(leftovers.length ? 1 : 0)
  }
  process.on('SIGINT', () => { stop().catch(() => process.exit(1)) })
  process.on('SIGTERM', () => { stop().catch(() => process.exit(1)) })

  // A component that dies is reported with the end of its log, not left silent.
  const reported = new Set<string>()
  const watched = [...apps().map(a => a.name), ...(separateController(settings) ? [CONTROLLER_COMPONENT] : []), ...Array.from({ length: settings.brokers }, (_, i) => `kafka-${i + 1}`), 'postgres', 'registry-backend', 'registry', 'prometheus', 'alertmanager']
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
  console.error(`\n✘ ${oneLine(err, 'make demo')}`)
  if (process.env.VITRINE_DEBUG === '1') {
    if (err instanceof ComponentDiedError && err.detail) console.error(`\n${err.detail}`)
    console.error(err instanceof Error ? err.stack : err)
  }
  process.exit(1)
})
