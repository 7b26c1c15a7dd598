import { Type } from 'typebox'
import type { Static } from 'typebox'
import type { Tx } from './db.ts'

// Fault toggles, like a feature-flag service: what a chaos drill turns on in one running service and
// off again, without a restart. The consumers read them for every record (plugins/consumers.ts), the
// transactions for every begin (plugins/postgres.ts), the pause when they change; `GET/PUT/DELETE
// /faults` (plugins/faults.ts) and `/health` show them. The static drills of exercises 5 and 11
// (HANDLER_FAIL_TOPICS, HANDLER_DELAY_MS) are their values at boot.

const TopicName = Type.String({ minLength: 1, maxLength: 249, pattern: '^[a-z0-9._-]+$' })

export const FaultSettings = Type.Object({
  handlerDelayMs: Type.Integer({ minimum: 0, maximum: 60_000, description: 'cada registro consumido espera isso antes do seu handler (0 = desligado)' }),
  failRate: Type.Number({ minimum: 0, maximum: 1, description: 'fração dos registros (de failTopics, ou de todos) que falha antes do handler: vai pela escada de retry até a DLQ' }),
  failTopics: Type.Array(TopicName, { maxItems: 50, uniqueItems: true, description: 'tópicos do catálogo aos quais failRate se aplica (vazio = todos)' }),
  statementTimeoutMs: Type.Integer({ minimum: 0, maximum: 600_000, description: 'statement_timeout do PostgreSQL em cada transação do serviço (0 = desligado)' }),
  pauseConsuming: Type.Boolean({ description: 'pausa todos os consumers do serviço (motivo "fault": o backpressure não a desfaz)' })
}, { additionalProperties: false })
export type FaultSettingsType = Static<typeof FaultSettings>

/** A PUT's body: the toggles it names change, the others keep their values. */
export const FaultChange = Type.Partial(FaultSettings, { additionalProperties: false, minProperties: 1 })
export type FaultChangeType = Static<typeof FaultChange>

export const FaultState = Type.Object({
  service: Type.String(),
  faults: FaultSettings,
  /** The toggles that are on now, by name: what /health lists. */
  active: Type.Array(Type.String()),
  /** When they last changed over HTTP; null while they are the boot values. */
  changedAt: Type.Union([Type.String(), Type.Null()])
})
export type FaultStateType = Static<typeof FaultState>

export const NO_FAULTS: Readonly<FaultSettingsType> = Object.freeze({ handlerDelayMs: 0, failRate: 0, failTopics: [], statementTimeoutMs: 0, pauseConsuming: false })

/** The boot values from the static drills: HANDLER_DELAY_MS, and HANDLER_FAIL_TOPICS failing every record of those topics. */
export function bootFaults (c: { HANDLER_DELAY_MS: number, HANDLER_FAIL_TOPICS: string }): FaultSettingsType {
  const failTopics = [...new Set(c.HANDLER_FAIL_TOPICS.split(',').map(t => t.trim()).filter(t => t !== ''))]
  return { ...NO_FAULTS, handlerDelayMs: c.HANDLER_DELAY_MS, failTopics, failRate: failTopics.length > 0 ? 1 : 0 }
}

/** The names of the toggles that are on, as /health shows them (`handlerDelayMs=2000`, `pauseConsuming`). */
export function activeFaults (f: FaultSettingsType): string[] {
  const on: string[] = []
  if (f.handlerDelayMs > 0) on.push(`handlerDelayMs=${f.handlerDelayMs}`)
  if (f.failRate > 0) on.push(`failRate=${f.failRate}${f.failTopics.length > 0 ? ` (${f.failTopics.join(',')})` : ''}`)
  if (f.statementTimeoutMs > 0) on.push(`statementTimeoutMs=${f.statementTimeoutMs}`)
  if (f.pauseConsuming) on.push('pauseConsuming')
  return on
}

/** A record the failure toggle made fail: an ordinary (retryable) error, so it takes the retry ladder. */
export class InjectedFault extends Error {}

/** One service's toggles: read on every use, so a change applies to the next record or transaction. */
export class Faults {
  private current: FaultSettingsType
  private changed: string | null = null
  private readonly listeners: Array<(f: FaultSettingsType) => void> = []

  constructor (readonly service: string, readonly boot: FaultSettingsType = NO_FAULTS, private readonly random: () => number = Math.random) {
    this.current = { ...boot, failTopics: [...boot.failTopics] }
  }

  get (): FaultSettingsType {
    return this.current
  }

  state (): FaultStateType {
    return { service: this.service, faults: this.current, active: activeFaults(this.current), changedAt: this.changed }
  }

  set (change: FaultChangeType): FaultStateType {
    this.current = { ...this.current, ...change, failTopics: [...(change.failTopics ?? this.current.failTopics)] }
    return this.touch()
  }

  /** Every toggle off (the boot drills too: one click ends every fault). */
  clear (): FaultStateType {
    this.current = { ...NO_FAULTS, failTopics: [] }
    return this.touch()
  }

  /** Called now with the current values, then on every change. */
  onChange (fn: (f: FaultSettingsType) => void): void {
    this.listeners.push(fn)
    fn(this.current)
  }

  /** Whether the failure toggle fails this record of `topic` (retries and replays keep their original topic). */
  fails (topic: string): boolean {
    const f = this.current
    if (f.failRate <= 0 || (f.failTopics.length > 0 && !f.failTopics.includes(topic))) return false
    return f.failRate >= 1 || this.random() < f.failRate
  }

  /** The error a failed record carries to the retry topics and the DLQ: it names the toggle (or the boot drill) that made it fail. */
  failure (topic: string): InjectedFault {
    // Exercise 5's dead letter names the drill its process was started with.
    if (this.changed === null && this.boot.failTopics.includes(topic)) return new InjectedFault(`fault drill HANDLER_FAIL_TOPICS: this process fails every ${topic} record`)
    return new InjectedFault(`fault toggle failRate=${this.current.failRate}: this ${topic} record fails before its handler`)
  }

  /** The statement timeout for a transaction just begun: SET LOCAL ends with it, so nothing leaks to the pool. */
  async beginTx (tx: Tx): Promise<void> {
    const ms = this.current.statementTimeoutMs
    if (ms > 0) await tx.unsafe(`set local statement_timeout = ${Math.trunc(ms)}`)
  }

  private touch (): FaultStateType {
    this.changed = new Date().toISOString()
    for (const fn of this.listeners) fn(this.current)
    return this.state()
  }
}
