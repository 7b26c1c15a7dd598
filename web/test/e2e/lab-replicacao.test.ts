import { test } from 'node:test'
import assert from 'node:assert/strict'
import { labSuite, onPage, screenshot } from './helpers.ts'

// The Replicação lab on the shared 1-broker stack (make test): the page says what it would show with
// three brokers and how to start them, its broker panel is the cluster's (leaders counted from the
// broker's metadata), and a broker that does not exist is refused naming the field. The shared broker
// is never stopped (the gateway refuses it: one broker). Three brokers: web/test/full/lab-replicacao-3.test.ts.
// No control plane: the lab reads the brokers from the metadata alone.
const lab = labSuite({ gatewayEnv: { CONTROL_URL: 'http://127.0.0.1:9', CONTROL_TIMEOUT_MS: 1000 } })
const { skip } = lab

test('Replicação under one broker: the page explains the 3-broker mode and how to start it; its panel is the broker\'s metadata; an unknown broker is refused naming params.id', { skip, timeout: 60_000 }, async () => {
  await onPage(lab.ui.browser, 'lab-replicacao', async (page) => {
    await page.goto(`${lab.ui.web.url}/#/lab/replicacao`)
    const single = page.getByTestId('lab-repl-single')
    await single.waitFor({ timeout: 15_000 })
    assert.equal(await single.getAttribute('data-brokers'), '1')
    assert.match(await single.innerText(), /precisa de 3/)
    assert.match(await single.innerText(), /NOT_ENOUGH_REPLICAS/)
    assert.equal((await page.getByTestId('lab-repl-command').innerText()).trim(), 'make down\nmake demo BROKERS=3')

    // The broker panel: one broker, leading every partition the broker's metadata lists (internal topics too).
    const meta = await lab.ui.gateway.app.kafkaReader.metadata()
    const partitions = meta.topics.reduce((n, t) => n + t.partitions.length, 0)
    const broker = page.getByTestId('lab-repl-broker')
    assert.equal(await broker.count(), 1)
    assert.equal(await broker.getAttribute('data-broker'), String(meta.brokers[0]!.id))
    assert.equal(await broker.getAttribute('data-up'), 'true')
    // Polled each second: topics other tests create meanwhile can move the count, so wait for ours to match once.
    await page.waitForFunction(n => Number(document.querySelector('[data-testid=lab-repl-broker]')?.getAttribute('data-leaders')) >= n, partitions, { timeout: 10_000 })
    const controller = page.getByTestId('lab-repl-controller')
    assert.equal(await controller.getAttribute('data-separate'), 'false', 'one broker is a combined node: the controller is inside it')
    assert.equal(await controller.getAttribute('data-leader'), String(meta.brokers[0]!.id))
    // No stop buttons, no lab topic: nothing here can stop the one broker.
    assert.equal(await page.getByTestId('lab-repl-stop').count(), 0)
    assert.equal(await page.getByTestId('lab-repl-topic').count(), 0)
    assert.equal(await page.getByTestId('lab-repl-elect').isDisabled(), true)

    // Bad input: broker 7 does not exist (404 naming params.id); broker 1 is the only one (409 with the hint).
    await page.getByTestId('lab-repl-broker-id').fill('7')
    await page.getByTestId('lab-repl-stop-by-id').click()
    const error = page.getByTestId('lab-repl-error')
    await error.waitFor({ timeout: 10_000 })
    assert.equal(await error.getAttribute('data-code'), 'SHOP_ERR_BROKER_NOT_FOUND')
    assert.match(await error.innerText(), /params\.id: there is no broker 7/)
    await page.getByTestId('lab-repl-broker-id').fill('1')
    await page.getByTestId('lab-repl-stop-by-id').click()
    await page.locator('[data-testid=lab-repl-error][data-code=SHOP_ERR_LAB_NEEDS_THREE_BROKERS]').waitFor({ timeout: 10_000 })
    assert.equal((await lab.ui.gateway.app.kafkaReader.metadata()).brokers.length, 1, 'the shared broker still answers')
    await screenshot(page, 'lab-replicacao')
  })
})
