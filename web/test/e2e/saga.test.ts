import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { readTopic, waitFor } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import type { BrowserSuite } from './helpers.ts'
import { deleteTestSubjects, openPage, orchestratorExists, sagaServicesExist, screenshot, skipUnlessRunnable, startBrowserSuite } from './helpers.ts'

// The whole path a class watches: the form places an order through the gateway into the real
// checkout-api; payment, inventory and notification react over the real broker; the page shows
// the order's timeline with the Kafka coordinates each event really has.
const skip = skipUnlessRunnable(sagaServicesExist() ? false : 'the saga services are not in this tree yet')
const withOrchestrator = orchestratorExists()

// The harness package only exists next to the saga services: imported when they are there.
type SagaHarness = { env: TestEnv, url: (id: 'checkout-api' | 'inventory' | 'orchestrator') => string, catalogSynced: () => Promise<void>, close: () => Promise<void> }
let saga: SagaHarness
let ui: BrowserSuite
// The process-mode services write their logs here, as the supervisor does; the gateway reads them (LOG_DIR).
const logDir = join(mkdtempSync(join(tmpdir(), 'vitrine-e2e-logs-')), 'logs')

before(async () => {
  if (skip) return
  const spec = '@vitrine/saga-tests'
  const { Saga } = await import(spec) as { Saga: { start: (o: unknown) => Promise<SagaHarness> } }
  saga = await Saga.start({
    services: ['inventory', 'payment', 'notification', ...(withOrchestrator ? ['orchestrator'] : []), 'checkout-api'],
    // The gateway reaches these over HTTP; the others run in this process.
    processes: ['inventory', 'checkout-api', ...(withOrchestrator ? ['orchestrator'] : [])],
    env: { payment: { PAYMENT_DELAY_MIN_MS: 300, PAYMENT_DELAY_MAX_MS: 600 }, 'checkout-api': { LOG_LEVEL: 'info' }, inventory: { LOG_LEVEL: 'info' } },
    logDir
  })
  ui = await startBrowserSuite(saga.env, { gatewayEnv: { LOG_DIR: logDir, CHECKOUT_API_URL: saga.url('checkout-api'), INVENTORY_URL: saga.url('inventory'), ...(withOrchestrator ? { ORCHESTRATOR_URL: saga.url('orchestrator') } : {}) } })
})

after(async () => {
  await ui?.close()
  if (saga) {
    await saga.close()
    await deleteTestSubjects(saga.env)
  }
  rmSync(join(logDir, '..'), { recursive: true, force: true })
})

async function placeOrder (page: Page, trigger: string, mode: 'choreography' | 'orchestration'): Promise<string> {
  await page.goto(`${ui.web.url}/#/novo`)
  await page.getByTestId('qty-prod_1').waitFor()
  await page.getByTestId(`mode-${mode}`).check()
  await page.getByTestId(`trigger-${trigger}`).check()
  await page.getByTestId('place-order').click()
  const link = page.getByTestId('order-link')
  await link.waitFor({ timeout: 15_000 })
  const orderId = (await link.textContent())!.trim()
  await link.click()
  await page.getByTestId('timeline').waitFor()
  return orderId
}

async function steps (page: Page): Promise<Array<{ topic: string, outcome: string, text: string }>> {
  return await page.getByTestId('timeline-step').evaluateAll(els => els.map(el => ({ topic: el.getAttribute('data-topic') ?? '', outcome: el.getAttribute('data-outcome') ?? '', text: el.textContent ?? '' })))
}

