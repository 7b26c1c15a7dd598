import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import Kafka from 'node-rdkafka'
import { kafkaTool, loadSettings } from '@vitrine/infra'
import { TopicSerde } from '@vitrine/contracts'
import { createCatalogTopics, deleteTestTopics, testEnv, waitFor } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import type { BrowserSuite } from './helpers.ts'
import { deleteTestSubjects, openPage, screenshot, serveWeb, skipUnlessRunnable, startBrowserSuite, startGateway } from './helpers.ts'

// The Kafka page against the real broker: what the page does is checked with Kafka's own tools.
const skip = skipUnlessRunnable()
const settings = loadSettings()

let env: TestEnv
let ui: BrowserSuite

before(async () => {
  if (skip) return
  env = testEnv()
  await createCatalogTopics(env)
  ui = await startBrowserSuite(env)
})

after(async () => {
  await ui?.close()
  if (env) {
    await deleteTestTopics(env)
    await deleteTestSubjects(env)
  }
})

async function topicCommand (...args: string[]): Promise<string> {
  const r = await kafkaTool(settings, 'org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', env.brokers, ...args])
  assert.equal(r.exitCode, 0, r.stderr)
  return r.stdout
}

test('the Kafka page creates a topic that exists on the broker, then deletes it', { skip }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  const name = `aula-e2e-${randomUUID().slice(0, 8)}`
  try {
    await page.goto(`${ui.web.url}/#/kafka/topicos`)
    await page.getByTestId('topic-row').first().waitFor()

    // Client-side validation first: nothing is sent.
    await page.getByTestId('new-topic-name').fill('nome inválido!')
    await page.getByTestId('new-topic-partitions').fill('0')
    await page.getByTestId('create-topic-submit').click()
    assert.match(await page.getByTestId('error-name').textContent() ?? '', /letras, números/)
    assert.match(await page.getByTestId('error-partitions').textContent() ?? '', /de 1 a/)
    assert.equal(await page.getByTestId('confirm-dialog').count(), 0)

    await page.getByTestId('new-topic-name').fill(name)
    await page.getByTestId('new-topic-partitions').fill('2')
    await page.getByTestId('create-topic-submit').click()
    await page.getByTestId('confirm-dialog').waitFor()
    await screenshot(page, 'kafka-criar-topico-confirmacao')
    await page.getByTestId('confirm-button').click()
    await page.locator(`[data-testid="topic-detail"][data-name="${name}"]`).waitFor()

    const described = await topicCommand('--describe', '--topic', name)
    assert.match(described, new RegExp(`Topic: ${name.replace(/\./g, '\\.')}\\s+TopicId: \\S+\\s+PartitionCount: 2\\s+ReplicationFactor: 1`))
    await page.getByTestId('partition-table').locator('tbody tr').nth(1).waitFor()
    assert.equal(await page.getByTestId('partition-table').locator('tbody tr').count(), 2)
    await screenshot(page, 'kafka-topico')

    // Deleting asks for the name to be typed.
    await page.getByTestId('delete-topic').click()
    await page.getByTestId('confirm-dialog').waitFor()
    assert.equal(await page.getByTestId('confirm-button').isDisabled(), true)
    await page.getByTestId('confirm-input').fill(name)
    await page.getByTestId('confirm-button').click()
    await page.getByTestId('topic-notice').waitFor()
    await waitFor('topic gone from the broker', async () => !(await topicCommand('--list')).split('\n').includes(name), 20_000)
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
    await ui.gateway.app.kafkaConsole.deleteTopic(name).catch(() => {})
  }
})

test('a catalog topic cannot be deleted from the page', { skip }, async () => {
  const page = await openPage(ui.browser, [])
  try {
    await page.goto(`${ui.web.url}/#/kafka/topicos/${encodeURIComponent(env.prefix + 'orders.new')}`)
    await page.getByTestId('partition-table').waitFor()
    assert.equal(await page.getByTestId('delete-topic').isDisabled(), true)
    assert.match(await page.getByTestId('topic-detail').textContent() ?? '', /está no catálogo/)
  } finally {
    await page.close()
  }
})

