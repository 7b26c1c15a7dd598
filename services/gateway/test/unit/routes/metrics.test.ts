import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import { freePort } from '@vitrine/infra'
import metrics from '../../../src/routes/api/metrics.ts'
import type { GatewayConfigType } from '../../../src/config.ts'

// What /api/metrics/* and /api/alerts/webhook refuse before anything reaches Prometheus, and how a
// Prometheus that is not there is reported (no broker, no Prometheus: a port nobody listens on).

type Err = { field: string, rule: string }

async function routes (t: { after: (fn: () => Promise<void>) => void }): Promise<Awaited<ReturnType<typeof buildRoutes>>> {
  // Free now, and nobody listens on it: a Prometheus that is not there.
  const port = await freePort()
  const config = { PROMETHEUS_URL: `http://127.0.0.1:${port}`, ALERTMANAGER_URL: `http://127.0.0.1:${port}`, PROMETHEUS_TIMEOUT_MS: 2000 } as GatewayConfigType
  const app = await buildRoutes(metrics, { config }, ['alerts'])
  t.after(async () => { await app.close() })
  return app
}

const fields = (body: string): string[] => (JSON.parse(body) as { errors?: Err[] }).errors?.map(e => `${e.field}:${e.rule}`) ?? []

test('GET /metrics/query_range: a missing query, a bad step, an inverted or too long range, an unknown parameter are 400s naming field and rule', async t => {
  const app = await routes(t)
  const now = Math.floor(Date.now() / 1000)
  const cases: Array<[string, string]> = [
    [`/metrics/query_range?start=${now - 60}&end=${now}&step=15`, 'querystring.query:required'],
    [`/metrics/query_range?query=up&start=${now - 60}&end=${now}&step=0`, 'querystring.step:minimum'],
    [`/metrics/query_range?query=up&start=${now - 60}&end=${now}&step=abc`, 'querystring.step:type'],
    [`/metrics/query_range?query=up&start=${now}&end=${now - 60}&step=15`, 'querystring.end:notBeforeStart'],
    [`/metrics/query_range?query=up&start=${now - 8 * 86400}&end=${now}&step=3600`, 'querystring.start:maxRange'],
    [`/metrics/query_range?query=up&start=${now - 86400}&end=${now}&step=1`, 'querystring.step:maxPoints'],
    [`/metrics/query_range?query=up&start=${now - 60}&end=${now}&step=15&url=http://x`, 'querystring.url:additionalProperties'],
    [`/metrics/query_range?query=${'a'.repeat(2001)}&start=${now - 60}&end=${now}&step=15`, 'querystring.query:maxLength']
  ]
  for (const [url, expected] of cases) {
    const res = await app.inject(url)
    assert.equal(res.statusCode, 400, `${url} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION', res.body)
    assert.ok(fields(res.body).includes(expected), `${expected} not in ${res.body}`)
  }
})

test('a Prometheus that is not there is a 502 naming it, without its address', async t => {
  const app = await routes(t)
  for (const url of ['/metrics/query?query=up', `/metrics/query_range?query=up&start=${Math.floor(Date.now() / 1000) - 60}&end=${Math.floor(Date.now() / 1000)}&step=15`, '/alerts?source=alertmanager']) {
    const res = await app.inject(url)
    assert.equal(res.statusCode, 502, `${url} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE', res.body)
    assert.doesNotMatch(res.body, /127\.0\.0\.1|http:/, 'no internal URL in the error body')
  }
})

test('POST /alerts/webhook: what is not Alertmanager\'s webhook JSON is a 400 naming field and rule', async t => {
  const app = await routes(t)
  const alert = { status: 'firing', labels: { alertname: 'ServiceDown', service: 'payment' }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: 'abc' }
  const body = { version: '4', groupKey: 'g', status: 'firing', receiver: 'gateway', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: [alert] }
  const cases: Array<[unknown, string]> = [
    [{ ...body, alerts: [] }, 'body.alerts:minItems'],
    [{ ...body, alerts: [{ ...alert, status: 'burning' }] }, 'body.alerts.0.status:anyOf'],
    [{ ...body, alerts: [{ ...alert, labels: { service: 'payment' } }] }, 'body.alerts.0.labels.alertname:required'],
    [{ ...body, alerts: [{ ...alert, fingerprint: undefined }] }, 'body.alerts.0.fingerprint:required'],
    [{ ...body, receiver: undefined }, 'body.receiver:required']
  ]
  for (const [payload, expected] of cases) {
    const res = await app.inject({ method: 'POST', url: '/alerts/webhook', payload: payload as object })
    assert.equal(res.statusCode, 400, `${expected} → ${res.statusCode} ${res.body}`)
    assert.ok(fields(res.body).some(f => f === expected || f.startsWith(expected.split(':')[0]!)), `${expected} not in ${res.body}`)
  }
})
