import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { HEADERS, TopicSerde } from '@vitrine/contracts'
import type { EventTopic, TopicValues } from '@vitrine/contracts'
import { EventProducer, endOffsets } from '@vitrine/service-kit'
import type { Delivered } from '@vitrine/service-kit'
import { createCatalogTopics } from '@vitrine/infra/testing'
import { labSuite, onPage, screenshot } from './helpers.ts'

// Runbook laboratorio/08-replay in Chromium on the real broker: an order's records, written to the
// test's topics, replayed from the order page (instructor mode); the page shows exactly those records
// in their order, each with the replay badge and its real partition and offset, says that nothing is
// produced, and no topic grows.
const lab = labSuite({ prepare: async env => { await createCatalogTopics(env) } })
const { skip } = lab

test('order replay: the page plays the order\'s records in their order with the replay badge and their real offsets; nothing is produced', { skip, timeout: 90_000 }, async () => {
  const { env, ui } = lab
  const orderId = randomUUID()
  const serde = new TopicSerde(env.registryUrl, env.prefix)
  const producer = new EventProducer(env.brokers, 'replay-e2e', ui.gateway.app.log)
  await producer.connect()
  const written: Delivered[] = []
  try {
    const at = Date.now()
    const records: Array<[EventTopic, TopicValues[EventTopic]]> = [
      ['orders.new', { eventId: randomUUID(), orderId, customerId: 'c-1', items: [{ productId: 'p-1', quantity: 1, unitPriceCents: 990 }], totalCents: 990, currency: 'BRL', deadlineAt: at + 30_000, channel: 'web', occurredAt: at }],
      ['payments.requested', { eventId: randomUUID(), orderId, paymentId: randomUUID(), customerId: 'c-1', amountCents: 990, occurredAt: at }],
      ['orders.confirmed', { eventId: randomUUID(), orderId, customerId: 'c-1', totalCents: 990, occurredAt: at }],
      ['notifications.sent', { eventId: randomUUID(), orderId, customerId: 'c-1', kind: 'ORDER_CONFIRMED', channels: ['email'], occurredAt: at }]
    ]
    for (const [topic, value] of records) {
      written.push(await producer.send({ topic: env.prefix + topic, key: orderId, value: await serde.encode(topic, value as never), headers: { [HEADERS.eventType]: topic, [HEADERS.producer]: 'test', [HEADERS.correlationId]: orderId } }))
    }
  } finally {
    await producer.close()
  }
  const coords = written.map(d => `${d.topic.slice(env.prefix.length)}/${d.partition}/${d.offset}`)
  const ends = async (): Promise<string> => JSON.stringify(await endOffsets(env.brokers, coords.map(c => env.prefix + c.split('/')[0]!)))
  const before = await ends()

  await onPage(ui.browser, 'replay-pedido', async page => {
    await page.addInitScript(() => { localStorage.setItem('vitrine.instructor', '1') })
    await page.goto(`${ui.web.url}/#/pedido/${orderId}`)
    await page.getByTestId('timeline-step').nth(written.length - 1).waitFor({ timeout: 15_000 })
    await page.getByTestId('replay-pace').selectOption('5')
    await page.getByTestId('replay-start').click()
    const panel = page.locator('[data-testid=replay-panel][data-state=done]')
    await panel.waitFor({ timeout: 15_000 })
    const rows = await page.getByTestId('replay-row').evaluateAll(els => els.map(el => {
      const d = (el as HTMLElement).dataset
      return `${d.topic}/${d.partition}/${d.offset}`
    }))
    assert.deepEqual(rows, coords, 'exactly the order\'s records, in the order they were written, with their offsets')
    assert.equal(await page.getByTestId('replay-row').locator('.replay-badge').count(), written.length, 'each row carries the replay badge')
    assert.match(await page.getByTestId('replay-state').innerText(), new RegExp(`terminado: ${written.length} de ${written.length}`))
    assert.match(await page.getByTestId('replay-note').innerText(), /não produz nada/)
    await screenshot(page, 'replay-pedido')
  })
  assert.equal(await ends(), before, 'a replay re-reads: no topic grew')
})
