import { firstRecords } from './reader.ts'
import type { KafkaSecurity } from './security.ts'

export interface DlqExpiry {
  status: 'ok' | 'warn'
  /** Age of the oldest record the DLQ still holds, or null when it is empty. */
  ageSeconds: number | null
  detail: string
}

const DAY_S = 24 * 60 * 60

/** Warns once the oldest DLQ record has lived `warnAt` of the retention: it will be deleted soon, replayed or not. */
export function dlqExpiry (oldestTimestamp: number | null, retentionMs: number, now = Date.now(), warnAt = 0.8): DlqExpiry {
  if (oldestTimestamp === null) return { status: 'ok', ageSeconds: null, detail: 'empty' }
  const ageSeconds = Math.max(0, (now - oldestTimestamp) / 1000)
  const retentionS = retentionMs / 1000
  const days = (s: number): string => (s / DAY_S).toFixed(1)
  if (ageSeconds < retentionS * warnAt) return { status: 'ok', ageSeconds, detail: `oldest record ${days(ageSeconds)} of ${days(retentionS)} days old` }
  return {
    status: 'warn',
    ageSeconds,
    detail: `oldest record is ${days(ageSeconds)} of ${days(retentionS)} days old: it is deleted in ${days(Math.max(0, retentionS - ageSeconds))} days; replay or export it (make dlq-replay)`
  }
}

/** The DLQ's oldest record against its retention, read at most once per `cacheMs` (a scrape or /health asks). */
export class DlqWatch {
  private last: { at: number, value: DlqExpiry } | undefined
  private running: Promise<DlqExpiry> | undefined

  constructor (private readonly brokers: string, private readonly topic: string, readonly retentionMs: number, private readonly cacheMs = 60_000, private readonly security?: KafkaSecurity) {}

  async check (): Promise<DlqExpiry> {
    if (this.last && Date.now() - this.last.at < this.cacheMs) return this.last.value
    this.running ??= (async () => {
      try {
        const first = await firstRecords(this.brokers, this.topic, 5000, this.security)
        const oldest = first.length > 0 ? Math.min(...first.map(r => r.timestamp)) : null
        const value = dlqExpiry(oldest, this.retentionMs)
        this.last = { at: Date.now(), value }
        return value
      } finally {
        this.running = undefined
      }
    })()
    return await this.running
  }
}
