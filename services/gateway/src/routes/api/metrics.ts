import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { invalidInput } from '@vitrine/service-kit'
import { ErrorBody } from '../../schemas/common.ts'
import { AlertsAnswer, AlertsQuery, InstantQuery, MAX_POINTS, MAX_RANGE_SECONDS, PromResult, RangeQuery, WebhookBody } from '../../schemas/metrics.ts'
import { alertmanagerAlerts, promQuery } from '../../lib/prometheus.ts'
import type { GatewayConfigType } from '../../config.ts'

/**
 * The Métricas page's window on Prometheus (read-only: these two query endpoints, nothing else of
 * its API) and Alertmanager's webhook receiver with the alerts it delivered.
 */
const routes: FastifyPluginAsyncTypebox<{ config: GatewayConfigType }> = async (fastify, { config }) => {
  const timeoutMs = config.PROMETHEUS_TIMEOUT_MS

  fastify.get('/metrics/query', { schema: { querystring: InstantQuery, response: { 200: PromResult, 400: ErrorBody, 502: ErrorBody } } }, async (request) => {
    const q = request.query
    return await promQuery(config.PROMETHEUS_URL, 'query', { query: q.query, ...(q.time !== undefined ? { time: String(q.time) } : {}) }, timeoutMs)
  })

  fastify.get('/metrics/query_range', { schema: { querystring: RangeQuery, response: { 200: PromResult, 400: ErrorBody, 502: ErrorBody } } }, async (request) => {
    const { query, start, end, step } = request.query
    if (end < start) throw invalidInput([{ field: 'querystring.end', rule: 'notBeforeStart', message: 'must be >= start' }])
    if (end - start > MAX_RANGE_SECONDS) throw invalidInput([{ field: 'querystring.start', rule: 'maxRange', message: `the range must be at most ${MAX_RANGE_SECONDS} seconds` }])
    if ((end - start) / step > MAX_POINTS) throw invalidInput([{ field: 'querystring.step', rule: 'maxPoints', message: `must give at most ${MAX_POINTS} points: >= ${Math.ceil((end - start) / MAX_POINTS)} for this range` }])
    return await promQuery(config.PROMETHEUS_URL, 'query_range', { query, start: String(start), end: String(end), step: String(step) }, timeoutMs)
  })

  // Alertmanager's webhook_config points here; one notification carries a group's alerts.
  fastify.post('/alerts/webhook', { bodyLimit: 1024 * 1024, schema: { body: WebhookBody, response: { 200: { type: 'object', properties: { received: { type: 'integer' }, changed: { type: 'integer' } } }, 400: ErrorBody } } }, async (request) => {
    const changed = fastify.alerts.board.apply(request.body.alerts)
    fastify.alerts.received(changed)
    request.log.info({ receiver: request.body.receiver, status: request.body.status, alerts: request.body.alerts.map(a => `${a.labels.alertname}:${a.status}`) }, 'alert notification')
    return { received: request.body.alerts.length, changed: changed.length }
  })

  fastify.get('/alerts', { schema: { querystring: AlertsQuery, response: { 200: AlertsAnswer, 400: ErrorBody, 502: ErrorBody } } }, async (request) => {
    if (request.query.source !== 'alertmanager') return { source: 'gateway' as const, alerts: fastify.alerts.board.list() }
    const now = Date.now()
    const alerts = (await alertmanagerAlerts(config.ALERTMANAGER_URL, timeoutMs)).map(a => ({
      fingerprint: a.fingerprint,
      name: a.labels.alertname ?? '',
      status: a.status,
      severity: a.labels.severity ?? null,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: null,
      updatedAt: now
    }))
    return { source: 'alertmanager' as const, alerts }
  })
}

export default routes
