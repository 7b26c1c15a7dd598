import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TOPICS } from '@vitrine/contracts'
import { readAllNow } from '@vitrine/infra/testing/saga'
import { Saga, WITH_ORCHESTRATOR } from '../../src/index.ts'

// POST /compare places the same order in both styles through checkout-api (a process here, so the
// orchestrator can reach it over HTTP) and returns each trace as Kafka holds it.

interface Message { index: number, topic: string, partition: number, offset: number, eventId: string | null, causationId: string | null, producer: string | null, summary: string, atMs: number, sinceCauseMs: number | null, consumers: Array<{ service: string, group: string | null, committed: boolean | null }> }

test('/compare of one order returns both traces, each complete, in causal order, and exactly what the topics hold', async (t) => {
  const saga = await Saga.start({ services: WITH_ORCHESTRATOR, processes: ['checkout-api', 'payment', 'inventory'] })
  t.after(() => saga.close())
  const p = await saga.product(100)

  const bad = await saga.request('orchestrator', 'POST', '/compare', { customerId: 'turma', items: [{ productId: p, quantity: 1 }], totalCents: 1 })
  assert.equal(bad.status, 400, 'unknown fields are refused')
  const priced = await saga.request('orchestrator', 'POST', '/compare', { customerId: 'turma', items: [{ productId: p, quantity: 1, price: 0.01 }] })
  assert.equal(priced.status, 400, 'a price from the client is refused')
  const unknown = await saga.request('orchestrator', 'POST', '/compare', { customerId: 'turma', items: [{ productId: 'prod_fantasma', quantity: 1 }] })
  assert.equal(unknown.status, 400, `checkout-api's refusal passes through: ${JSON.stringify(unknown.body)}`)
  assert.equal(unknown.body.code, 'SHOP_ERR_UNKNOWN_PRODUCT')

  const res = await saga.request('orchestrator', 'POST', '/compare', { customerId: 'turma-pay-ok', items: [{ productId: p, quantity: 2 }] })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const { choreography: c, orchestration: o } = res.body
  assert.notEqual(c.orderId, o.orderId, 'one order per style')
  for (const run of [c, o]) {
    assert.equal(run.complete, true, `${run.mode}: ${run.incomplete.join('; ')}`)
    assert.equal(run.status, 'confirmed')
  }

  const topicsOf = (run: { messages: Message[] }): string[] => run.messages.map(m => m.topic)
  assert.deepEqual(topicsOf(c), ['orders.new', 'payments.requested', 'payments.approved', 'inventory.reserved', 'orders.confirmed', 'notifications.sent'])
  assert.deepEqual([...topicsOf(o)].sort(), ['inventory.commands', 'inventory.commands', 'inventory.replies', 'inventory.replies', 'notifications.sent', 'orders.commands', 'orders.confirmed', 'orders.new', 'payments.commands', 'payments.replies'])
  assert.deepEqual(o.messages.map((m: Message) => m.summary).filter((s: string) => s.startsWith('comando')), ['comando CHARGE (cobrar)', 'comando RESERVE (reservar)', 'comando COMMIT (efetivar a venda)', 'comando CONFIRM (confirmar)'])
  assert.deepEqual([c.messageCount, c.topicCount, o.messageCount, o.topicCount], [6, 6, 10, 8])

  for (const run of [c, o] as Array<{ mode: string, messages: Message[], timings: { toOutcomeMs: number, totalMs: number } }>) {
    // Causal order: every message after the one that caused it; only orders.new has no cause in the trace.
    const at = new Map(run.messages.filter(m => m.eventId).map(m => [m.eventId!, m.index]))
    for (const m of run.messages) {
      if (m.topic === 'orders.new') { assert.equal(m.index, 0); continue }
      const cause = at.get(m.causationId ?? '')
      assert.ok(cause !== undefined && cause < m.index, `${run.mode}: ${m.topic} comes after its cause`)
      assert.ok(m.sinceCauseMs !== null && m.sinceCauseMs >= 0)
    }
    assert.deepEqual(run.messages.map(m => m.index), run.messages.map((_m, i) => i))
    assert.ok(run.timings.toOutcomeMs > 0 && run.timings.toOutcomeMs <= run.timings.totalMs)
    const news = run.messages[0]!
    assert.equal(news.producer, 'checkout-api')
    // Consumers come from the catalog; Kafka's committed offsets say each group read the record.
    assert.deepEqual(news.consumers.map(x => x.service), ['payment', 'orchestrator', 'gateway'])
    assert.deepEqual(news.consumers.map(x => x.committed), [true, true, null])
  }

  // Nothing invented, nothing missing: the traces are exactly the records keyed by each order on the catalog's topics.
  for (const run of [c, o] as Array<{ orderId: string, messages: Message[] }>) {
    const held: string[] = []
    for (const spec of TOPICS) {
      for (const r of await readAllNow(saga.env.brokers, saga.env.prefix + spec.name)) if (r.key === run.orderId) held.push(`${spec.name}:${r.partition}:${r.offset}`)
    }
    assert.deepEqual(run.messages.map(m => `${m.topic}:${m.partition}:${m.offset}`).sort(), held.sort())
  }

  assert.deepEqual(c.state.map((s: { service: string, value: string }) => [s.service, s.value]), [['checkout-api', 'confirmed'], ['payment', 'approved'], ['inventory', 'committed']])
  assert.deepEqual(o.state.map((s: { service: string, value: string }) => [s.service, s.value]), [['orchestrator', 'completed'], ['checkout-api', 'confirmed'], ['payment', 'approved'], ['inventory', 'committed']])
})
