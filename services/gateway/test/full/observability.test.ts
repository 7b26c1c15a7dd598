import { test } from 'node:test'
import { randomUUID } from 'node:crypto'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { io as connect } from 'socket.io-client'
import { metricsPlugin } from '@vitrine/service-kit'
import { freePort } from '@vitrine/infra'
import { consumeAndCommit, observabilityAvailable, startObservability, waitFor } from '@vitrine/infra/testing'
import { gatewayHarness, orderCreated } from '../integration/helper.ts'

// make test-full (issue 13's tier: make test keeps one end-to-end alert, web/test/e2e/metrics.test.ts, and
// infra's BrokerDown). The gateway against a private Prometheus and Alertmanager with our real rules: the proxy answers
// real PromQL, the gateway's own lag gauge moves, and a target that goes down fires ServiceDown,
// which Alertmanager posts to the webhook and the gateway pushes to browsers; back up, it resolves.

const h = gatewayHarness()

type Alert = { name: string, status: string, labels: Record<string, string> }

test('proxy, group lag and an alert from a stopped service to the browser and back', { timeout: 180_000 }, async (t) => {
  if (!observabilityAvailable(t)) return
  // A stand-in "payment" that serves real prom-client metrics; stopped and started on the same port.
  const paymentPort = await freePort()
  const startPayment = async (): Promise<() => Promise<void>> => {
    const app = Fastify()
    await app.register(metricsPlugin, { service: 'payment' })
    await app.listen({ port: paymentPort, host: '127.0.0.1' })
    return async () => { await app.close() }
  }
  let stopPayment = await startPayment()
  t.after(async () => { await stopPayment() })
  const gatewayPort = Number(new URL(h.url).port)
  // groupInterval 2 s: the resolved notification comes 2 s after the change, not the stack's 30 s.
  const obs = await startObservability(t, { targets: { services: { gateway: gatewayPort, payment: paymentPort }, webhookUrl: `${h.url}/api/alerts/webhook` }, groupInterval: '2s' })
  // The gateway was built before Prometheus had a port; its routes read the config at each request.
  h.config.PROMETHEUS_URL = obs.prometheusUrl
  h.config.ALERTMANAGER_URL = obs.alertmanagerUrl
  let obsTargets: unknown
  const targetsTimer = setInterval(() => { obs.targets().then(t => { obsTargets = t }, () => {}) }, 1000)
  t.after(() => clearInterval(targetsTimer))

  const socket = connect(h.url, { transports: ['websocket'] })
  t.after(() => { socket.close() })
  const pushed: Alert[][] = []
  socket.on('alerts', (m: { alerts: Alert[] }) => { pushed.push(m.alerts) })

  // The proxy: an instant query and a range query, both real PromQL answered by Prometheus.
  let last = ''
  // Both targets: Prometheus spreads their first scrapes over the interval, and the range query below expects both.
  const up = await waitFor('Prometheus to scrape the gateway and payment', async () => {
    const res = await fetch(`${h.url}/api/metrics/query?query=${encodeURIComponent('count(up{job="services"} == 1)')}`)
    last = `${res.status} ${await res.clone().text()}`
    if (res.status !== 200) return undefined
    const body = await res.json() as { resultType: string, result: Array<{ value: [number, string] }> }
    return body.result[0]?.value[1] === '2' ? body : undefined
  }, 30_000, 500).catch(err => { throw new Error(`${(err as Error).message}; last answer: ${last}; targets: ${JSON.stringify(obsTargets)}`) })
  assert.equal(up.resultType, 'vector')
  const now = Math.floor(Date.now() / 1000)
  const rangeRes = await fetch(`${h.url}/api/metrics/query_range?query=${encodeURIComponent('up{job="services"}')}&start=${now - 60}&end=${now + 1}&step=1`)
  const rangeText = await rangeRes.text()
  assert.equal(rangeRes.status, 200, rangeText)
  const range = JSON.parse(rangeText) as { resultType: string, result: Array<{ metric: Record<string, string>, values: unknown[] }> }
  assert.equal(range.resultType, 'matrix')
  assert.deepEqual(range.result.map(r => r.metric.service).sort(), ['gateway', 'payment'], rangeText)
  const bad = await fetch(`${h.url}/api/metrics/query?query=${encodeURIComponent('sum(')}`)
  assert.equal(bad.status, 400)
  const badBody = await bad.json() as { code: string, errors: Array<{ field: string, rule: string }> }
  assert.equal(badBody.code, 'SHOP_ERR_VALIDATION')
  assert.deepEqual(badBody.errors.map(e => `${e.field}:${e.rule}`), ['querystring.query:promql'])

  // Lag of a group that committed and then stopped reading: the gateway reads it for every group.
  const group = `obs${h.env.groupSuffix}`
  // One key, so one partition: the group has a committed offset there (elsewhere its lag is unknown, not 0).
  const orderId = randomUUID()
  await h.publish('orders.new', orderCreated(orderId))
  await consumeAndCommit(h.env.brokers, group, h.env.prefix + 'orders.new', 1)
  for (let i = 0; i < 3; i++) await h.publish('orders.new', orderCreated(orderId))
  await waitFor('the group\'s lag in Prometheus, through the proxy', async () => {
    const res = await fetch(`${h.url}/api/metrics/query?query=${encodeURIComponent(`sum(vitrine_group_lag_records{service="gateway",group="${group}",topic="orders.new"})`)}`)
    const body = await res.json() as { result?: Array<{ value: [number, string] }> }
    return body.result?.[0]?.value[1] === '3'
  }, 30_000, 500)

  // payment stops: ServiceDown fires (for: 15s), Alertmanager posts it, the browser gets it.
  await stopPayment()
  stopPayment = async () => {}
  const firing = (alerts: Alert[] | undefined): Alert | undefined => alerts?.find(a => a.name === 'ServiceDown' && a.labels.service === 'payment' && a.status === 'firing')
  await waitFor('ServiceDown for payment pushed to the browser', async () => firing(pushed.at(-1)), 60_000, 250)
  const listed = await (await fetch(`${h.url}/api/alerts`)).json() as { alerts: Alert[] }
  assert.ok(firing(listed.alerts), JSON.stringify(listed))
  const fromAm = await (await fetch(`${h.url}/api/alerts?source=alertmanager`)).json() as { source: string, alerts: Alert[] }
  assert.equal(fromAm.source, 'alertmanager')
  assert.ok(firing(fromAm.alerts), JSON.stringify(fromAm))
  const received = await (await fetch(`${h.url}/metrics`)).text()
  assert.match(received, /^vitrine_alerts_received_total\{[^}]*alertname="ServiceDown"[^}]*status="firing"[^}]*\} [1-9]/m)

  // Back up: resolved reaches the browser too (Alertmanager sends it at its group_interval).
  stopPayment = await startPayment()
  await waitFor('ServiceDown for payment resolved in the browser', async () => {
    const last = pushed.at(-1)
    return last?.some(a => a.name === 'ServiceDown' && a.labels.service === 'payment' && a.status === 'resolved') && !firing(last)
  }, 90_000, 250)
})
