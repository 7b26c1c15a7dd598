import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startControlApi, startExerciseShop, waitFor } from '@vitrine/infra/testing'
import type { ControlApi, ExerciseShop } from '@vitrine/infra/testing'
import type { BrowserSuite } from './helpers.ts'
import { openPage, sagaServicesExist, screenshot, skipUnlessRunnable, startBrowserSuite } from './helpers.ts'

// The instructor bar and the glossary. Behind the page: a real checkout-api (its traffic generator)
// and the real control plane, both on a test shop of their own (own topic prefix, group suffix and
// database schemas). The reset is only asked for and cancelled here (a confirmed one restarts the
// services: too slow for make test); the gateway's reset through the real control plane is
// services/gateway/test/integration/admin.test.ts.
const skip = skipUnlessRunnable(sagaServicesExist() ? false : 'the saga services are not in this tree yet')

let shop: ExerciseShop
let control: ControlApi
let ui: BrowserSuite
let checkoutUrl: string

interface Traffic { running: boolean, rate: number }
const traffic = async (): Promise<Traffic> => await (await fetch(`${checkoutUrl}/traffic`, { signal: AbortSignal.timeout(5000) })).json() as Traffic

before(async () => {
  if (skip) return
  // checkout-api alone: the generator's orders fail at the inventory (not started), which is all the
  // bar needs; INVENTORY_URL points nowhere so nothing of the shared stack's shop is asked.
  shop = await startExerciseShop({ services: ['checkout-api'], env: { INVENTORY_URL: 'http://127.0.0.1:9' } })
  control = await startControlApi(shop.plane)
  checkoutUrl = `http://127.0.0.1:${shop.plane.settings.apps.ports['checkout-api']}`
  ui = await startBrowserSuite(shop.env, { gatewayEnv: { CHECKOUT_API_URL: checkoutUrl, CONTROL_URL: control.url } })
})

after(async () => {
  await ui?.close()
  await control?.close()
  await shop?.close()
})

test('the glossary opens from the header and #/glossario/<termo> highlights the term; the instructor bar pauses and resumes the generator and a cancelled reset sends nothing', { skip }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  const resets: string[] = []
  page.on('request', r => { if (r.url().includes('/api/admin/reset')) resets.push(r.method()) })
  try {
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

    assert.deepEqual(errors, [])
  } finally {
    await fetch(`${checkoutUrl}/traffic`, { method: 'DELETE' }).catch(() => {})
    await page.close()
  }
})
