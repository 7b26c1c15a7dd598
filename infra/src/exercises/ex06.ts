import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import { logFile } from '../proc.ts'
import type { ExerciseContext } from './types.ts'
import { hhmmss, metricsOf, ordersSince, pidOf, processStart, readExerciseState, sagaServices, sagaViolations, startSaga, writeExerciseState } from './saga.ts'
import { defineExercise } from './types.ts'

// Exercise 6: kill -9 under traffic. The setup names one saga service and notes every saga
// service's pid; the student sends orders, kills that service with SIGKILL in the middle of them
// (make kill S=…, or kill -9 of the pid make status shows), starts it again and lets the orders end.
// What the checker reads: the named service runs as a new process (pid changed) that started after
// some of the orders since the setup were placed and before others (traffic across the crash), and
// the process before it did not shut down (its log has no "shutting down" after its start: a SIGTERM
// of make stop/restart logs one, a SIGKILL cannot); every order since the setup ended; each was
// charged at most once, paid orders sold their stock once, failed ones gave money and stock back,
// every customer was told, and inventory's stock ledger adds up.

const N = 6
/** The services the setup picks from: each holds a step of the saga with money or stock behind it. */
const VICTIMS = ['payment', 'inventory', 'orchestrator']
/** Orders since the setup, at least, before the verdict means anything. */
const MIN_ORDERS = 5

interface CrashState { service: string, pids: Record<string, number>, at: string }

type End = 'graceful' | 'no-shutdown' | 'unknown'

/** Fastify logs one "Server listening at" per process start; kit logs "shutting down" on SIGTERM/SIGINT. */
const START = 'Server listening at'
const SHUTDOWN = '"msg":"shutting down"'
/** The most of a log read from its end (doubling from 1 MiB until the answer is in it). */
const MAX_TAIL_BYTES = 256 * 1024 * 1024
/** A verdict per process: it cannot change, and the control plane checks every 10 s. */
const ends = new Map<string, End>()

/**
 * How the process before the current one ended, from the service's own log (<stateDir>/logs/<service>.log,
 * where the supervisor sends its output): 'graceful' when it logged kit's "shutting down" (SIGTERM or
 * SIGINT: make stop, make restart) after its own start; 'no-shutdown' when it did not (SIGKILL, or a
 * crash); 'unknown' when the log does not show it (LOG_LEVEL above info, or no log yet).
 */
export function previousEnd (ctx: ExerciseContext, service: string, pid: number): End {
  const file = logFile(ctx.plane.settings.apps.stateDir, service)
  const key = `${file}:${pid}`
  const known = ends.get(key)
  if (known !== undefined) return known
  if (!existsSync(file)) return 'unknown'
  const size = statSync(file).size
  const fd = openSync(file, 'r')
  try {
    for (let length = Math.min(size, 1024 * 1024); ; length = Math.min(size, length * 2)) {
      const buf = Buffer.alloc(length)
      readSync(fd, buf, 0, length, size - length)
      const current = buf.lastIndexOf(START)
      if (current >= 0) {
        const shutdown = buf.lastIndexOf(SHUTDOWN, current)
        // (A negative offset would search from the end.)
        const previous = current > 0 ? buf.lastIndexOf(START, current - 1) : -1
        // A shutdown line after the previous start (or with none in sight) belongs to the process before this one.
        const end: End | undefined = shutdown > previous ? 'graceful' : previous >= 0 ? 'no-shutdown' : undefined
        if (end !== undefined) {
          ends.set(key, end)
          return end
        }
      }
      if (length >= size || length >= MAX_TAIL_BYTES) return 'unknown'
    }
  } finally {
    closeSync(fd)
  }
}

