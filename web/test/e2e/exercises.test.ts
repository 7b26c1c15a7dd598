import { after, before, test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { consumeAndCommit, openProducer, produceAll, waitFor } from '@vitrine/infra/testing'
import type { ControlledSuite } from './helpers.ts'
import { onPage, screenshot, serveWeb, skipUnlessRunnable, startControlledSuite, startGateway } from './helpers.ts'

// The Exercícios page against the real control plane: a Kafka-only exercise shop (its own topic
// prefix and group suffix), the control plane's API over it (checking every exercise each second, as
// make demo does every 10 s), the gateway asking it every 500 ms while the page is open, the web app
// and Chromium. Exercise 1 is prepared as make exercicio N=1 does; the page shows what is missing;
// the student's work (keyed records produced, read by the group, the answer written) turns it done
// on the page by itself, pushed over socket.io.
const skip = skipUnlessRunnable()

let suite: ControlledSuite

before(async () => {
  if (skip) return
  suite = await startControlledSuite({ shop: { services: [] }, control: { exerciseCheckMs: 1000 }, gatewayEnv: { EXERCISES_POLL_MS: 500 } })
}, { timeout: 120_000 })

after(async () => { await suite?.close() })

test('the scoreboard shows exercise 1 turning done, live, after its solution runs', { skip, timeout: 90_000 }, async (t: TestContext) => {
  const { shop: { ctx }, control, ui } = suite
  // make exercicio N=1: the starting state (an empty topic, no group).
  const setup = await fetch(`${control.url}/exercises/1/setup`, { method: 'POST' })
  assert.equal(setup.status, 200, await setup.text())

  await onPage(ui.browser, 'exercicios', async (page) => {
    await page.goto(`${ui.web.url}/#/exercicios`)
    const card = page.locator('[data-testid=exercise][data-n="1"]')
    await card.waitFor({ timeout: 20_000 })
    assert.equal(await page.locator('[data-testid=exercise]').count(), 12)
    assert.match(await card.locator('h2').innerText(), /Produzir e consumir/)
    assert.match(await card.innerText(), /make exercicio N=1/)
    // "verificar agora" runs the checker: the start state is not done, and says what to do in pt-BR.
    await card.locator('[data-testid=exercise-check]').click()
    await card.locator('[data-testid=exercise-missing]', { hasText: 'COM CHAVE' }).waitFor({ timeout: 15_000 })
    assert.equal(await card.getAttribute('data-done'), 'false')

    // The student's work, with the same clients the shop uses: keyed records, the group reads them, the answer.
    const topic = `${ctx.topicPrefix}ex01.mensagens`
    const producer = await openProducer(t, ctx.brokers)
    const [first] = await produceAll(producer, topic, [{ key: 'aluno-1', value: 'olá' }, { key: 'aluno-2', value: 'tudo bem?' }])
    await consumeAndCommit(ctx.brokers, `ex01-leitor${ctx.groupSuffix}`, topic, 2, 20_000)
    await produceAll(producer, topic, [{ key: 'resposta', value: `${first!.partition}:${first!.offset}` }])

    // No click: the control plane's background check, the gateway's poll and the socket push bring it.
    await page.locator('[data-testid=exercise][data-n="1"][data-done="true"]').waitFor({ timeout: 20_000 })
    assert.match(await card.locator('[data-testid=exercise-done]').innerText(), /feito ✔ em \d{2}\/\d{2},? \d{2}:\d{2}:\d{2}/)
    assert.match(await page.locator('[data-testid=exercises-score]').innerText(), /^1 de 12 feitos$/)
    // The explanation counts what the scoreboard shows and names the next exercise with its checker's words.
    await waitFor('the scoreboard explained', async () => /agora\s*1 de 12 exercícios feitos/.test(await page.getByTestId('exercises-explain').textContent() ?? ''), 5_000)
    assert.match(await page.getByTestId('exercises-explain').textContent() ?? '', /O próximo é o \d+ \(/)
    assert.equal(await card.locator('[data-testid=exercise-missing]').count(), 0)
    assert.match(await card.locator('[data-testid=exercise-seen]').innerText(), /resposta ".*" confere/)
    await screenshot(page, 'exercicios')
  })
})

test('the control plane down: the page says to start it with make demo', { skip, timeout: 30_000 }, async () => {
  const { shop, ui } = suite
  const down = await startGateway(shop.env, { CONTROL_URL: 'http://127.0.0.1:9', CONTROL_TIMEOUT_MS: 1000 })
  const served = await serveWeb(ui.web.outDir, down.url)
  try {
    await onPage(ui.browser, 'exercicios-sem-plano', async (page) => {
      await page.goto(`${served.url}/#/exercicios`)
      const alert = page.locator('[data-testid=exercises-error]')
      await alert.waitFor({ timeout: 15_000 })
      assert.match(await alert.innerText(), /suba a loja com make demo/)
      assert.doesNotMatch(await alert.innerText(), /127\.0\.0\.1|http:/)
    })
  } finally {
    await served.server.close()
    await down.app.close()
  }
})