test('an order placed in the form reaches confirmed, every step on its timeline with its real Kafka coordinates', { skip }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  try {
    await page.goto(`${ui.web.url}/#/novo`)
    await page.getByTestId('qty-prod_1').waitFor()
    await screenshot(page, 'novo-pedido')
    const orderId = await placeOrder(page, 'pay-ok', 'choreography')
    const expected = ['orders.new', 'payments.requested', 'payments.approved', 'inventory.reserved', 'orders.confirmed', 'notifications.sent']
    await waitFor('the whole saga on the timeline', async () => {
      const got = (await steps(page)).map(s => s.topic)
      return expected.every(t => got.includes(t))
    }, 45_000, 250)
    assert.equal((await page.getByTestId('order-status').textContent())?.trim(), 'Confirmado')
    const got = await steps(page)
    assert.deepEqual(got.map(s => s.topic).filter(t => expected.includes(t)), expected, 'in the order they happened')
    assert.equal(got.filter(s => s.outcome === 'compensation').length, 0)
    // The explanation counts the timeline's events and names how the order ended.
    await waitFor('the order explained with its timeline', async () => {
      const n = await page.getByTestId('timeline-step').count()
      return (await page.getByTestId('order-explain').textContent() ?? '').includes(`Confirmado: ${n} eventos em `)
    }, 5_000, 200)

    // The coordinates shown are the record's own, as Kafka has it.
    const [created] = (await readTopic(saga.env.brokers, saga.env.prefix + 'orders.new', rs => rs.some(r => r.key === orderId), 15_000)).filter(r => r.key === orderId)
    assert.ok(created)
    const shown = got.find(s => s.topic === 'orders.new')!.text
    assert.match(shown, new RegExp(`partição ${created.partition} · offset ${created.offset}\\b`))
    assert.match(shown, /checkout-api → orders\.new/)
    assert.match(got.find(s => s.topic === 'payments.approved')!.text, /\+\d/, 'each step shows the time since the one before')

    // The Logs section: what checkout-api and inventory (processes writing their log files) said about this order.
    const lines = async (): Promise<Array<{ service: string, level: string, text: string, color: string }>> =>
      await page.getByTestId('log-line').evaluateAll(els => els.map(el => ({ service: el.getAttribute('data-service') ?? '', level: el.getAttribute('data-level') ?? '', text: el.textContent ?? '', color: getComputedStyle(el.querySelector('.service')!).color })))
    const logged = await waitFor('the order\'s log lines of checkout-api and inventory', async () => {
      const ls = await lines()
      return ls.some(l => l.service === 'checkout-api' && l.text.includes('order finished')) && ls.some(l => l.service === 'inventory' && l.text.includes('stock reserved')) ? ls : undefined
    }, 15_000, 250)
    const accepted = logged.find(l => l.text.includes('order accepted'))!
    assert.equal(accepted.service, 'checkout-api')
    assert.equal(accepted.level, 'info')
    assert.match(accepted.text, /^\d\d:\d\d:\d\d\.\d{3}\s+checkout-api\s+info\s+order accepted reqId=\S+ mode=choreography/)
    const times = logged.map(l => l.text.slice(0, 12))
    assert.deepEqual(times, [...times].sort(), 'in time order')
    const tokenColor = async (name: string): Promise<string> => await page.evaluate(n => { const el = document.createElement('span'); el.style.color = `var(--svc-${n})`; document.body.append(el); const c = getComputedStyle(el).color; el.remove(); return c }, name)
    assert.equal(accepted.color, await tokenColor('checkout-api'))
    assert.equal(logged.find(l => l.service === 'inventory')!.color, await tokenColor('inventory'))
    assert.notEqual(await tokenColor('checkout-api'), await tokenColor('inventory'))
    await screenshot(page, 'pedido-confirmado')
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
  }
})

test('the form shows the catalog\'s prices; after a price change the order is charged the new one', { skip }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  try {
    const changed = await fetch(`${saga.url('inventory')}/products/prod_2/price`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ priceCents: 1234 }) })
    assert.equal(changed.status, 200)
    await saga.catalogSynced()
    await page.goto(`${ui.web.url}/#/novo`)
    const price = page.getByTestId('price-prod_2')
    await price.waitFor()
    assert.match((await price.textContent()) ?? '', /R\$\s12,34/, 'the price inventory has now, not the seed\'s R$ 35,00')
    assert.match((await page.getByTestId('price-prod_1').textContent()) ?? '', /R\$\s49,90/)
    await page.getByTestId('qty-prod_1').fill('0')
    await page.getByTestId('qty-prod_2').fill('2')
    await page.getByTestId('trigger-pay-ok').check()
    assert.match((await page.getByTestId('place-order').textContent()) ?? '', /24,68/)
    await screenshot(page, 'novo-pedido-precos-do-catalogo')
    await page.getByTestId('place-order').click()
    const link = page.getByTestId('order-link')
    await link.waitFor({ timeout: 15_000 })
    const orderId = (await link.textContent())!.trim()
    const order = await (await fetch(`${ui.gateway.url}/api/shop/orders/${orderId}`)).json() as { totalCents: number, items: Array<{ productId: string, quantity: number, unitPriceCents: number }> }
    assert.equal(order.totalCents, 2468)
    assert.deepEqual(order.items, [{ productId: 'prod_2', quantity: 2, unitPriceCents: 1234 }])
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
  }
})

