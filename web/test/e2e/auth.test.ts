import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createCatalogTopics, deleteTestTopics, jwtTestConfig, testEnv } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import type { BrowserSuite } from './helpers.ts'
import { deleteTestSubjects, onPage, screenshot, skipUnlessRunnable, startBrowserSuite } from './helpers.ts'

// Signing in (issue 16) against a gateway with HTTP_AUTH=jwt: a customer's token gets the pt-BR
// refusal on an admin action (creating a topic), the instructor's (the code make demo prints) does it.
const skip = skipUnlessRunnable()
const CODE = 'codigo-e2e-do-instrutor'

let env: TestEnv
let ui: BrowserSuite

before(async () => {
  if (skip) return
  env = testEnv()
  await createCatalogTopics(env)
  ui = await startBrowserSuite(env, { gatewayEnv: { ...jwtTestConfig(), HTTP_INSTRUCTOR_CODE: CODE } })
})

after(async () => {
  await ui?.close()
  if (env) {
    await deleteTestTopics(env)
    await deleteTestSubjects(env)
  }
})

test('a customer signs in and is refused the admin action in pt-BR; the instructor signs in with the code and creates the topic', { skip }, async () => {
  const name = `${env.prefix}aula-login`
  await onPage(ui.browser, 'login', async page => {
    await page.goto(`${ui.web.url}/#/kafka/topicos`)
    // The console's reads need no sign-in.
    await page.getByTestId('topic-row').first().waitFor()
    // A run with HTTP_AUTH=jwt starts every page signed in (helpers.ts): this test signs in itself.
    if (await page.getByTestId('sign-out').count() > 0) await page.getByTestId('sign-out').click()

    await page.getByTestId('sign-in-open').click()
    await page.getByTestId('sign-in-customer-id').fill('ana-e2e')
    await page.getByTestId('sign-in-submit').click()
    assert.equal(await page.getByTestId('signed-in-as').textContent(), 'Cliente ana-e2e')
    const kept = await page.evaluate(() => JSON.parse(sessionStorage.getItem('vitrine.session') ?? 'null') as { role: string } | null)
    assert.equal(kept?.role, 'customer')

    const create = async (): Promise<void> => {
      await page.getByTestId('new-topic-name').fill(name)
      await page.getByTestId('new-topic-partitions').fill('1')
      await page.getByTestId('create-topic-submit').click()
      await page.getByTestId('confirm-button').click()
    }
    await create()
    const refusal = page.getByTestId('create-topic').getByRole('alert')
    await refusal.waitFor()
    assert.match(await refusal.textContent() ?? '', /Acesso negado: isso é só para o instrutor/)
    await screenshot(page, 'login-cliente-recusado')
    assert.equal((await fetch(`${ui.gateway.url}/api/topics/${encodeURIComponent(name)}`)).status, 404, 'nothing was created')

    await page.getByTestId('sign-out').click()
    await page.getByTestId('sign-in-open').click()
    await page.getByTestId('sign-in-instructor').check()
    await page.getByTestId('sign-in-code').fill('chute-errado')
    await page.getByTestId('sign-in-submit').click()
    assert.equal(await page.getByTestId('sign-in-error').textContent(), 'Código do instrutor incorreto.')
    await page.getByTestId('sign-in-code').fill(CODE)
    await page.getByTestId('sign-in-submit').click()
    assert.equal(await page.getByTestId('signed-in-as').textContent(), 'Instrutor')

    await create()
    await page.locator(`[data-testid="topic-detail"][data-name="${name}"]`).waitFor()
    assert.equal((await fetch(`${ui.gateway.url}/api/topics/${encodeURIComponent(name)}`)).status, 200, 'the topic exists on the broker')
    await screenshot(page, 'login-instrutor')
  })
})
