import type { Static } from 'typebox'
import type { AlertSchema, WebhookAlertType } from '../schemas/metrics.ts'

export type Alert = Static<typeof AlertSchema>

/**
 * The alerts the gateway knows of, by fingerprint: Alertmanager's webhook moves each one between
 * firing and resolved. A resolved alert stays a while (the page shows it went away), then goes.
 */
export class AlertBoard {
  private readonly alerts = new Map<string, Alert>()

  constructor (private readonly keepResolvedMs = 10 * 60_000, private readonly max = 500) {}

  /** Applies one webhook's alerts; returns those whose status or content changed. */
  apply (incoming: WebhookAlertType[], now = Date.now()): Alert[] {
    const changed: Alert[] = []
    for (const a of incoming) {
      const before = this.alerts.get(a.fingerprint)
      const labels: Record<string, string> = { ...a.labels }
      const next: Alert = {
        fingerprint: a.fingerprint,
        name: a.labels.alertname,
        status: a.status,
        severity: labels.severity ?? null,
        labels,
        annotations: { ...(a.annotations ?? {}) },
        startsAt: a.startsAt,
        // Alertmanager sends the zero time (or a future one) while an alert fires.
        endsAt: a.status === 'resolved' && a.endsAt && !a.endsAt.startsWith('0001') ? a.endsAt : null,
        updatedAt: now
      }
      this.alerts.set(a.fingerprint, next)
      if (!before || before.status !== next.status || before.startsAt !== next.startsAt || JSON.stringify(before.annotations) !== JSON.stringify(next.annotations)) changed.push(next)
    }
    this.prune(now)
    return changed
  }

  /** Firing first, newest first. */
  list (now = Date.now()): Alert[] {
    this.prune(now)
    return [...this.alerts.values()].sort((a, b) => (a.status === b.status ? b.startsAt.localeCompare(a.startsAt) : a.status === 'firing' ? -1 : 1))
  }

  private prune (now: number): void {
    for (const [k, a] of this.alerts) if (a.status === 'resolved' && now - a.updatedAt > this.keepResolvedMs) this.alerts.delete(k)
    if (this.alerts.size <= this.max) return
    // Too many: the oldest resolved go first, then the oldest heard of.
    const order = [...this.alerts.values()].sort((a, b) => (a.status === b.status ? a.updatedAt - b.updatedAt : a.status === 'resolved' ? -1 : 1))
    for (const a of order.slice(0, this.alerts.size - this.max)) this.alerts.delete(a.fingerprint)
  }
}
