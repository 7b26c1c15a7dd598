import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { waitFor } from '@vitrine/infra/testing'
import { Saga, orderBody } from '@vitrine/saga-tests'
import type { ServiceId } from '@vitrine/saga-tests'
import type { BrowserSuite } from '../e2e/helpers.ts'
import { onPage, sagaServicesExist, screenshot, skipUnlessRunnable, startBrowserSuite } from '../e2e/helpers.ts'

// The instructor bar's step mode (runbooks/laboratorio/07-passo-a-passo.md): the choreography's four
// services in this process, each listening (the gateway reaches them by URL), on this test's topics,
// groups and schemas. The page turns the mode on, shows the placed order's orders.new held by payment
// with its pt-BR summary, releases it with "Próximo evento" (then payments.approved is held by
// inventory) and turns the mode off: the order is confirmed.
const skip = skipUnlessRunnable(sagaServicesExist() ? false : 'the saga services are not in this tree yet')
const SERVICES: ServiceId[] = ['inventory', 'payment', 'notification', 'checkout-api']

let saga: Saga
let ui: BrowserSuite

before(async () => {
  if (skip) return
  saga = await Saga.start({ services: SERVICES })
  const urls: Record<string, string> = {}
  for (const id of SERVICES) {
    const app = saga.running.get(id)!.app!
    await app.listen({ port: 0, host: '127.0.0.1' })
    urls[id] = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  }
  ui = await startBrowserSuite(saga.env, {
    gatewayEnv: { CHECKOUT_API_URL: urls['checkout-api']!, PAYMENT_URL: urls.payment!, INVENTORY_URL: urls.inventory!, NOTIFICATION_URL: urls.notification!, ORCHESTRATOR_URL: 'http://127.0.0.1:9', CONTROL_URL: 'http://127.0.0.1:9' }
  })
})

after(async () => {
  await ui?.close()
  await saga?.close()
})

test('the instructor bar turns the step mode on, shows the held orders.new in pt-BR, "Próximo evento" moves the saga one event, off lets the order finish', { skip }, async () => {
  const product = await saga.product(5)
  await onPage(ui.browser, 'instrutor-passo-a-passo', async page => {
    await page.goto(`${ui.web.url}/#/fluxo`)
    await page.getByTestId('instructor-toggle').click()
    const state = page.getByTestId('instructor-step-state')
    await waitFor('the step mode shown off', async () => (await state.textContent().catch(() => '')) === 'desligado', 10_000)

    await page.getByTestId('instructor-step-on').click()
    await waitFor('the step mode shown on', async () => (await state.textContent()) === 'ligado', 10_000)
    await page.getByTestId('instructor-step-empty').waitFor()
    const on = await (await saga.request('payment', 'GET', '/admin/step')).body
    assert.equal(on.on, true, 'payment is in step mode')

    const placed = await saga.placeOrder(orderBody('cliente-passo', [{ productId: product, quantity: 1 }]))
    assert.equal(placed.status, 202)
    const orderId = placed.body.orderId as string
    const summary = page.getByTestId('instructor-step-summary')
    const held = page.getByTestId('instructor-step-held')
    await waitFor('orders.new held by payment on the bar', async () => /^Pedido criado: 1 item\(ns\), total R\$/.test(await summary.textContent().catch(() => '') ?? ''), 15_000)
    assert.match(await held.textContent() ?? '', /payment vai tratar \(orders\.new, partição \d+, offset \d+\)/)
    await screenshot(page, 'instrutor-passo-a-passo')

    await page.getByTestId('instructor-step-next').click()
    await waitFor('payments.approved held by inventory', async () => /^Pagamento aprovado/.test(await summary.textContent().catch(() => '') ?? '') && /inventory vai tratar/.test(await held.textContent() ?? ''), 15_000)
    assert.equal((await saga.orderStatuses([orderId])).get(orderId)?.status, 'pending', 'held at the inventory: not confirmed yet')
    await screenshot(page, 'instrutor-passo-a-passo-proximo')

    await page.getByTestId('instructor-step-off').click()
    await waitFor('the step mode shown off again', async () => (await state.textContent()) === 'desligado', 10_000)
    const statuses = await saga.waitTerminal([orderId], 20_000)
    assert.equal(statuses.get(orderId)?.status, 'confirmed')
  })
})
