import { ControlPlane, controlSettings } from '../control/plane.ts'
import { ApiError, controlClient } from '../control/client.ts'
import { sleep } from '../proc.ts'
import { SCENES } from './drills.ts'
import type { DrillRun, Scene } from './drills.ts'
import { adoptAdminLogin } from '../security/client-login.ts'

// On a KAFKA_AUTH=scram stack the checkers' and drills' Kafka clients log in as its admin, as in the control plane.
adoptAdminLogin()

// `make chaos` lists the drills; `make chaos CENA=pagamento-parado [SEGUNDOS=10]` runs one through the
// control plane of the running demo (make demo), prints its timeline as it happens and the invariant
// check at the end, and exits 1 when the drill did not pass. ("matriz" is the fault-matrix suite's
// name in the Makefile, never a drill.)

const [scene, secondsArg] = process.argv.slice(2)
const plane = new ControlPlane(controlSettings())
const { up, url } = controlClient(plane.settings.apps.ports.control!)
const hhmmss = (iso: string): string => new Date(iso).toLocaleTimeString('pt-BR', { hour12: false })

async function api<T> (method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000)
  })
  const json = await res.json() as T & { code?: string, message?: string, details?: Record<string, unknown> }
  if (!res.ok) throw new ApiError(json.message ?? `${method} ${path} answered ${res.status}`, json.code, json.details)
  return json
}

async function list (): Promise<number> {
  const live = await up()
  const scenes: Array<Scene & { unavailable: string | null }> = live ? (await api<{ scenes: Array<Scene & { unavailable: string | null }> }>('GET', '/chaos/scenes')).scenes : SCENES.map(s => ({ ...s, unavailable: null }))
  console.log('Simulações de caos (make chaos CENA=<nome> [SEGUNDOS=n]):')
  for (const s of scenes) {
    console.log(`  ${s.name.padEnd(18)} ${s.title}${s.defaultSeconds > 0 ? ` (${s.defaultSeconds} s)` : ''}`)
    console.log(`  ${''.padEnd(18)} ${s.description}`)
    if (s.unavailable !== null) console.log(`  ${''.padEnd(18)} ✘ indisponível agora: ${s.unavailable}`)
  }
  console.log('  matriz             a matriz de falhas automatizada (suite de testes)')
  if (!live) console.log('\nO plano de controle não responde: suba a loja com make demo para rodar uma simulação.')
  return 0
}

async function run (name: string): Promise<number> {
  if (!(await up())) {
    console.error('O plano de controle não responde: suba a loja com make demo (as simulações rodam sobre ela).')
    return 1
  }
  const seconds = secondsArg === undefined || secondsArg === '' ? undefined : Number(secondsArg)
  let drill: DrillRun
  try {
    drill = await api<DrillRun>('POST', '/chaos/drills', { scene: name, ...(seconds !== undefined ? { seconds } : {}) })
  } catch (err) {
    const e = err as ApiError
    if (e.code === 'SHOP_ERR_VALIDATION') console.error(`Cena desconhecida ou parâmetro inválido: ${e.message}. make chaos lista as cenas.`)
    else if (e.code === 'SHOP_ERR_DRILL_UNAVAILABLE') console.error(`A simulação ${name} não pode rodar agora: ${String(e.details?.reason ?? e.message)}`)
    else console.error(`A simulação não começou: ${e.message}`)
    return 1
  }
  console.log(`▶ ${drill.title} (${drill.id})`)
  let shown = 0
  let samples = 0
  for (;;) {
    drill = await api<DrillRun>('GET', `/chaos/drills/${drill.id}`)
    for (const e of drill.events.slice(shown)) console.log(`  ${hhmmss(e.at)}  ${e.text}`)
    shown = drill.events.length
    for (const s of drill.samples.slice(samples)) if (s.lag > 0 || s.errorsPerSec > 0) console.log(`  ${hhmmss(s.at)}    lag ${s.lag}, ${s.errorsPerSec} erro(s)/s`)
    samples = drill.samples.length
    if (drill.phase === 'done') break
    await sleep(1000)
  }
  if (drill.recoverySeconds !== null) console.log(`Recuperação: ${drill.recoverySeconds} s depois do fim da falha`)
  if (drill.alertsFrom !== null) {
    console.log(drill.alerts.length === 0 ? `Alertas: nenhum pendente ou disparando durante a simulação (${drill.alertsFrom})` : 'Alertas durante a simulação:')
    for (const a of drill.alerts) console.log(`  ${a.firingAt === null ? '… pendente' : `● disparou ${hhmmss(a.firingAt)}`}  ${a.name}${a.summary === null ? '' : ` — ${a.summary}`}`)
  }
  if (drill.invariants) {
    console.log(`Invariantes (${drill.invariants.orders} pedido(s) desde o início):`)
    for (const c of drill.invariants.checks) {
      console.log(`  ${c.ok ? '✔' : '✘'} ${c.label}`)
      for (const p of c.problems) console.log(`      ${p}`)
      if (c.more > 0) console.log(`      … e mais ${c.more}`)
    }
  }
  if (drill.error !== null) console.log(`Erro: ${drill.error}`)
  console.log(drill.status === 'passed' ? '✔ passou' : '✘ não passou')
  return drill.status === 'passed' ? 0 : 1
}

const code = scene === undefined || scene === '' ? await list() : await run(scene)
process.exit(code)
