import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startControlApi, startExerciseShop, testInstructorHeaders, waitFor } from '@vitrine/infra/testing'
import type { ControlApi, ExerciseShop } from '@vitrine/infra/testing'
import type { BrowserSuite } from './helpers.ts'
import { openPage, sagaServicesExist, screenshot, skipUnlessRunnable, startBrowserSuite } from './helpers.ts'

// The instructor bar and the glossary. Behind the page: a real checkout-api (its traffic generator)
// and inventory (the catalog the generator orders from, the stock a reset restores), and the real
// control plane, all on a test shop of their own (own topic prefix, group suffix and database
// schemas). The reset is cancelled once (nothing sent), then confirmed: the plane restarts the two
// services, no order is left and the stock is the seed again.
const skip = skipUnlessRunnable(sagaServicesExist() ? false : 'the saga services are not in this tree yet')

let shop: ExerciseShop
let control: ControlApi
let ui: BrowserSuite
let checkoutUrl: string
let inventoryUrl: string

interface Traffic { running: boolean, rate: number }
const traffic = async (): Promise<Traffic> => await (await fetch(`${checkoutUrl}/traffic`, { signal: AbortSignal.timeout(5000) })).json() as Traffic
const orders = async (): Promise<number> => Number((await shop.ctx.sql.unsafe(`select count(*)::int as n from "${shop.ctx.schema('checkout-api')}".orders`))[0]!.n)
const stock = async (): Promise<Record<string, number>> => {
  const { products } = await (await fetch(`${inventoryUrl}/products`, { signal: AbortSignal.timeout(5000) })).json() as { products: Array<{ id: string, stock: number, reserved: number }> }
  return Object.fromEntries(products.map(p => [p.id, p.stock - p.reserved]))
}

before(async () => {
  if (skip) return
  // No payment service: the generator's orders are taken and stay pending, which is all the bar and the reset need.
  shop = await startExerciseShop({ services: ['checkout-api', 'inventory'] })
  control = await startControlApi(shop.plane)
  checkoutUrl = `http://127.0.0.1:${shop.plane.settings.apps.ports['checkout-api']}`
  inventoryUrl = `http://127.0.0.1:${shop.plane.settings.apps.ports.inventory}`
  ui = await startBrowserSuite(shop.env, { gatewayEnv: { CHECKOUT_API_URL: checkoutUrl, CONTROL_URL: control.url } })
})

after(async () => {
  await ui?.close()
  await control?.close()
  await shop?.close()
})

