import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import metricsPlugin from '../../../src/plugins/metrics.ts'
import { kitMetrics, sagaMetrics } from '../../../src/metrics.ts'

const line = (body: string, name: string, labels: string): number | undefined => {
  const found = body.split('\n').find(l => l.startsWith(`${name}{`) && labels.split(',').every(p => l.includes(p)))
  return found === undefined ? undefined : Number(found.split(' ').pop())
}

test('HTTP metrics: one series per route pattern and status, under vitrine_ names with the service label', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  await app.register(metricsPlugin, { service: 'kit-http' })
  app.get('/orders/:id', async (req, reply) => await reply.code((req.params as { id: string }).id === 'x' ? 404 : 200).send({ ok: true }))
  await app.ready()
  for (const id of ['a', 'b', 'x']) await app.inject(`/orders/${id}`)
  await app.inject('/nowhere/at/all')
  const body = (await app.inject('/metrics')).body
  assert.equal(line(body, 'vitrine_http_requests_total', 'service="kit-http",route="/orders/:id",status="200"'), 2)
  assert.equal(line(body, 'vitrine_http_requests_total', 'route="/orders/:id",status="404"'), 1)
  assert.equal(line(body, 'vitrine_http_requests_total', 'route="unmatched",status="404"'), 1)
  assert.equal(line(body, 'vitrine_http_request_duration_seconds_count', 'method="GET",route="/orders/:id"'), 3)
  assert.ok(!body.includes('route="/orders/a"'), 'raw URLs never become labels')
  assert.ok(!body.includes('route="/metrics"'), 'scrapes are not counted')
  assert.match(body, /^vitrine_nodejs_eventloop_lag_p99_seconds\{service="kit-http"\} /m)
})

test('kit and saga metrics share one name across services: no <service>_ prefix anywhere', async () => {
  const { createRegistry } = await import('../../../src/metrics.ts')
  const registry = createRegistry('payment')
  const k = kitMetrics(registry)
  const s = sagaMetrics(registry)
  k.consumed.inc({ group: 'g', topic: 'orders.new', outcome: 'ok' })
  k.outboxPending.set(3)
  k.outboxOldest.set(1.5)
  s.finished.inc({ mode: 'choreography', outcome: 'completed' })
  assert.strictEqual(kitMetrics(registry).consumed, k.consumed, 'a second call reuses the registered metric')
  const body = await registry.metrics()
  assert.equal(line(body, 'vitrine_consumed_records_total', 'service="payment",group="g",topic="orders.new",outcome="ok"'), 1)
  assert.equal(line(body, 'vitrine_outbox_pending_records', 'service="payment"'), 3)
  assert.equal(line(body, 'vitrine_outbox_oldest_age_seconds', 'service="payment"'), 1.5)
  assert.equal(line(body, 'vitrine_sagas_finished_total', 'mode="choreography",outcome="completed"'), 1)
  const names = body.split('\n').filter(l => l.startsWith('# TYPE ')).map(l => l.split(' ')[2]!)
  assert.ok(names.length > 20)
  assert.deepEqual(names.filter(n => !n.startsWith('vitrine_')), [])
})
