import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { appPid } from '../apps.ts'
import { toolAuthHeaders } from '../security/http-auth.ts'
import { ControlPlane } from '../control/plane.ts'
import type { ExerciseContext } from './types.ts'
import { defineExercise } from './types.ts'
import { sagaServices } from './saga.ts'

// Exercise 11: the slow service. The setup restarts one saga service, chosen at random, through the
// control plane with kit's fault drill HANDLER_DELAY_MS (every consumed record waits before its
// handler); the student finds it from the metrics alone and restarts it normally (`make restart
// S=…`, which starts it with the shop's own environment). What the system shows, and the checker
// reads: the process in the service's pid file (restarted after the setup or not), that process's
// environment (the fault is a variable the process was started with: /health does not show it), and
// its handler latency on /metrics since it started.

/** Long enough to stand out of every panel (a normal handler takes milliseconds), short enough for orders to finish before their 30 s deadline. */
export const SLOW_HANDLER_MS = 1500
const KNOB = 'HANDLER_DELAY_MS'

/** What the setup recorded in the plane's state folder: system state, not a file the student writes. */
export interface SlowServiceState { service: string, delayMs: number, pids: Record<string, number>, at: string }

function stateFile (ctx: ExerciseContext): string {
  return join(ctx.plane.settings.apps.stateDir, 'exercise-11.json')
}

export function readSlowServiceState (ctx: ExerciseContext): SlowServiceState | undefined {
  const file = stateFile(ctx)
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SlowServiceState
  } catch {
    return undefined
  }
}

/**
 * The fault a running process was started with (HANDLER_DELAY_MS in ms, 0 when off), read from the
 * process's own environment: /proc on Linux, `ps -E` elsewhere (macOS). undefined when unreadable.
 */
export function processFault (pid: number): number | undefined {
  let env: string
  try {
    env = readFileSync(`/proc/${pid}/environ`, 'utf8').replaceAll('\0', '\n')
  } catch {
    try {
      env = execFileSync('ps', ['-wwE', '-p', String(pid), '-o', 'command='], { encoding: 'utf8', timeout: 2000 }).replaceAll(' ', '\n')
    } catch {
      return undefined
    }
  }
  const m = new RegExp(`^${KNOB}=(\\d+)$`, 'm').exec(env)
  return m ? Number(m[1]) : 0
}

/** Handler time since the process started, summed over its topics, from the service's own /metrics. */
async function handlerTime (ctx: ExerciseContext, service: string): Promise<{ count: number, seconds: number } | undefined> {
  try {
    const res = await fetch(`${ctx.serviceUrl(service)}/metrics`, { signal: AbortSignal.timeout(1500) })
    if (!res.ok) return undefined
    const body = await res.text()
    const total = (name: string): number => body.split('\n')
      .filter(l => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
    return { count: total('vitrine_handler_duration_seconds_count'), seconds: total('vitrine_handler_duration_seconds_sum') }
  } catch {
    return undefined
  }
}

async function healthy (ctx: ExerciseContext, service: string): Promise<boolean> {
  try {
    return (await fetch(`${ctx.serviceUrl(service)}/health`, { signal: AbortSignal.timeout(1500) })).ok
  } catch {
    return false
  }
}

/**
 * The traffic generator's settings while it runs. It lives in checkout-api, so the setup's restart
 * of checkout-api would turn it off: a tell, and no traffic to measure. (ControlPlane.reset does the same.)
 */
async function runningTraffic (ctx: ExerciseContext): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`${ctx.serviceUrl('checkout-api')}/traffic`, { signal: AbortSignal.timeout(2000) })
    const t = await res.json() as { running?: boolean, rate: number, mode: string, failPaymentShare: number, outOfStockShare: number }
    return t.running && t.rate > 0 ? { rate: t.rate, mode: t.mode, failPaymentShare: t.failPaymentShare, outOfStockShare: t.outOfStockShare } : undefined
  } catch {
    return undefined
  }
}

