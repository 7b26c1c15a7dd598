import { Type } from 'typebox'
import type { Static } from 'typebox'

// The Métricas page's read-only window on Prometheus and Alertmanager. Every parameter is bounded:
// a student's typo or a runaway range must not make Prometheus work for minutes.

/** A PromQL expression: what the page's panels send (the dashboards' `targets[].expr`). */
const Query = Type.String({ minLength: 1, maxLength: 2000, description: 'PromQL expression' })
/** Unix time in seconds (what Prometheus takes); bounded to this century. */
const UnixTime = Type.Number({ minimum: 946684800, maximum: 4102444800, description: 'unix time, seconds' })

export const InstantQuery = Type.Object({
  query: Query,
  time: Type.Optional(UnixTime)
}, { additionalProperties: false })
export type InstantQueryType = Static<typeof InstantQuery>

export const RangeQuery = Type.Object({
  query: Query,
  start: UnixTime,
  end: UnixTime,
  step: Type.Number({ minimum: 1, maximum: 3600, description: 'seconds between points' })
}, { additionalProperties: false })
export type RangeQueryType = Static<typeof RangeQuery>

/** Most points one series may have, and the longest range: a week (the page shows minutes to hours). */
export const MAX_POINTS = 1500
export const MAX_RANGE_SECONDS = 7 * 24 * 3600

export const PromResult = Type.Object({
  resultType: Type.Union([Type.Literal('matrix'), Type.Literal('vector'), Type.Literal('scalar'), Type.Literal('string')]),
  result: Type.Array(Type.Unknown())
})

const Labels = Type.Record(Type.String(), Type.String({ maxLength: 10_000 }))

/** One alert of Alertmanager's webhook (version 4): https://prometheus.io/docs/alerting/latest/configuration/#webhook_config */
export const WebhookAlert = Type.Object({
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  labels: Type.Object({ alertname: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: Type.String({ maxLength: 10_000 }) }),
  annotations: Type.Optional(Labels),
  startsAt: Type.String({ minLength: 1, maxLength: 64 }),
  endsAt: Type.Optional(Type.String({ maxLength: 64 })),
  generatorURL: Type.Optional(Type.String({ maxLength: 4000 })),
  fingerprint: Type.String({ minLength: 1, maxLength: 64 })
})
export type WebhookAlertType = Static<typeof WebhookAlert>

export const WebhookBody = Type.Object({
  version: Type.String({ maxLength: 8 }),
  groupKey: Type.String({ maxLength: 4000 }),
  truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  receiver: Type.String({ maxLength: 200 }),
  groupLabels: Type.Optional(Labels),
  commonLabels: Type.Optional(Labels),
  commonAnnotations: Type.Optional(Labels),
  externalURL: Type.Optional(Type.String({ maxLength: 4000 })),
  alerts: Type.Array(WebhookAlert, { minItems: 1, maxItems: 1000 })
})
export type WebhookBodyType = Static<typeof WebhookBody>

/** An alert as the page shows it: firing until Alertmanager says resolved. */
export const AlertSchema = Type.Object({
  fingerprint: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  severity: Type.Union([Type.String(), Type.Null()]),
  labels: Type.Record(Type.String(), Type.String()),
  annotations: Type.Record(Type.String(), Type.String()),
  startsAt: Type.String(),
  endsAt: Type.Union([Type.String(), Type.Null()]),
  /** When the gateway last heard of it (epoch ms). */
  updatedAt: Type.Number()
})

export const AlertsQuery = Type.Object({
  source: Type.Optional(Type.Union([Type.Literal('gateway'), Type.Literal('alertmanager')], { description: 'gateway: what the webhook delivered (firing and recently resolved); alertmanager: its active alerts now' }))
}, { additionalProperties: false })

export const AlertsAnswer = Type.Object({
  source: Type.Union([Type.Literal('gateway'), Type.Literal('alertmanager')]),
  alerts: Type.Array(AlertSchema)
})
