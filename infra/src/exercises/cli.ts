import { ControlPlane, controlSettings } from '../control/plane.ts'
import { controlClient } from '../control/client.ts'
import { EXERCISES, exercise } from './index.ts'
import { readBoard, runCheck, runSetup } from './board.ts'
import type { ExerciseState } from './board.ts'
import { exerciseContext } from './context.ts'
import { adoptAdminLogin } from '../security/client-login.ts'

// On a KAFKA_AUTH=scram stack this process's control plane works as the admin, as the real one does;
// the setups and checkers themselves log in as the `exercises` principal (exerciseContext).
adoptAdminLogin()

// `make exercicio N=3 [RESET=1]` and `make exercicios`: through the control plane's HTTP API when it
// runs (make demo starts it), otherwise through the same board module in this process.

const [command, nArg, flag] = process.argv.slice(2)
const plane = new ControlPlane(controlSettings())
const { up: apiUp, call } = controlClient(plane.settings.apps.ports.control!)

const page = (n: number): string => `runbooks/exercicios/${exercise(n)!.slug}.md`
const time = (iso: string): string => new Date(iso).toLocaleString('pt-BR', { dateStyle: 'short', timeStyle: 'short' })

function statusWord (s: ExerciseState): string {
  if (s.unavailable !== null) return 'indisponível nesta loja'
  if (s.done) return `✔ feito${s.doneAt !== null ? ` (${time(s.doneAt)})` : ''}`
  if (s.setupAt === null) return 'não começado'
  return 'em andamento'
}

/** The checker's verdict in Portuguese: ✔ feito, or each missing item. */
export function verdictLines (s: ExerciseState): string[] {
  const lines = s.done ? [`✔ feito${s.doneAt !== null ? ` (primeira vez em ${time(s.doneAt)})` : ''}`] : ['Ainda falta:', ...s.missing.map(m => `  ✘ ${m}`)]
  if (s.seen.length > 0) lines.push('O verificador viu:', ...s.seen.map(x => `  · ${x}`))
  return lines
}

/** Throws a pt-BR line when the stack's Kafka is ours and not running (the checkers would only time out). */
async function stackRunning (): Promise<void> {
  const kafka = (await plane.status()).filter(c => c.kind === 'stack' && c.name.startsWith('kafka-'))
  if (kafka.length > 0 && !kafka.some(c => c.alive || c.external)) throw new Error('o Kafka não está rodando: suba a loja com make demo (os exercícios rodam sobre ela)')
}

async function list (viaApi: boolean): Promise<number> {
  const states = viaApi ? (await call<{ exercises: ExerciseState[] }>('GET', '/exercises')).exercises : readBoard(plane.settings.apps.stateDir)
  for (const s of states) {
    const e = exercise(s.n)
    if (e === undefined) continue
    console.log(`${String(s.n).padStart(2)}  ${statusWord(s).padEnd(28)} ${e.title}`)
  }
  console.log('\nmake exercicio N=<número> prepara o exercício (na primeira vez) e confere; a página de cada um está em runbooks/exercicios/.')
  if (!viaApi) console.log('(o plano de controle está fora do ar: o status é o da última conferência; make demo o sobe e ele confere sozinho a cada 10 s)')
  return 0
}

async function one (viaApi: boolean): Promise<number> {
  const n = Number(nArg)
  if (nArg === undefined || nArg === '' || !Number.isInteger(n)) {
    console.error(`uso: make exercicio N=<número> [RESET=1]   (exercícios: ${EXERCISES.map(e => e.n).join(', ')}; make exercicios lista)`)
    return 2
  }
  const e = exercise(n)
  if (e === undefined) {
    console.error(`✘ não existe o exercício ${n}: os exercícios vão de ${EXERCISES[0]!.n} a ${EXERCISES.at(-1)!.n} (make exercicios lista)`)
    return 2
  }
  const reset = flag === '--reset'
  console.log(`Exercício ${n}: ${e.title}`)
  console.log(`Página: ${page(n)}`)
  let verdict: ExerciseState
  if (viaApi) {
    const now = (await call<{ exercises: ExerciseState[] }>('GET', '/exercises')).exercises.find(s => s.n === n)
    if (reset || now?.setupAt == null) {
      console.log(reset ? '▶ Recriando o ponto de partida (RESET=1)...' : '▶ Preparando o ponto de partida (primeira vez)...')
      await call('POST', `/exercises/${n}/setup`)
    }
    verdict = await call<ExerciseState>('POST', `/exercises/${n}/check`)
  } else {
    await stackRunning()
    const ctx = exerciseContext(plane)
    try {
      const now = readBoard(plane.settings.apps.stateDir).find(s => s.n === n)
      if (reset || now?.setupAt == null) {
        console.log(reset ? '▶ Recriando o ponto de partida (RESET=1)...' : '▶ Preparando o ponto de partida (primeira vez)...')
        await runSetup(ctx, n)
      }
      verdict = await runCheck(ctx, n)
    } finally {
      await ctx.close()
    }
  }
  if (verdict.unavailable !== null) console.log(`⚠ ${verdict.unavailable}`)
  else for (const line of verdictLines(verdict)) console.log(line)
  return 0
}

function explain (err: unknown): string {
  const e = err as { code?: string, message?: string }
  if (e.code === 'SHOP_ERR_EXERCISE_FAILED') return `a preparação do exercício falhou: ${e.message ?? ''}`
  return e.message ?? String(err)
}

async function main (): Promise<number> {
  const viaApi = await apiUp()
  switch (command) {
    case 'exercicios': return await list(viaApi)
    case 'exercicio': return await one(viaApi)
    default:
      console.error('uso: exercises/cli.ts exercicios | exercicio N [--reset]')
      return 2
  }
}

main().then(code => process.exit(code), err => {
  console.error(`✘ ${explain(err)}`)
  process.exit(1)
})