export default defineExercise({
  n: 11,
  slug: '11-servico-lento',
  title: 'Encontre o serviço lento só pelas métricas',
  concepts: ['consumidores', 'grupos-de-consumidores'],
  setup: async (ctx) => {
    const plane = ctx.plane
    const services = sagaServices(ctx)
    // Every saga service up first: the student compares them all.
    for (const name of services) if (appPid(plane.settings.apps, name) === undefined) await plane.act(name, 'start')
    const chosen = services[Math.floor(Math.random() * services.length)]
    if (chosen === undefined) throw new Error('exercise 11 needs the saga services (make demo)')
    const traffic = services.includes('checkout-api') ? await runningTraffic(ctx) : undefined
    // A second plane over the same state folder and ports, differing only in the environment it starts with.
    const faulty = new ControlPlane({ stack: plane.settings.stack, apps: { ...plane.settings.apps, env: { ...plane.settings.apps.env, [KNOB]: String(SLOW_HANDLER_MS) } } })
    for (const name of services) {
      const pid = appPid(plane.settings.apps, name)
      const fault = pid === undefined ? 0 : processFault(pid) ?? 0
      // Run again (RESET=1): the earlier slow service goes back to normal, the new one gets the fault.
      if (name === chosen && fault !== SLOW_HANDLER_MS) await faulty.act(name, 'restart')
      if (name !== chosen && fault > 0) await plane.act(name, 'restart')
    }
    if (traffic && !(await runningTraffic(ctx))) {
      await fetch(`${ctx.serviceUrl('checkout-api')}/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json', ...toolAuthHeaders(plane.settings.stack.stateDir, 'exercises') }, body: JSON.stringify(traffic), signal: AbortSignal.timeout(5000) })
    }
    const pids: Record<string, number> = {}
    for (const name of services) {
      const pid = appPid(plane.settings.apps, name)
      if (pid !== undefined) pids[name] = pid
    }
    const state: SlowServiceState = { service: chosen, delayMs: SLOW_HANDLER_MS, pids, at: new Date().toISOString() }
    writeFileSync(stateFile(ctx), JSON.stringify(state, null, 2) + '\n')
  },
  check: async (ctx) => {
    const state = readSlowServiceState(ctx)
    if (!state) return { done: false, missing: ['o exercício ainda não foi preparado: rode make exercicio N=11'] }
    const a = ctx.plane.settings.apps
    const missing: string[] = []
    const seen: string[] = []
    const slow = state.service
    const pid = appPid(a, slow)
    const others = Object.keys(state.pids).filter(n => n !== slow)
    // Stopped services are named together, the slow one among them: the verdict must not point at it.
    const down = Object.keys(state.pids).filter(n => appPid(a, n) === undefined)
    const bounced = others.filter(n => !down.includes(n) && appPid(a, n) !== state.pids[n])
    if (down.length > 0) missing.push(`parado(s): ${down.join(', ')}: suba-o(s) com make start S=<serviço>`)
    if (pid !== undefined && pid === state.pids[slow]) {
      missing.push('um serviço da saga continua lento: compare a latência do handler e o lag de cada serviço (página Métricas, Prometheus ou /metrics) e reinicie só ele com make restart S=<serviço>')
    } else if (pid !== undefined) {
      const fault = processFault(pid)
      if (fault === undefined) missing.push(`não consegui ler o ambiente do processo ${pid} de ${slow}`)
      else if (fault > 0) missing.push(`${slow} foi reiniciado, mas ainda com ${KNOB}=${fault}: reinicie-o pelo plano de controle (make restart S=${slow}), que o sobe com o ambiente normal`)
      else seen.push(`${slow} reiniciado (pid ${state.pids[slow]} → ${pid}) sem ${KNOB}`)
      if (fault === 0) {
        if (!(await healthy(ctx, slow))) missing.push(`${slow} ainda não está pronto (GET /health): espere alguns segundos e confira de novo`)
        const t = await handlerTime(ctx, slow)
        if (t !== undefined && t.count > 0) {
          const avgMs = Math.round(t.seconds / t.count * 1000)
          seen.push(`handler de ${slow} desde o reinício: ${avgMs} ms em média em ${t.count} registro(s)`)
          if (avgMs >= state.delayMs / 2) missing.push(`o handler de ${slow} ainda leva ${avgMs} ms em média desde o reinício`)
        } else if (t !== undefined) {
          seen.push(`${slow} ainda não tratou nenhum registro desde o reinício (sem tráfego, nada a medir)`)
        }
      }
    }
    const guess = 'Reiniciar serviços no chute (ou todos) não conta: prepare de novo com make exercicio N=11 RESET=1 e reinicie só o serviço que as métricas apontam'
    if (bounced.length > 0 && pid !== undefined && pid !== state.pids[slow]) missing.push(`também foram reiniciados: ${bounced.join(', ')}. ${guess}`)
    else if (bounced.length > 0) missing.push(`reiniciado(s) desde a preparação: ${bounced.join(', ')}, que não era(m) o serviço lento. ${guess}`)
    else if (down.length === 0 && pid === state.pids[slow]) seen.push(`os ${others.length + 1} serviços da saga rodam com o mesmo processo desde a preparação`)
    else if (down.length === 0) seen.push(`os outros serviços da saga seguem com o mesmo processo desde a preparação (${others.join(', ')})`)
    return { done: missing.length === 0, missing, seen }
  }
})