test('a consumer group\'s lag per partition is shown', { skip }, async () => {
  const topic = `lag-e2e-${randomUUID().slice(0, 8)}`
  const group = `turma-${randomUUID().slice(0, 8)}`
  await ui.gateway.app.kafkaConsole.createTopic({ name: topic, partitions: 1, replicationFactor: 1 })
  const page = await openPage(ui.browser, [])
  const producer = new Kafka.Producer({ 'bootstrap.servers': env.brokers, dr_cb: true }, {})
  const consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': env.brokers, 'group.id': group, 'client.id': 'aluno-1', 'enable.auto.commit': false }, { 'auto.offset.reset': 'earliest' })
  try {
    await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
    producer.setPollInterval(10)
    await new Promise<void>((resolve, reject) => {
      let n = 0
      producer.on('delivery-report', err => { if (err) reject(err); else if (++n === 7) resolve() })
      for (let i = 0; i < 7; i++) producer.produce(topic, 0, Buffer.from(`m${i}`), `k${i}`)
    })
    await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 15_000 }, err => (err ? reject(err) : resolve())))
    consumer.subscribe([topic])
    await waitFor('assignment', async () => {
      await new Promise(resolve => consumer.consume(5, () => resolve(null)))
      return consumer.assignments().length === 1
    }, 20_000)
    // Read 3 of the 7: 4 still to go.
    consumer.commitSync([{ topic, partition: 0, offset: 3 }])

    await page.goto(`${ui.web.url}/#/kafka/grupos/${encodeURIComponent(group)}`)
    const row = page.locator(`[data-testid="lag-row"][data-topic="${topic}"][data-partition="0"]`)
    await row.waitFor({ timeout: 20_000 })
    assert.equal(await row.getAttribute('data-lag'), '4')
    assert.match(await row.textContent() ?? '', /aluno-1/)
    assert.equal((await page.getByTestId('group-total-lag').textContent())?.trim(), '4')

    // The group reads on: the page follows.
    consumer.commitSync([{ topic, partition: 0, offset: 7 }])
    await waitFor('lag 0 on the page', async () => (await row.getAttribute('data-lag')) === '0', 15_000)
    await screenshot(page, 'kafka-grupos-lag')
  } finally {
    await page.close()
    await new Promise<void>(resolve => consumer.disconnect(() => resolve()))
    await new Promise<void>(resolve => producer.disconnect(() => resolve()))
    await ui.gateway.app.kafkaConsole.admin.deleteGroups({ groups: [group] }).catch(() => {})
    await ui.gateway.app.kafkaConsole.deleteTopic(topic).catch(() => {})
  }
})

test('the registry tab lists the catalog subjects and shows a version\'s schema', { skip }, async () => {
  await new TopicSerde(env.registryUrl, env.prefix).register('payments.approved')
  const subject = `${env.prefix}payments.approved-value`
  const page = await openPage(ui.browser, [])
  try {
    await page.goto(`${ui.web.url}/#/kafka/registry`)
    const row = page.getByTestId('subject-row').filter({ hasText: subject })
    await row.waitFor()
    await row.click()
    await page.getByTestId('schema-json').waitFor()
    const schema = JSON.parse(await page.getByTestId('schema-json').textContent() ?? '{}') as { name?: string }
    assert.equal(schema.name, 'PaymentApproved')
    await screenshot(page, 'kafka-registry')
  } finally {
    await page.close()
  }
})

test('a lost connection to the gateway is shown, and so is its return', { skip }, async () => {
  // A second gateway on a port of its own, so stopping it leaves the other tests' gateway alone.
  let second = await startGateway(env)
  const port = second.port
  const served = await serveWeb(ui.web.outDir, second.url)
  const page = await openPage(ui.browser, [])
  try {
    await page.goto(`${served.url}/#/eventos`)
    await waitFor('connected', async () => (await page.getByTestId('connection-lost').count()) === 0 && await page.getByTestId('connection-dot').evaluate(el => el.classList.contains('on')), 15_000)
    await second.app.close()
    await page.getByTestId('connection-lost').waitFor({ timeout: 20_000 })
    assert.match(await page.getByTestId('connection-lost').textContent() ?? '', /Conexão com o gateway perdida/)
    await screenshot(page, 'conexao-perdida')
    second = await startGateway(env, {}, port)
    await page.getByTestId('connection-restored').waitFor({ timeout: 30_000 })
    assert.equal(await page.getByTestId('connection-lost').count(), 0)
  } finally {
    await page.close()
    await served.server.close()
    await second.app.close()
  }
})
