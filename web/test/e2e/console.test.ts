import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import Kafka from 'node-rdkafka'
import { kafkaTool, loadSettings } from '@vitrine/infra'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import type { EventTopic, TopicValues } from '@vitrine/contracts'
import { EventProducer, connect } from '@vitrine/service-kit'
import { waitFor } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing'
import type { Page } from 'playwright-core'
import type { BrowserSuite, ControlledSuite } from './helpers.ts'
import { deleteTestSubjects, openPage, screenshot, serveWeb, skipUnlessRunnable, startControlledSuite, startGateway } from './helpers.ts'

// The Kafka page against the real broker: what the page does is checked with Kafka's own tools.
const skip = skipUnlessRunnable()
const settings = loadSettings()

let env: TestEnv
let ui: BrowserSuite
let suite: ControlledSuite | undefined

before(async () => {
  if (skip) return
  // With a control plane over the file's own shop (no service runs): the DLQ tab's reprocess goes
  // through it, since it writes to the shop's retry topic as the Kafka admin.
  suite = await startControlledSuite({ shop: { services: [] } })
  env = suite.shop.env
  ui = suite.ui
})

after(async () => {
  // The gateway and Chromium, the control plane, then the shop's topics, groups and schemas.
  await suite?.close()
  if (env) await deleteTestSubjects(env)
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
    // The explanation reads the table: two partitions, one replica each, nothing stored yet.
    assert.match(await page.getByTestId('topic-explain').textContent() ?? '', /2 partições, fator de replicação 1: [\s\S]*broker \d+ lidera 2\.[\s\S]*Nenhuma mensagem guardada agora\./)
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
    // The explanation says it with the numbers on screen: the partition, its lag, its reader, and
    // (the member reading nothing since) that the commit stands still.
    const explain = page.getByTestId('group-explain')
    assert.match(await explain.textContent() ?? '', new RegExp(`A partição 0 de ${topic} tem o maior lag: 4 mensagens entre o offset commitado \\(3\\) e o fim do log \\(7\\); o lag total do grupo é 4\\.[\\s\\S]*lida por aluno-1, que está conectado ao grupo`))
    await waitFor('the commit said to stand still', async () => /o commit não andou nos últimos [\d,]+ s: aluno-1 está parado/.test(await explain.textContent() ?? ''), 10_000)

    // The group reads on: the page follows.
    consumer.commitSync([{ topic, partition: 0, offset: 7 }])
    await waitFor('lag 0 on the page', async () => (await row.getAttribute('data-lag')) === '0', 15_000)
    await waitFor('the explanation follows', async () => /Lag 0 em todas as partições com commit \(1 no total\)/.test(await explain.textContent() ?? ''), 5_000)
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

/**
 * WCAG contrast ratios on the flow page: its muted note's text and the body text against the colour
 * behind them, and the graph panel's border against the panel.
 */
async function contrasts (page: Page): Promise<{ muted: number, ink: number, border: number }> {
  // A string, not a function: tsx would wrap its inner named functions in a helper the page lacks.
  return await page.evaluate(`(() => {
    const rgb = (c) => (c.match(/[\\d.]+/g) ?? []).map(Number)
    const channel = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4 }
    const luminance = (c) => { const [r, g, b] = rgb(c).slice(0, 3).map(channel); return 0.2126 * r + 0.7152 * g + 0.0722 * b }
    const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05) }
    // The first opaque background up the tree (white under all of them).
    const behind = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const bg = getComputedStyle(e).backgroundColor
        if (rgb(bg)[3] !== 0 && bg !== 'transparent') return bg
      }
      return 'rgb(255, 255, 255)'
    }
    const note = document.querySelector('[data-testid="flow-note"]')
    const main = document.querySelector('main')
    const graph = document.querySelector('[data-testid="flow-graph"]')
    return {
      muted: ratio(getComputedStyle(note).color, behind(note)),
      ink: ratio(getComputedStyle(main).color, behind(main)),
      border: ratio(getComputedStyle(graph).borderTopColor, behind(graph))
    }
  })()`)
}

// What an instructor asked for after a rehearsal on a 1366×768 projector, checked in one page: the flow
// fits the screen with its counter note, A+ reaches chart text, codes read in pt-BR, a failed order's
// two notifications are explained, the traffic form shows the generator's running settings, the
// registry shows orders.new's history with a diff, and the DLQ shows its bytes and reprocesses.
test('the rehearsal list: projector fit, A+ on charts, pt-BR codes, two notifications, traffic settings, registry history, DLQ bytes and reprocess', { skip, timeout: 120_000 }, async (t) => {
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = new EventProducer(env.brokers, 'rehearsal-test', ui.gateway.app.log)
  await producer.connect()
  t.after(async () => {
    await producer.close()
    const sql = connect(env.databaseUrl, 'vitrine_ops', 1)
    await sql`delete from vitrine_ops.dlq_replays where dlq_topic = ${env.prefix + 'orders.dlq'}`.catch(() => {})
    await sql.end({ timeout: 5 })
  })
  const publish = async <T extends EventTopic>(topic: T, value: TopicValues[T], producerName: string): Promise<void> => {
    const orderId = (value as { orderId: string }).orderId
    await producer.send({
      topic: env.prefix + topic,
      key: orderId,
      value: await serde.encode(topic, value),
      headers: { [HEADERS.eventType]: topic, [HEADERS.producer]: producerName, [HEADERS.sagaMode]: 'choreography', [HEADERS.correlationId]: orderId }
    })
  }
  const errors: string[] = []
  const page = await ui.browser.newPage({ viewport: { width: 1366, height: 768 } })
  page.on('pageerror', err => errors.push(err.message))
  // checkout-api's GET /traffic as a running generator answers it (no checkout-api here: the form is under test).
  await page.route('**/api/shop/traffic', async route => await route.fulfill({ json: { running: true, rate: 3.5, mode: 'mixed', failPaymentShare: 0.25, outOfStockShare: 0.1, sent: 7, errors: 0 } }))
  try {
    // A failed out-of-stock order, as choreography writes it: notification answers two events.
    const orderId = randomUUID()
    const base = { eventId: randomUUID(), orderId, customerId: 'c-1', occurredAt: Date.now() }
    await publish('orders.new', { ...base, items: [{ productId: 'prod_6', quantity: 9, unitPriceCents: 990 }], totalCents: 8910, currency: 'BRL', deadlineAt: Date.now() + 30_000, channel: 'web' }, 'checkout-api')
    await publish('inventory.failed', { ...base, eventId: randomUUID(), reason: 'insufficient_stock', productId: 'prod_6', requested: 9, available: 2 }, 'inventory')
    await publish('orders.failed', { ...base, eventId: randomUUID(), reason: 'inventory_failed', detail: 'insufficient_stock: prod_6' }, 'checkout-api')
    await publish('notifications.sent', { ...base, eventId: randomUUID(), kind: 'OUT_OF_STOCK', channels: ['email'] }, 'notification')
    await publish('notifications.sent', { ...base, eventId: randomUUID(), kind: 'ORDER_FAILED', channels: ['email', 'push'] }, 'notification')

    // 1366×768: the flow graph and its counter note fit without scrolling.
    await page.goto(`${ui.web.url}/#/fluxo`)
    await page.getByTestId('flow-topic').first().waitFor()
    await waitFor('the flow laid out to the window', async () => await page.evaluate(() => {
      const note = document.querySelector('[data-testid="flow-note"]')!.getBoundingClientRect()
      const graph = document.querySelector('[data-testid="flow-graph"]')!.getBoundingClientRect()
      return document.documentElement.scrollHeight <= window.innerHeight + 1 && note.bottom <= window.innerHeight && graph.bottom <= window.innerHeight && note.height > 0
    }), 10_000)
    assert.match(await page.getByTestId('flow-note').textContent() ?? '', /Os números contam os eventos/)
    await screenshot(page, 'projetor-fluxo-1366x768')

    // A+ is the projector mode: high contrast too. The muted note, body text and a panel's border
    // against what is behind them (WCAG contrast ratios), off and on; the choice is kept.
    const off = await contrasts(page)
    await page.getByTestId('projector-toggle').click()
    await waitFor('projector mode on', async () => await page.evaluate(() => document.documentElement.classList.contains('projector')), 5_000)
    const on = await contrasts(page)
    assert.ok(on.muted >= 7 && on.muted > off.muted, `muted text ${off.muted.toFixed(2)} → ${on.muted.toFixed(2)}:1 (AA is 4.5:1; AAA 7:1)`)
    assert.ok(on.ink >= 20 && on.ink > off.ink, `body text ${off.ink.toFixed(2)} → ${on.ink.toFixed(2)}:1`)
    assert.ok(off.border < 3 && on.border >= 3, `a panel's border ${off.border.toFixed(2)} → ${on.border.toFixed(2)}:1 (3:1 to be seen)`)
    assert.equal(await page.evaluate(() => localStorage.getItem('vitrine.projector')), '1')
    await screenshot(page, 'projetor-alto-contraste')
    await page.getByTestId('projector-toggle').click()
    await waitFor('projector mode off', async () => !(await page.evaluate(() => document.documentElement.classList.contains('projector'))), 5_000)

    // A+ reaches the chart's canvas text: the chart is drawn differently, and back the same without it.
    await page.goto(`${ui.web.url}/#/kpis`)
    const canvas = page.locator('[data-testid="kpis-page"] canvas').first()
    await canvas.waitFor()
    // Its explanation follows the cards: no closed window on screen, and it says why.
    if ((await page.getByTestId('kpi-orders').locator('strong').textContent())?.trim() === '—') assert.match(await page.getByTestId('kpis-explain').textContent() ?? '', /Nenhuma janela de 1 minuto fechou ainda/)
    else assert.match(await page.getByTestId('kpis-explain').textContent() ?? '', /Na última janela fechada, \d+ pedidos? confirmados?/)
    const drawn = async (): Promise<string> => await canvas.evaluate(c => (c as HTMLCanvasElement).toDataURL())
    await page.waitForTimeout(300)
    const normal = await drawn()
    await page.locator('button.proj').click()
    await waitFor('the chart redrawn larger', async () => (await drawn()) !== normal, 5_000)
    await screenshot(page, 'projetor-kpis-a-mais')
    await page.locator('button.proj').click()
    await waitFor('the chart back to normal', async () => (await drawn()) === normal, 5_000)

    // The order: the detail in pt-BR, and why two notifications.
    await page.goto(`${ui.web.url}/#/pedido/${orderId}`)
    await page.locator('[data-testid="timeline-step"][data-topic="notifications.sent"]').nth(1).waitFor({ timeout: 20_000 })
    const timeline = await page.getByTestId('timeline').textContent() ?? ''
    assert.match(timeline, /estoque insuficiente: prod_6/)
    assert.doesNotMatch(timeline, /insufficient_stock/)
    const notices = page.getByTestId('order-notices')
    assert.match(await notices.textContent() ?? '', /Por que 2 notificações\?[\s\S]*sem estoque[\s\S]*inventory\.failed[\s\S]*pedido falhou[\s\S]*orders\.failed/)
    await screenshot(page, 'pedido-duas-notificacoes')

    // The traffic form starts from the running generator's settings, in pt-BR, with the decline note.
    await page.goto(`${ui.web.url}/#/novo`)
    await page.getByTestId('traffic-state').waitFor()
    await waitFor('the form follows the generator', async () => (await page.getByTestId('traffic-rate').inputValue()) === '3.5', 5_000)
    assert.equal(await page.getByTestId('traffic-mode').inputValue(), 'mixed')
    assert.equal(await page.getByTestId('traffic-fail').inputValue(), '25')
    assert.equal(await page.getByTestId('traffic-stock').inputValue(), '10')
    assert.match(await page.getByTestId('traffic-state').textContent() ?? '', /modo misto \(alterna\)/)
    assert.doesNotMatch(await page.getByTestId('traffic-state').textContent() ?? '', /mixed/)
    // 25% forced, on top of payment's 20% at random: 25 + 75 × 0.2 = 40%.
    assert.match(await page.getByTestId('traffic-decline-note').textContent() ?? '', /soma-se[\s\S]*cerca de 40%/)

    // Topic kinds in pt-BR; the registry's topics behind "internos"; the replication field at the cluster's default.
    await page.goto(`${ui.web.url}/#/kafka/topicos`)
    await page.getByTestId('topic-row').first().waitFor()
    // This test's copies of the catalog are hidden as a test's: shown, and only them.
    await page.getByLabel('esconder cópias de testes').uncheck()
    await page.getByTestId('topic-filter').fill(env.prefix)
    const mine = page.locator(`[data-testid="topic-row"][data-name="${env.prefix}payments.replies"]`)
    await mine.waitFor()
    assert.match(await mine.textContent() ?? '', /catálogo · resposta/)
    assert.equal(await page.locator('[data-testid="topic-row"][data-name="kafkasql-journal"]').count(), 0, 'hidden by default')
    await page.getByTestId('topic-filter').fill('kafkasql')
    await page.getByTestId('topics-internal').check()
    await page.locator('[data-testid="topic-row"][data-name="kafkasql-journal"]').waitFor()
    const rf = await ui.gateway.app.kafkaConsole.defaultReplicationFactor()
    assert.equal(await page.getByTestId('new-topic-replication').inputValue(), String(rf))

    // The registry: orders.new has v1 and v2 (registered in that order for a new subject), and the diff.
    const subject = `${env.prefix}orders.new-value`
    await page.goto(`${ui.web.url}/#/kafka/registry/${encodeURIComponent(subject)}`)
    await page.getByTestId('subject-row').filter({ hasText: subject }).click()
    await page.getByTestId('schema-diff').waitFor()
    assert.match(await page.getByTestId('schema-diff').textContent() ?? '', /desde a versão 1[\s\S]*campo novo channel \(string, padrão "web"\)/)
    await screenshot(page, 'registry-historico')

    // The DLQ tab: the record's bytes (magic byte 0, then the schema id) and a reprocess through the ledger.
    await producer.send({
      topic: env.prefix + 'orders.dlq',
      key: orderId,
      value: await serde.encode('payments.requested', { eventId: randomUUID(), orderId, paymentId: randomUUID(), customerId: 'c-1', amountCents: 990, occurredAt: Date.now() }),
      headers: { [HEADERS.originalTopic]: env.prefix + 'payments.requested', [HEADERS.originalPartition]: '0', [HEADERS.originalOffset]: '3', [HEADERS.error]: 'simulated', [HEADERS.attempts]: '4', [HEADERS.failedBy]: 'payment/payment' }
    })
    await page.goto(`${ui.web.url}/#/kafka/dlq`)
    const row = page.getByTestId('dlq-row').first()
    await row.waitFor({ timeout: 15_000 })
    // The explanation counts the table's rows and names the group that gave up on them.
    const dlqRows = await page.getByTestId('dlq-row').count()
    assert.match(await page.getByTestId('dlq-explain').textContent() ?? '', new RegExp(`${dlqRows} mensage(m esgotou|ns esgotaram) as novas tentativas: [\\s\\S]*do grupo payment`))
    await row.getByTestId('dlq-bytes-toggle').click()
    assert.match(await page.getByTestId('dlq-hex').textContent() ?? '', /^0000 {2}00 /)
    await row.getByTestId('dlq-replay').click()
    await page.getByTestId('dlq-outcome').waitFor()
    assert.match(await page.getByTestId('dlq-outcome').textContent() ?? '', /devolvida ao grupo payment/)
    await screenshot(page, 'kafka-dlq')
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
  }
})

test('the ACL tab shows what the broker holds: without an authorizer, that in pt-BR with how to turn it on; with one, the principals and what each ACL means', { skip }, async () => {
  const errors: string[] = []
  const page = await openPage(ui.browser, errors)
  try {
    await page.goto(`${ui.web.url}/#/kafka/acls`)
    await page.getByTestId('tab-acls').waitFor()
    if (settings.kafkaAuth === 'none') {
      const off = page.getByTestId('acls-off')
      await off.waitFor({ timeout: 15_000 })
      const text = await off.textContent() ?? ''
      assert.match(text, /Sem autorização no broker/)
      assert.match(text, /KAFKA_AUTH=scram make demo/)
      assert.match(await page.getByTestId('acls').textContent() ?? '', /runbooks\/07-seguranca\.md/)
    } else {
      const checkout = page.locator('[data-testid="acl-principal"][data-principal="checkout-api"]')
      await checkout.waitFor({ timeout: 15_000 })
      assert.match(await checkout.textContent() ?? '', /publica mensagens \(Produce\) — tópico orders\.confirmed/)
    }
    await screenshot(page, 'kafka-acls')
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
  }
})
