import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Saga, WITH_ORCHESTRATOR, metricValue, orchestrated, orderBody, settle } from '../../src/index.ts'

// The saga metrics of infra/prometheus/METRICS.md move in both modes, under one name with a `mode`
// label: checkout-api counts the choreography from each order's outcome, the orchestrator counts
// its sagas, and the compensation is counted where it is done (payment's refund), in both modes.
// 5 orders on a stock of 4: 4 completed, 1 failed (its charge refunded).

for (const mode of ['choreography', 'orchestration'] as const) {
  test(`${mode}: vitrine_sagas_* count started, completed, failed, their durations, and none left in flight`, async (t) => {
    const saga = await Saga.start(mode === 'orchestration' ? { services: WITH_ORCHESTRATOR } : {})
    t.after(() => saga.close())
    const product = await saga.product(4)
    const bodies = Array.from({ length: 5 }, (_, i) => (mode === 'orchestration' ? orchestrated : orderBody)(`metricas-${i}`, [{ productId: product, quantity: 1 }]))
    const ids = await saga.placeOrders(bodies, 1)
    const statuses = await saga.waitTerminal(ids, 60_000)
    assert.equal([...statuses.values()].filter(s => s.status === 'confirmed').length, 4)
    assert.deepEqual(await settle(saga, ids), [])
    const owner = mode === 'orchestration' ? 'orchestrator' : 'checkout-api'
    const other = mode === 'orchestration' ? 'checkout-api' : undefined
    const body = (await saga.request(owner, 'GET', '/metrics')).body as string
    const m = (name: string, labels: Record<string, string> = {}): number => metricValue(body, name, { mode, ...labels })
    assert.equal(m('vitrine_sagas_started_total'), 5)
    assert.equal(m('vitrine_sagas_finished_total', { outcome: 'completed' }), 4)
    assert.equal(m('vitrine_sagas_finished_total', { outcome: 'failed' }), 1)
    assert.equal(m('vitrine_saga_duration_seconds_count', { outcome: 'completed' }), 4)
    assert.ok(m('vitrine_saga_duration_seconds_sum', { outcome: 'completed' }) > 0)
    assert.equal(m('vitrine_sagas_in_flight'), 0)
    // The refund is counted once, by payment, under the saga's mode; the orchestrator only counts the command it sent.
    const payment = (await saga.request('payment', 'GET', '/metrics')).body as string
    assert.equal(metricValue(payment, 'vitrine_compensations_total', { kind: 'refund', mode }), 1, 'the failed order\'s charge refunded')
    assert.equal(metricValue(payment, 'vitrine_compensations_total', { kind: 'refund', mode: mode === 'orchestration' ? 'choreography' : 'orchestration' }), 0)
    const inventory = (await saga.request('inventory', 'GET', '/metrics')).body as string
    assert.equal(metricValue(inventory, 'vitrine_compensations_total', { kind: 'release' }), 0, 'out of stock: nothing was reserved, nothing released')
    if (mode === 'orchestration') {
      assert.equal(metricValue(body, 'vitrine_compensations_total', {}), 0, 'the orchestrator does not count compensations it only asked for')
      assert.equal(metricValue(body, 'vitrine_saga_commands_total', { command: 'REFUND' }), 1)
      assert.equal(metricValue(body, 'vitrine_saga_commands_total', { command: 'CHARGE' }), 5)
    }
    // One count per saga: the service that is not the saga's owner does not count it again.
    if (other) assert.equal(metricValue((await saga.request(other, 'GET', '/metrics')).body as string, 'vitrine_sagas_started_total', { mode }), 0)
  })
}