test('the glossary opens from the header and #/glossario/<termo> highlights the term; the instructor bar pauses and resumes the generator, a cancelled reset sends nothing and a confirmed one leaves no order and the seed stock', { skip, timeout: 180_000 }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  const resets: string[] = []
  page.on('request', r => { if (r.url().includes('/api/admin/reset')) resets.push(r.method()) })
  try {
    // The fresh shop's stock is the seed (inventory's migration): what a reset must give back.
    const seed = await stock()
    assert.ok(Object.keys(seed).length >= 6, JSON.stringify(seed))
    await page.goto(`${ui.web.url}/#/fluxo`)
    assert.equal(await page.getByTestId('instructor-bar').count(), 0, 'the bar is hidden until Modo instrutor')

    // The glossary from the header, then one term's address.
    await page.getByTestId('nav-glossary').click()
    await page.getByTestId('glossary').waitFor()
    assert.ok(await page.getByTestId('glossary-term').count() >= 30)
    await page.goto(`${ui.web.url}/#/glossario/isr`)
    const isr = page.locator('#termo-isr')
    await waitFor('the ISR entry highlighted and scrolled into view', async () =>
      await isr.getAttribute('aria-current') === 'true' && await isr.evaluate(e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight }), 5000)
    assert.equal(await page.locator('[data-testid="glossary-term"][aria-current="true"]').count(), 1, 'only that term is highlighted')
    assert.match(await isr.textContent() ?? '', /in-sync replicas[\s\S]*Laboratório › Replicação[\s\S]*docs\/conceitos\/replicacao\.md/)
    await screenshot(page, 'glossario')

    // Modo instrutor, kept across a reload.
    const started = await (await fetch(`${checkoutUrl}/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rate: 0.5 }) })).json() as Traffic
    assert.equal(started.running, true)
    await page.getByTestId('instructor-toggle').click()
    await page.getByTestId('instructor-bar').waitFor()
    await page.reload()
    const state = page.getByTestId('instructor-traffic-state')
    await waitFor('the bar shows the running generator', async () => /ligado, 0,?\.?5 pedido/.test(await state.textContent().catch(() => '') ?? ''), 10_000)

    // Pause: the generator stops in checkout-api.
    await page.getByTestId('instructor-pause').click()
    await waitFor('paused on the page', async () => (await state.textContent()) === 'pausado', 5000)
    assert.equal((await traffic()).running, false)

    // Resume at another rate.
    await page.getByTestId('instructor-rate').fill('2')
    await page.getByTestId('instructor-resume').click()
    await waitFor('running again on the page', async () => /ligado, 2 pedido/.test(await state.textContent() ?? ''), 5000)
    assert.deepEqual(await traffic().then(t => ({ running: t.running, rate: t.rate })), { running: true, rate: 2 })
    await screenshot(page, 'instrutor-barra')

    // Reset: cancel sends nothing.
    await page.getByTestId('instructor-reset').click()
    await page.getByTestId('confirm-dialog').waitFor()
    assert.match(await page.getByTestId('confirm-dialog').textContent() ?? '', /make reset/)
    await screenshot(page, 'instrutor-zerar-confirmacao')
    await page.getByRole('button', { name: 'Cancelar' }).click()
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' })
    assert.deepEqual(resets, [], 'a cancelled reset sends nothing')
    assert.equal((await traffic()).running, true, 'nothing was restarted')

    // Reset, confirmed. First something to undo: the generator's orders, and a delivery of prod_1.
    await waitFor('the generator placed orders', async () => await orders() > 0, 15_000, 250)
    await page.getByTestId('instructor-pause').click()
    await waitFor('paused on the page', async () => (await state.textContent()) === 'pausado', 5000)
    const restock = await fetch(`${inventoryUrl}/products/prod_1/restock`, { method: 'POST', headers: { 'content-type': 'application/json', ...testInstructorHeaders() }, body: JSON.stringify({ quantity: 7 }) })
    assert.equal(restock.status, 200, await restock.text())
    assert.equal((await stock()).prod_1, seed.prod_1! + 7)
    const placed = await orders()
    // The flow page under the bar, for the screenshot (the glossary is long).
    await page.goto(`${ui.web.url}/#/fluxo`)
    await page.getByTestId('instructor-reset').click()
    await page.getByTestId('confirm-dialog').waitFor()
    await page.getByRole('button', { name: 'Zerar tudo' }).click()
    const report = page.getByTestId('instructor-reset-report')
    await report.waitFor({ timeout: 90_000 })
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' })
    assert.deepEqual(resets, ['POST'], 'one reset sent')
    assert.equal(await orders(), 0, `no order left (${placed} before)`)
    assert.deepEqual(await stock(), seed, 'the stock is the seed again (prod_1\'s delivery undone)')
    const emptied = Number(/([\d.]+) linhas apagadas/.exec(await report.textContent() ?? '')?.[1]?.replaceAll('.', ''))
    assert.ok(emptied >= placed, `the report counts at least the ${placed} orders among the rows emptied (${emptied})`)
    assert.match(await report.textContent() ?? '', new RegExp(`${Object.keys(seed).length} produtos com o estoque inicial`))
    assert.equal((await traffic()).running, false, 'a paused generator stays paused after the restart')
    await screenshot(page, 'instrutor-zerar')

    assert.deepEqual(errors, [])
  } finally {
    await fetch(`${checkoutUrl}/traffic`, { method: 'DELETE' }).catch(() => {})
    await page.close()
  }
})