test('an order made to fail shows its compensation', { skip }, async () => {
  const page = await openPage(ui.browser, [])
  try {
    // Payment approves ("pay-ok"), inventory cannot reserve one unit more than it has: payment refunds.
    await placeOrder(page, 'out-of-stock', 'choreography')
    await waitFor('the refund on the timeline', async () => (await steps(page)).some(s => s.topic === 'payments.refunded'), 45_000, 250)
    await waitFor('the order failed', async () => (await page.getByTestId('order-status').textContent())?.trim() === 'Falhou', 15_000, 250)
    const got = await steps(page)
    assert.ok(got.some(s => s.topic === 'inventory.failed' && s.outcome === 'failure'))
    const refund = page.locator('[data-testid="timeline-step"][data-topic="payments.refunded"]')
    assert.equal(await refund.getAttribute('data-outcome'), 'compensation')
    assert.match(await refund.getAttribute('class') ?? '', /\bcompensation\b/, 'highlighted as a compensation')
    assert.match(await page.getByTestId('compensation-count').textContent() ?? '', /1 compensação/)
    await waitFor('the failure explained with the timeline\'s numbers', async () => {
      const n = await page.getByTestId('timeline-step').count()
      return new RegExp(`Falhou: ${n} eventos em [\\s\\S]*1 compensação desfez o que já tinha sido feito \\(payments\\.refunded\\)`).test(await page.getByTestId('order-explain').textContent() ?? '')
    }, 5_000, 200)
    await screenshot(page, 'pedido-compensacao')
  } finally {
    await page.close()
  }
})

test('an orchestrated order is told apart: commands and replies, in orchestration mode', { skip: skip || (withOrchestrator ? false : 'no orchestrator in this tree yet') }, async () => {
  const page = await openPage(ui.browser, [])
  try {
    await placeOrder(page, 'pay-ok', 'orchestration')
    await waitFor('confirmed', async () => (await page.getByTestId('order-status').textContent())?.trim() === 'Confirmado', 45_000, 250)
    const got = await steps(page)
    assert.ok(got.some(s => s.topic === 'payments.commands'), 'the orchestrator commanded the payment')
    assert.ok(got.some(s => s.topic === 'payments.replies'), 'and payment replied')
    assert.match(await page.getByTestId('order-head').textContent() ?? '', /orquestração/)
    await screenshot(page, 'pedido-orquestrado')
  } finally {
    await page.close()
  }
})

test('the same order compared in both saga styles, side by side', { skip: skip || (withOrchestrator ? false : 'no orchestrator in this tree yet') }, async () => {
  const page = await openPage(ui.browser, [])
  try {
    await page.goto(`${ui.web.url}/#/novo`)
    await page.getByTestId('qty-prod_1').waitFor()
    await page.getByTestId('trigger-pay-ok').check()
    await page.getByTestId('compare-button').click()
    await page.getByTestId('compare-run').nth(1).waitFor({ timeout: 90_000 })
    const runs = page.getByTestId('compare-run')
    assert.deepEqual(await runs.evaluateAll(els => els.map(el => el.getAttribute('data-mode'))), ['choreography', 'orchestration'])
    for (const mode of ['choreography', 'orchestration']) {
      const run = page.locator(`[data-testid="compare-run"][data-mode="${mode}"]`)
      assert.match(await run.getByTestId('compare-status').textContent() ?? '', /^confirmado/)
      const shown = Number((await run.getByTestId('compare-count').textContent())?.trim())
      assert.ok(shown > 0)
      assert.equal(await run.getByTestId('compare-message').count(), shown, 'every message counted is listed')
    }
    await screenshot(page, 'comparar-modos')
  } finally {
    await page.close()
  }
})