export default defineExercise({
  n: N,
  slug: '06-kill-9',
  title: 'kill -9 no meio do tráfego sem perder nem duplicar',
  concepts: ['consumidores', 'grupos-de-consumidores', 'idempotencia', 'transacoes'],
  setup: async (ctx) => {
    await startSaga(ctx)
    const services = sagaServices(ctx)
    const candidates = VICTIMS.filter(s => services.includes(s))
    const service = candidates[Math.floor(Math.random() * candidates.length)]
    if (service === undefined) throw new Error('exercise 6 needs the saga services (make demo)')
    const pids: Record<string, number> = {}
    for (const name of services) {
      const pid = pidOf(ctx, name)
      if (pid !== undefined) pids[name] = pid
    }
    writeExerciseState(ctx, N, { service, pids, at: new Date().toISOString() } satisfies CrashState)
  },
  check: async (ctx) => {
    const state = readExerciseState<CrashState>(ctx, N)
    if (!state) return { done: false, missing: ['o exercício ainda não foi preparado: rode make exercicio N=6'] }
    const { service } = state
    const since = new Date(state.at)
    const missing: string[] = []
    const seen = [`serviço escolhido: ${service} (pid ${state.pids[service]} na preparação, ${hhmmss(since)} UTC)`]
    const pid = pidOf(ctx, service)
    let restartedAt: Date | undefined
    if (pid === undefined) {
      missing.push(`o ${service} não está rodando: suba-o de novo com make start S=${service}`)
    } else if (pid === state.pids[service]) {
      missing.push(`o ${service} ainda é o processo da preparação (pid ${pid}): com pedidos entrando, mate-o com SIGKILL (make kill S=${service}) e suba-o de novo (make start S=${service})`)
    } else {
      const metrics = await metricsOf(ctx, service)
      restartedAt = metrics === undefined ? undefined : processStart(metrics)
      if (restartedAt === undefined) missing.push(`o ${service} novo (pid ${pid}) ainda não responde /metrics: espere ele ficar pronto`)
      else seen.push(`${service}: pid ${state.pids[service]} → ${pid}, processo novo desde ${hhmmss(restartedAt)} UTC`)
      const end = previousEnd(ctx, service, pid)
      if (end === 'graceful') missing.push(`o processo anterior do ${service} foi desligado com educação (o log dele termina em "shutting down": SIGTERM, de make stop ou make restart). O exercício pede SIGKILL, sem desligamento: com o tráfego ligado, make kill S=${service} (ou kill -9 <pid>) e depois make start S=${service}`)
      else if (end === 'no-shutdown') seen.push(`o log do ${service} mostra o processo anterior terminando sem desligamento (SIGKILL)`)
    }
    const down = sagaServices(ctx).filter(s => s !== service && pidOf(ctx, s) === undefined)
    if (down.length > 0) missing.push(`parado(s): ${down.join(', ')}: suba-o(s) com make start S=<serviço>`)

    const orders = await ordersSince(ctx, since)
    if (orders.length < MIN_ORDERS) {
      missing.push(`só ${orders.length} pedido(s) desde a preparação: ligue o tráfego (gerador da Loja, ou vários pedidos) antes de matar o serviço, ao menos ${MIN_ORDERS}`)
    } else if (restartedAt !== undefined) {
      const before = orders.filter(o => o.created_at < restartedAt).length
      const after = orders.length - before
      seen.push(`${orders.length} pedido(s) desde a preparação: ${before} antes de o ${service} voltar, ${after} depois`)
      if (before === 0) missing.push(`nenhum pedido entrou antes de o ${service} voltar: o kill tem de ser no meio do tráfego`)
      if (after === 0) missing.push(`nenhum pedido entrou depois de o ${service} voltar: deixe o tráfego rodando até ele voltar, depois desligue`)
    }
    const pending = orders.filter(o => o.status === 'pending')
    if (pending.length > 0) missing.push(`${pending.length} pedido(s) desde a preparação ainda pendente(s): desligue o tráfego e espere terminarem (o prazo de um pedido é de 30 s)`)
    const ended = orders.filter(o => o.status !== 'pending')
    if (ended.length > 0) {
      const confirmed = ended.filter(o => o.status === 'confirmed').length
      const byDeadline = ended.filter(o => o.reason === 'deadline_exceeded').length
      seen.push(`terminados: ${confirmed} confirmado(s), ${ended.length - confirmed} com falha${byDeadline > 0 ? ` (${byDeadline} por prazo)` : ''}`)
    }
    const broken = await sagaViolations(ctx, orders.map(o => o.id))
    missing.push(...broken.slice(0, 10))
    if (broken.length > 10) missing.push(`e mais ${broken.length - 10} problema(s)`)
    if (broken.length === 0 && ended.length > 0) seen.push('nenhuma cobrança dupla, estoque vendido ou devolvido uma vez, livro de estoque fechando')
    return { done: missing.length === 0, missing, seen }
  }
})
