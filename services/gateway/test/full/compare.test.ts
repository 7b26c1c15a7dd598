import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { TOPICS } from '@vitrine/contracts'
import { buildApp, loadConfig } from '@vitrine/service-kit'
import { freePort } from '@vitrine/infra'
import { createCatalogTopics, deleteTestTopics, readAllNow, serviceEnv, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import checkoutApp from '@vitrine/checkout-api'
import { CheckoutConfig } from '@vitrine/checkout-api/config'
import paymentApp from '@vitrine/payment'
import { PaymentConfig } from '@vitrine/payment/config'
import inventoryApp from '@vitrine/inventory'
import { InventoryConfig } from '@vitrine/inventory/config'
import notificationApp from '@vitrine/notification'
import { NotificationConfig } from '@vitrine/notification/config'
import orchestratorApp from '@vitrine/orchestrator'
import { OrchestratorConfig } from '@vitrine/orchestrator/config'
import gatewayApp from '../../src/app.ts'
import { GatewayConfig } from '../../src/config.ts'

// make test-full (a load scenario; make test compares one order through the UI in web/test/e2e/saga.test.ts).
// The comparison under the demo's load: the whole shop in this process (each service listening on
// its own port, as the gateway reaches them over HTTP), on this test's own topics, groups and
// schemas, with the traffic generator at 20 orders/s in both modes. Ten comparisons in a row must
// each find every record of both orders, and exactly the records Kafka holds for them.

interface Message { index: number, topic: string, partition: number, offset: number, eventId: string | null, causationId: string | null, producer: string | null, summary: string, atMs: number, sinceCauseMs: number | null, consumers: Array<{ service: string, group: string | null, committed: boolean | null }> }
interface Run { mode: string, orderId: string, status: string, reason: string | null, complete: boolean, incomplete: string[], messages: Message[], messageCount: number, topicCount: number, timings: { toOutcomeMs: number | null, totalMs: number }, state: Array<{ service: string, value: string | null }> }

const SERVICES = [
  { id: 'inventory', app: inventoryApp, schema: InventoryConfig, db: 'inventory' },
  { id: 'payment', app: paymentApp, schema: PaymentConfig, db: 'payment' },
  { id: 'notification', app: notificationApp, schema: NotificationConfig, db: 'notification' },
  { id: 'orchestrator', app: orchestratorApp, schema: OrchestratorConfig, db: 'orchestrator' },
  { id: 'checkout-api', app: checkoutApp, schema: CheckoutConfig, db: 'checkout' }
] as const

// What each saga leaves on Kafka, by outcome: [choreography, orchestration] message counts.
const COUNTS: Record<string, [number, number]> = { confirmed: [6, 10], payment_failed: [5, 6], inventory_failed: [8, 10] }

test('ten comparisons under 20 orders/s each find every record of both orders', { timeout: 180_000 }, async (t) => {
  const env = testEnv()
  const ports = new Map<string, number>()
  for (const s of [...SERVICES.map(s => s.id), 'gateway']) ports.set(s, await freePort())
  const url = (id: string): string => `http://127.0.0.1:${ports.get(id)!}`
  const peers = { CHECKOUT_API_URL: url('checkout-api'), INVENTORY_URL: url('inventory'), PAYMENT_URL: url('payment'), ORCHESTRATOR_URL: url('orchestrator') }
  const running: FastifyInstance[] = []
  t.after(async () => {
    for (const app of [...running].reverse().slice(0, -1)) await app.close().catch(() => {})
    // The last one up (inventory) still holds a pool: it drops every schema of this test, then closes.
    const last = running[0]
    if (last) {
      for (const s of SERVICES) await last.sql.unsafe(`drop schema if exists "${s.db}${env.schemaSuffix}" cascade`).catch(() => {})
      await last.close().catch(() => {})
    }
    await deleteTestTopics(env).catch(() => {})
  })
  await createCatalogTopics(env)
  const common = { PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 0, PAYMENT_FAILURE_RATE: 0, DECISION_POLL_MS: 50, DEADLINE_SWEEP_MS: 200, ...peers }
  // Participants first, so nothing the entry point writes waits for a consumer to join.
  for (const s of SERVICES) {
    const app = await buildApp(s.id, s.app as never, loadConfig(s.schema, serviceEnv(env, { ...common, PORT: ports.get(s.id)! })) as never)
    running.push(app)
    await app.listen({ port: ports.get(s.id)!, host: '127.0.0.1' })
  }
  const gateway = await buildApp('gateway', gatewayApp, loadConfig(GatewayConfig, serviceEnv(env, { ...peers, PORT: ports.get('gateway')!, COMPARE_TIMEOUT_MS: 30_000 })))
  running.push(gateway)
  const call = async (method: string, id: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => {
    const res = await fetch(`${url(id)}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    return { status: res.status, body: await res.json().catch(() => null) }
  }
  const compare = async (body: unknown): Promise<{ status: number, body: any }> => {
    const res = await gateway.inject({ method: 'POST', url: '/api/compare', payload: body as object })
    return { status: res.statusCode, body: res.json() }
  }

  // One product that never runs out, one that always does; checkout-api prices from its replica.
  const plenty = `p-${env.id}-plenty`
  const scarce = `p-${env.id}-scarce`
  for (const [id, stock] of [[plenty, 1_000_000], [scarce, 1]] as const) {
    const res = await call('POST', 'inventory', '/products', { id, name: `Produto de teste ${id}`, priceCents: 1000, stock })
    assert.equal(res.status, 201, JSON.stringify(res.body))
  }
  await waitFor('checkout-api to price the test products', async () => {
    const a = await call('POST', 'checkout-api', '/orders', { customerId: 'turma-pay-ok', items: [{ productId: plenty, quantity: 1 }] })
    return a.status === 202
  }, 30_000, 200)

  // Refused before any order is placed: the rule named, nothing traced.
  const extra = await compare({ customerId: 'turma', items: [{ productId: plenty, quantity: 1 }], totalCents: 1 })
  assert.equal(extra.status, 400, 'unknown fields are refused')
  const priced = await compare({ customerId: 'turma', items: [{ productId: plenty, quantity: 1, price: 0.01 }] })
  assert.equal(priced.status, 400, 'a price from the client is refused')
  const unknown = await compare({ customerId: 'turma', items: [{ productId: 'prod_fantasma', quantity: 1 }] })
  assert.equal(unknown.status, 400, `checkout-api's refusal passes through: ${JSON.stringify(unknown.body)}`)
  assert.equal(unknown.body.code, 'SHOP_ERR_UNKNOWN_PRODUCT')

  const traffic = await call('PUT', 'checkout-api', '/traffic', { rate: 20, mode: 'mixed', failPaymentShare: 0.1, outOfStockShare: 0.1 })
  assert.equal(traffic.status, 200, JSON.stringify(traffic.body))
  t.after(async () => { await call('DELETE', 'checkout-api', '/traffic').catch(() => {}) })

  const kinds = [
    { outcome: 'confirmed', body: { customerId: 'turma-pay-ok', items: [{ productId: plenty, quantity: 2 }] } },
    { outcome: 'payment_failed', body: { customerId: 'turma-fail-payment', items: [{ productId: plenty, quantity: 1 }] } },
    { outcome: 'inventory_failed', body: { customerId: 'turma-pay-ok', items: [{ productId: scarce, quantity: 100 }] } }
  ]
  const runs: Run[] = []
  const problems: string[] = []
  for (let i = 0; i < 10; i++) {
    const kind = kinds[i % kinds.length]!
    const started = Date.now()
    const res = await compare(kind.body)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    const { choreography: c, orchestration: o } = res.body as { choreography: Run, orchestration: Run }
    const [cn, on] = COUNTS[kind.outcome]!
    for (const [run, n] of [[c, cn], [o, on]] as const) {
      runs.push(run)
      const status = kind.outcome === 'confirmed' ? 'confirmed' : 'failed'
      const ok = run.complete && run.status === status && (status === 'confirmed' || run.reason === kind.outcome) && run.messageCount === n
      if (!ok) problems.push(`comparison ${i + 1} (${kind.outcome}), ${run.mode}: complete=${run.complete} ${run.status}/${run.reason} ${run.messageCount} of ${n} messages [${run.messages.map(m => m.topic).join(', ')}] ${run.incomplete.join('; ')}`)
    }
    t.diagnostic(`comparison ${i + 1} (${kind.outcome}): ${c.messageCount} + ${o.messageCount} messages in ${Date.now() - started} ms`)
  }
  assert.deepEqual(problems, [], '10 of 10 comparisons complete, with the right count per mode')
  await call('DELETE', 'checkout-api', '/traffic')

  // Causal order, and what Kafka says each group consumed.
  for (const run of runs) {
    const at = new Map(run.messages.filter(m => m.eventId).map(m => [m.eventId!, m.index]))
    assert.deepEqual(run.messages.map(m => m.index), run.messages.map((_m, i) => i))
    assert.equal(run.messages[0]!.topic, 'orders.new', `${run.mode} ${run.orderId} starts with the order`)
    for (const m of run.messages.slice(1)) {
      const cause = at.get(m.causationId ?? '')
      assert.ok(cause !== undefined && cause < m.index, `${run.mode} ${run.orderId}: ${m.topic} comes after its cause`)
      assert.ok(m.sinceCauseMs !== null && m.sinceCauseMs >= 0)
    }
    assert.ok(run.timings.toOutcomeMs !== null && run.timings.toOutcomeMs <= run.timings.totalMs)
    const news = run.messages[0]!
    assert.equal(news.producer, 'checkout-api')
    assert.deepEqual(news.consumers.map(x => x.service), ['payment', 'orchestrator', 'gateway', 'streams'])
    assert.deepEqual(news.consumers.map(x => x.committed), [true, true, null, null])
  }
  const confirmedO = runs.find(r => r.mode === 'orchestration' && r.status === 'confirmed')!
  // contracts' pt-BR summary: the step first ("Comando: cobrar"), then what the record's fields say.
  assert.deepEqual(confirmedO.messages.map(m => m.summary).filter(s => s.startsWith('Comando: ')).map(s => s.split(':')[1]!.trim()), ['cobrar', 'reservar estoque', 'efetivar venda', 'confirmar pedido'])
  assert.deepEqual(confirmedO.state.map(s => [s.service, s.value]), [['orchestrator', 'completed'], ['checkout-api', 'confirmed'], ['payment', 'approved'], ['inventory', 'committed']])

  // Nothing invented, nothing missing: each trace is exactly what the topics hold under its order's key.
  const held = new Map<string, string[]>()
  for (const spec of TOPICS) {
    for (const r of await readAllNow(env.brokers, env.prefix + spec.name)) {
      if (r.key === null) continue
      const list = held.get(r.key) ?? []
      list.push(`${spec.name}:${r.partition}:${r.offset}`)
      held.set(r.key, list)
    }
  }
  for (const run of runs) assert.deepEqual(run.messages.map(m => `${m.topic}:${m.partition}:${m.offset}`).sort(), (held.get(run.orderId) ?? []).sort(), `${run.mode} ${run.orderId}`)

  // With notification down no saga can finish: the comparison gives up within its time and names what is missing.
  await running[2]!.close()
  const impatient = await buildApp('gateway', gatewayApp, loadConfig(GatewayConfig, serviceEnv(env, { ...peers, PORT: 0, COMPARE_TIMEOUT_MS: 5000 })))
  running.push(impatient)
  const res = await impatient.inject({ method: 'POST', url: '/api/compare', payload: kinds[0]!.body })
  assert.equal(res.statusCode, 200, res.body)
  const { choreography: c, orchestration: o } = res.json() as { choreography: Run, orchestration: Run }
  assert.equal(c.status, 'confirmed')
  assert.deepEqual([c.complete, c.messageCount], [false, COUNTS.confirmed![0] - 1], 'everything but the notification was found')
  assert.match(c.incomplete.join('; '), /^faltam no Kafka após \d+,\d s: notifications\.sent$/)
  // The first saga used up the time; the second got its last look, and says what it still lacked.
  assert.equal(o.complete, false)
  assert.match(o.incomplete.join('; '), /notifications\.sent$/)
})