test('every page shows the live orders: flow, events (click → order), metrics', { skip }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  try {
    await page.goto(`${ui.web.url}/#/fluxo`)
    await page.getByTestId('flow-topic').first().waitFor()
    // An order while the flow page is open, so its events move across the graph.
    const res = await fetch(`${ui.gateway.url}/api/shop/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customerId: 'turma-pay-ok', items: [{ productId: 'prod_3', quantity: 1 }] }) })
    assert.equal(res.status, 202)
    const { orderId } = await res.json() as { orderId: string }
    await waitFor('orders.new counted on the graph', async () => Number(await page.locator('[data-testid="flow-topic"][data-topic="orders.new"] .count').textContent()) >= 1, 15_000)
    // The explanation repeats the graph's counters (it follows them within a second) and says where the orders are.
    const flowSays = await waitFor('the flow explained with the graph\'s numbers', async () => {
      const [text, created, confirmed, failed] = await page.evaluate(() => [
        document.querySelector('[data-testid="flow-explain"]')?.textContent ?? '',
        ...['orders.new', 'orders.confirmed', 'orders.failed'].map(t => document.querySelector(`[data-testid="flow-topic"][data-topic="${t}"] .count`)?.textContent ?? '?')
      ])
      return new RegExp(`abriu: ${created} pedidos? entr\\w+ \\(orders\\.new\\), ${confirmed} \\w+ confirmados? \\(orders\\.confirmed\\) e ${failed} falh\\w+ \\(orders\\.failed\\)`).test(text!) ? text : undefined
    }, 5_000, 200)
    assert.match(flowSays!, /pedidos? (está|estão) em andamento: \d+ depois de [\w.-]+, esperando [\w-]+|Nenhum pedido em andamento/)
    await page.waitForTimeout(800)
    await screenshot(page, 'fluxo-ao-vivo')

    await page.goto(`${ui.web.url}/#/eventos`)
    // The explanation's last-minute figures are the list's own: the "último minuto" window shows as
    // many events, and filtered on the topic it names, as many of that topic.
    await page.getByTestId('filter-window').selectOption('1')
    const shown = async (): Promise<{ text: string, showing: string }> => await page.evaluate(() => ({
      text: document.querySelector('[data-testid="events-explain"]')?.textContent ?? '',
      showing: /Mostrando ([\d.]+) de/.exec(document.querySelector('[data-testid="events-count"]')?.textContent ?? '')?.[1] ?? '?'
    }))
    const minute = await waitFor('the last minute explained', async () => {
      const { text, showing } = await shown()
      const said = /chegaram ([\d.]+) eventos?/.exec(text)?.[1]
      return said !== undefined && said === showing ? text : undefined
    }, 5_000, 200)
    // The topic it names: the one that dominates, or one of those that tie (one order: one event per step).
    const named = (text: string): { topic: string, events: string } | undefined => {
      const m = /mais aparece é ([\w.-]+), com ([\d.]+) de/.exec(text) ?? /empatam com ([\d.]+) eventos? cada \(como ([\w.-]+)\)/.exec(text)
      if (!m) return undefined
      return m[0].startsWith('mais') ? { topic: m[1]!, events: m[2]! } : { topic: m[2]!, events: m[1]! }
    }
    const top = named(minute)
    assert.ok(top, minute)
    await page.getByTestId('filter-topic').selectOption(top.topic)
    // (The panel ignores the filters: events arriving meanwhile change both, so they are read together.)
    await waitFor(`the list filtered on ${top.topic} shows as many as the panel says`, async () => {
      const { text, showing } = await shown()
      const now = named(text)
      return now?.topic === top.topic && now.events === showing
    }, 5_000, 200)
    await page.getByTestId('filter-topic').selectOption('')
    await page.getByTestId('filter-window').selectOption('0')
    await page.getByTestId('search-order').fill(orderId)
    const card = page.locator(`[data-testid="event-card"][data-order="${orderId}"]`).first()
    await card.waitFor({ timeout: 20_000 })
    const others = await page.locator('[data-testid="event-card"]').evaluateAll((els, id) => els.filter(el => el.getAttribute('data-order') !== id).length, orderId)
    assert.equal(others, 0, 'the search keeps only this order\'s events')
    await screenshot(page, 'eventos')
    await card.click()
    await page.waitForURL(new RegExp(`#/pedido/${orderId}$`))
    await page.getByTestId('timeline-step').first().waitFor()

    await page.goto(`${ui.web.url}/#/metricas`)
    await waitFor('figures', async () => /\d/.test(await page.getByTestId('metric-success').textContent() ?? ''), 10_000)
    // This test's own order (placed on the flow page, "pay-ok") is counted once it is confirmed.
    const counted = await waitFor('the order counted as confirmed', async () => {
      const stats = await (await fetch(`${ui.gateway.url}/api/stats`)).json() as { orders: { created: number, confirmed: number } }
      return stats.orders.confirmed >= 1 ? stats : undefined
    }, 30_000)
    assert.ok(counted.orders.created >= 1)
    // The page refreshes its figures on its own timer: wait for the rate, not a guessed pause.
    await waitFor('the success rate shown as a percentage', async () => /%/.test(await page.getByTestId('metric-success').textContent() ?? ''), 15_000)
    // The explanation uses the cards' figures: the success rate and the confirmed and failed counts.
    await waitFor('the metrics explained with the cards\' numbers', async () => {
      const card = await page.getByTestId('metric-success').textContent() ?? ''
      const text = await page.getByTestId('metrics-explain').textContent() ?? ''
      const [, rate, confirmed, failed] = /([\d,]+%)\s*([\d.]+) confirmados · ([\d.]+) falharam/.exec(card) ?? []
      return rate !== undefined && text.includes(`Taxa de sucesso ${rate}: dos `) && new RegExp(`, ${confirmed} confirmados?, ${failed} falh[\\s\\S]*, ${confirmed} (foi confirmado|foram confirmados)`).test(text)
    }, 5_000, 200)
    await screenshot(page, 'metricas')
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
  }
})
