import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import type { Admin } from '@platformatic/kafka'
import { DLQ_TOPIC, registryClientArgs } from '@vitrine/contracts'
import { ShopError, readTopicNow } from '@vitrine/service-kit'
import type { ControlPlane } from '../control/plane.ts'
import { exerciseContext } from '../exercises/context.ts'
import { toolAuthHeaders } from '../security/http-auth.ts'
import { metricSum, metricsOf, ordersSince, placeOrder, productWithStock, sagaServices } from '../exercises/saga.ts'
import type { ExerciseContext } from '../exercises/types.ts'
import { produceOne } from '../exercises/lab.ts'
import { withDrillGrant } from '../security/drill-grant.ts'
import { isAlive, readPid, sleep } from '../proc.ts'
import { components } from '../stack.ts'
import { createAdmin } from '../topics.ts'
import { settleInvariants, shopLag } from './invariants.ts'
import type { InvariantReport, InvariantTarget } from './invariants.ts'

// The chaos drills a class runs from the "Caos" page or `make chaos CENA=…`: each one a fault put on
// the running shop through the control plane, with its timeline recorded (a calm start, when the
// fault began and ended, consumer lag and error rate sampled every second, when the system was back:
// lag 0 and every order of the drill finished) and the saga's invariants checked at the end, for
// every order created since the drill began.

export type SceneName = 'pagamento-parado' | 'estoque-lento' | 'postgres-pausado' | 'schema-invalido' | 'rajada' | 'lider-morto'

export interface Scene {
  name: SceneName
  /** pt-BR, the button's text. */
  title: string
  /** pt-BR: what the drill does and what to watch. */
  description: string
  /** How long the fault lasts by default (seconds); a run may ask for another. */
  defaultSeconds: number
}

export const SCENES: readonly Scene[] = [
  { name: 'pagamento-parado', title: 'Pagamento parado', defaultSeconds: 30, description: 'Para o serviço payment por 30 s e o sobe de novo: os pedidos esperam em orders.new (o lag do grupo payment cresce) e terminam quando ele volta.' },
  { name: 'estoque-lento', title: 'Estoque lento', defaultSeconds: 30, description: 'Liga no inventory um atraso de 1,5 s por registro consumido (toggle handlerDelayMs, sem reiniciar): o lag cresce e os pedidos demoram, mas terminam.' },
  { name: 'postgres-pausado', title: 'PostgreSQL pausado', defaultSeconds: 15, description: 'Congela o PostgreSQL (SIGSTOP) e o descongela (SIGCONT): transações esperam ou falham e são retentadas; nada se perde.' },
  { name: 'schema-invalido', title: 'Schema inválido', defaultSeconds: 0, description: 'Publica em orders.new um registro com um schema id que o registry não conhece e outro com um schema incompatível: o leitor manda os dois para orders.dlq. Com ACLs (KAFKA_AUTH=scram) quem escreve é o usuário drill, com WRITE em orders.new concedido só durante a simulação e revogado no fim.' },
  { name: 'rajada', title: 'Rajada de 1.000 pedidos', defaultSeconds: 0, description: 'Envia 1.000 pedidos o mais rápido possível pelo checkout-api: o lag sobe e desce; estoque nunca negativo, uma cobrança por pedido.' },
  { name: 'lider-morto', title: 'Líder do broker morto', defaultSeconds: 20, description: 'Mata (SIGKILL) o broker líder da partição 0 de orders.new e o sobe de novo: outro broker assume a liderança e os pedidos seguem. Precisa de 3 brokers.' }
]

export const sceneNames = (): string[] => SCENES.map(s => s.name)

export type DrillStatus = 'running' | 'passed' | 'failed' | 'error'
export type DrillPhase = 'baseline' | 'fault' | 'recovering' | 'checking' | 'done'

export interface DrillSample {
  at: string
  /** Records the shop's consumer groups have yet to read (sum over the saga services). */
  lag: number
  /** Handling failures per second (records retried or dead-lettered, orders refused), since the previous sample. */
  errorsPerSec: number
}

/** An alert Prometheus held pending or firing while the drill sampled (the plan's "alerts firing"). */
export interface DrillAlert {
  name: string
  severity: string | null
  /** pt-BR, the rule's summary annotation. */
  summary: string | null
  /** The last state seen: pending (inside its `for:` window) or firing. */
  state: 'pending' | 'firing'
  /** When Prometheus says it became active (it may predate the drill), when the drill first saw it, and when it first saw it firing. */
  activeAt: string | null
  firstSeenAt: string
  firingAt: string | null
}

export interface DrillRun {
  id: string
  scene: SceneName
  title: string
  status: DrillStatus
  phase: DrillPhase
  params: { seconds: number, orders: number }
  startedAt: string
  faultStartedAt: string | null
  faultEndedAt: string | null
  /** Lag back to 0 and every order of the drill finished. */
  recoveredAt: string | null
  finishedAt: string | null
  /** From the fault's end to recovery. */
  recoverySeconds: number | null
  samples: DrillSample[]
  /** What happened, pt-BR, in order. */
  events: Array<{ at: string, text: string }>
  invariants: InvariantReport | null
  /** The Prometheus whose alerts the drill watched, or null when the shop runs none. */
  alertsFrom: string | null
  alerts: DrillAlert[]
  /** Orders created since the drill began (the ones checked). */
  orders: number
  error: string | null
}

export interface DrillOptions {
  /** The fault's length in seconds (default: the scene's). */
  seconds?: number
  /** Orders of the burst (rajada; default 1000). */
  orders?: number
}

export interface DrillTimings {
  /** Calm traffic before the fault, so the chart shows the normal (ms). */
  baselineMs: number
  sampleMs: number
  /** Orders per second the drill places while it runs (so there is traffic to watch); 0 for none. */
  trafficPerSec: number
  /** Longest wait for recovery after the fault, and for the invariants after that (ms). */
  recoveryTimeoutMs: number
  settleTimeoutMs: number
  /**
   * The Prometheus whose alerts the timeline lists (a test's private one); default: the stack's own
   * when it runs (make up starts it, scraping the shop), none otherwise.
   */
  prometheusUrl?: string
}

const DEFAULT_TIMINGS: DrillTimings = { baselineMs: 3000, sampleMs: 1000, trafficPerSec: 2, recoveryTimeoutMs: 180_000, settleTimeoutMs: 30_000 }
const KEEP_RUNS = 20

const unknownRun = (id: string): ShopError => new ShopError('SHOP_ERR_NOT_FOUND', `drill run ${id} not found`, 404, { id })

/** Where the shop the plane controls lives, for the invariant check (inventory's ledger over HTTP). */
export function shopTarget (ctx: ExerciseContext): InvariantTarget {
  return {
    sql: ctx.sql,
    schemaSuffix: ctx.schemaSuffix,
    brokers: ctx.brokers,
    topicPrefix: ctx.topicPrefix,
    groupSuffix: ctx.groupSuffix,
    registryUrl: ctx.registryUrl,
    stockCheck: async () => {
      const res = await fetch(`${ctx.serviceUrl('inventory')}/stock/check`, { signal: AbortSignal.timeout(5000) })
      if (!res.ok) throw new Error(`inventory GET /stock/check answered ${res.status}`)
      return await res.json() as { consistent: boolean, mismatches: unknown[] }
    }
  }
}

/** Records a service's consumers sent to a retry topic or to the dead-letter topic (its own /metrics). */
const failuresIn = (text: string): number =>
  metricSum(text, 'vitrine_consumed_records_total', { outcome: 'retried' }) + metricSum(text, 'vitrine_dead_letters_total')

/** One drill at a time, its runs kept in memory (the last 20) for the page and `make chaos`. */
export class ChaosDrills {
  readonly ctx: ExerciseContext & { close: () => Promise<void> }
  private readonly runs: DrillRun[] = []
  private current: Promise<void> | undefined
  private closing = false
  private readonly timings: DrillTimings

  constructor (readonly plane: ControlPlane, timings: Partial<DrillTimings> = {}) {
    this.ctx = exerciseContext(plane)
    this.timings = { ...DEFAULT_TIMINGS, ...timings }
  }

  /** Why a scene cannot run on this shop now (pt-BR), or undefined when it can. */
  unavailable (scene: SceneName): string | undefined {
    const stack = this.plane.settings.stack
    const running = (name: string): boolean => sagaServices(this.ctx).includes(name) && readPid(this.plane.settings.apps.stateDir, name) !== undefined
    const missing = (names: string[]): string | undefined => {
      const off = names.filter(n => !running(n))
      return off.length > 0 ? `precisa do(s) serviço(s) ${off.join(', ')} rodando (make start S=${off[0]!})` : undefined
    }
    switch (scene) {
      case 'lider-morto': {
        const brokers = components(stack).filter(c => c.name.startsWith('kafka-'))
        const count = Math.max(brokers.length, ['kafka-2', 'kafka-3'].some(n => readPid(stack.stateDir, n) !== undefined) ? 3 : 1)
        if (count < 3) return `precisa de 3 brokers (este cluster tem ${count}): suba com make demo BROKERS=3; com 1 broker, matar o líder derruba o Kafka inteiro, não há para quem passar a liderança`
        if (brokers.some(b => b.external)) return 'o Kafka roda fora do Vitrine (KAFKA_BROKERS): não é nosso para matar'
        return missing(['checkout-api', 'inventory', 'payment'])
      }
      case 'postgres-pausado': {
        const pg = components(stack).find(c => c.name === 'postgres')
        if (!pg || pg.external) return 'o PostgreSQL roda fora do Vitrine (DATABASE_URL): não é nosso para pausar'
        const pid = readPid(stack.stateDir, 'postgres')
        if (pid === undefined || !isAlive(pid)) return 'o PostgreSQL não está rodando (make up)'
        return missing(['checkout-api', 'inventory'])
      }
      case 'pagamento-parado': return missing(['checkout-api', 'inventory', 'payment'])
      case 'estoque-lento': return missing(['checkout-api', 'inventory'])
      case 'schema-invalido': return missing(['payment', 'inventory'])
      case 'rajada': return missing(['checkout-api', 'inventory'])
    }
  }

  scenes (): Array<Scene & { unavailable: string | null }> {
    return SCENES.map(s => ({ ...s, unavailable: this.unavailable(s.name) ?? null }))
  }

  list (): DrillRun[] {
    return [...this.runs].reverse()
  }

  get (id: string): DrillRun {
    const run = this.runs.find(r => r.id === id)
    if (!run) throw unknownRun(id)
    return run
  }

  /** Starts a drill in the background and returns its run (poll get(id) for the timeline). */
  start (name: SceneName, o: DrillOptions = {}): DrillRun {
    const scene = SCENES.find(s => s.name === name)!
    const running = this.runs.find(r => r.status === 'running')
    if (running) throw new ShopError('SHOP_ERR_DRILL_RUNNING', `drill ${running.scene} (${running.id}) is still running; one at a time`, 409, { running: running.id, scene: running.scene })
    const why = this.unavailable(name)
    if (why !== undefined) throw new ShopError('SHOP_ERR_DRILL_UNAVAILABLE', `drill ${name} cannot run here: ${why}`, 409, { scene: name, reason: why })
    const now = new Date().toISOString()
    const run: DrillRun = {
      id: randomUUID(),
      scene: name,
      title: scene.title,
      status: 'running',
      phase: 'baseline',
      params: { seconds: o.seconds ?? scene.defaultSeconds, orders: o.orders ?? 1000 },
      startedAt: now,
      faultStartedAt: null,
      faultEndedAt: null,
      recoveredAt: null,
      finishedAt: null,
      recoverySeconds: null,
      samples: [],
      events: [{ at: now, text: `simulação ${scene.title} começou` }],
      invariants: null,
      alertsFrom: this.prometheusUrl() ?? null,
      alerts: [],
      orders: 0,
      error: null
    }
    this.runs.push(run)
    while (this.runs.length > KEEP_RUNS) this.runs.shift()
    this.current = this.execute(run).finally(() => { this.current = undefined })
    return run
  }

  /** Waits for the drill in progress to end (a test, or close()). */
  async idle (): Promise<void> {
    await this.current
  }

  async close (): Promise<void> {
    this.closing = true
    // Whatever the drill in progress is waiting on, a frozen database must not outlive the plane.
    resumeAllGroups()
    await this.current?.catch(() => {})
    await this.ctx.close()
  }

  /** Where the drill reads alerts: the timings' URL, else the stack's Prometheus when it runs. */
  private prometheusUrl (): string | undefined {
    if (this.timings.prometheusUrl !== undefined) return this.timings.prometheusUrl
    const stack = this.plane.settings.stack
    const prom = components(stack).find(c => c.name === 'prometheus')
    const pid = readPid(stack.stateDir, 'prometheus')
    return prom && !prom.external && pid !== undefined && isAlive(pid) ? `http://127.0.0.1:${stack.prometheusPort}` : undefined
  }

  private note (run: DrillRun, text: string): void {
    run.events.push({ at: new Date().toISOString(), text })
  }

  private async execute (run: DrillRun): Promise<void> {
    const ctx = this.ctx
    const since = new Date(run.startedAt)
    const services = sagaServices(ctx).filter(n => readPid(this.plane.settings.apps.stateDir, n) !== undefined)
    const admin = createAdmin(ctx.brokers, 'vitrine-chaos')
    const traffic = new Traffic(ctx, services.includes('checkout-api') ? this.timings.trafficPerSec : 0)
    const sampler = new Sampler(ctx, admin, services, run, this.timings.sampleMs, () => traffic.refused, text => { this.note(run, text) })
    let demoTraffic: Record<string, unknown> | undefined
    try {
      demoTraffic = services.includes('checkout-api') ? await pauseDemoTraffic(ctx) : undefined
      if (demoTraffic !== undefined) this.note(run, `gerador de tráfego da demo pausado durante a simulação (${String(demoTraffic.rate)} pedido(s)/s): a simulação manda os seus próprios pedidos, e a recuperação espera lag 0 e todo pedido terminado`)
      sampler.start()
      await traffic.start()
      await sleep(this.timings.baselineMs)

      run.phase = 'fault'
      run.faultStartedAt = new Date().toISOString()
      await this.fault(run, traffic)
      run.faultEndedAt = new Date().toISOString()
      traffic.stop()
      await traffic.done()
      this.note(run, 'falha encerrada; esperando o sistema se recuperar (lag 0 e todo pedido terminado)')

      run.phase = 'recovering'
      const deadline = Date.now() + this.timings.recoveryTimeoutMs
      let failure: string | undefined
      const noted = <T>(p: Promise<T>): Promise<T | undefined> => p.catch((err: unknown) => { failure = (err as Error).message; return undefined })
      for (;;) {
        if (this.closing) throw new Error('the control plane is closing')
        failure = undefined
        const lag = (await noted(shopLag(ctx, services, admin)))?.reduce((s, g) => s + g.lag, 0)
        const pending = (await noted(ordersSince(ctx, since)))?.filter(o => o.status === 'pending').length
        if (lag === 0 && pending === 0) break
        if (Date.now() > deadline) {
          this.note(run, `sem recuperação em ${Math.round(this.timings.recoveryTimeoutMs / 1000)} s (lag ${lag ?? '?'}, ${pending ?? '?'} pedido(s) pendente(s))${failure === undefined ? '' : `; a última leitura falhou: ${failure}`}`)
          break
        }
        await sleep(500)
      }
      if (Date.now() <= deadline) {
        run.recoveredAt = new Date().toISOString()
        run.recoverySeconds = Math.round((Date.parse(run.recoveredAt) - Date.parse(run.faultEndedAt)) / 100) / 10
        this.note(run, `sistema recuperado ${run.recoverySeconds} s depois do fim da falha`)
      }
      // A couple more samples after recovery, so the chart shows the calm again.
      await sleep(Math.min(2 * this.timings.sampleMs, 2000))
      await sampler.stop()

      run.phase = 'checking'
      const ids = (await ordersSince(ctx, since)).map(o => o.id)
      run.orders = ids.length
      run.invariants = await settleInvariants(shopTarget(ctx), ids, { lagServices: services, timeoutMs: this.timings.settleTimeoutMs })
      run.status = run.invariants.ok && run.recoveredAt !== null ? 'passed' : 'failed'
      this.note(run, run.invariants.ok ? `invariantes ok para ${ids.length} pedido(s)` : `invariantes quebradas: ${run.invariants.checks.filter(c => !c.ok).map(c => c.label).join('; ')}`)
    } catch (err) {
      run.status = 'error'
      run.error = (err as Error).message
      this.note(run, `a simulação falhou: ${(err as Error).message}`)
    } finally {
      traffic.stop()
      await traffic.done()
      await sampler.stop()
      await admin.close().catch(() => {})
      if (demoTraffic !== undefined) {
        await resumeDemoTraffic(ctx, demoTraffic).then(() => { this.note(run, `gerador de tráfego da demo religado: ${String(demoTraffic!.rate)} pedido(s)/s`) }, (err: unknown) => { this.note(run, `não consegui religar o gerador de tráfego da demo (${(err as Error).message}): religue pela barra do instrutor`) })
      }
      run.phase = 'done'
      run.finishedAt = new Date().toISOString()
    }
  }

  /** Puts the scene's fault on the shop and takes it off again (always, even when the wait fails). */
  private async fault (run: DrillRun, traffic: Traffic): Promise<void> {
    const ms = run.params.seconds * 1000
    const ctx = this.ctx
    switch (run.scene) {
      case 'pagamento-parado': {
        await this.plane.act('payment', 'stop')
        this.note(run, 'payment parado (SIGTERM)')
        try { await this.wait(ms) } finally {
          await this.plane.act('payment', 'start')
          this.note(run, 'payment iniciado de novo')
        }
        return
      }
      case 'estoque-lento': {
        await putFaults(ctx, 'inventory', { handlerDelayMs: 1500 })
        this.note(run, 'inventory: handlerDelayMs=1500 ligado')
        try { await this.wait(ms) } finally {
          await putFaults(ctx, 'inventory', { handlerDelayMs: 0 })
          this.note(run, 'inventory: handlerDelayMs desligado')
        }
        return
      }
      case 'postgres-pausado': {
        const pid = readPid(this.plane.settings.stack.stateDir, 'postgres')
        if (pid === undefined) throw new Error('PostgreSQL is not running')
        // The whole process group: the postmaster and every backend freeze where they are. Resumed
        // by the drill, by the plane's exit, or by a watchdog process if the plane dies first.
        const pause = pauseGroup(pid, ms + PAUSE_GRACE_MS)
        this.note(run, `PostgreSQL congelado (SIGSTOP no grupo ${pid}; um vigia o descongela em ${Math.round((ms + PAUSE_GRACE_MS) / 1000)} s mesmo se o plano de controle cair)`)
        try { await this.wait(ms) } finally {
          pause.resume()
          this.note(run, 'PostgreSQL descongelado (SIGCONT)')
        }
        return
      }
      case 'schema-invalido': {
        await this.badSchema(run)
        return
      }
      case 'rajada': {
        traffic.stop()
        const productId = await productWithStock(ctx, 1)
        this.note(run, `enviando ${run.params.orders} pedidos (20 de cada vez)`)
        let sent = 0
        let refused = 0
        let next = 0
        await Promise.all(Array.from({ length: 20 }, async () => {
          while (next < run.params.orders && !this.closing) {
            const i = next++
            try {
              await placeOrder(ctx, { customerId: `caos-rajada-${i}-pay-ok`, items: [{ productId, quantity: 1 }], mode: 'choreography' })
              sent++
            } catch {
              refused++
              traffic.refused++
            }
          }
        }))
        this.note(run, `${sent} pedidos aceitos, ${refused} recusados`)
        return
      }
      case 'lider-morto': {
        const topic = ctx.topicPrefix + 'orders.new'
        const admin = createAdmin(ctx.brokers, 'vitrine-chaos')
        let leader: number | undefined
        try {
          const meta = await admin.metadata({ topics: [topic] })
          leader = meta.topics.get(topic)?.partitions[0]?.leader
        } finally {
          await admin.close().catch(() => {})
        }
        if (leader === undefined || leader < 1) throw new Error(`no leader for ${topic} partition 0`)
        const broker = `kafka-${leader}`
        await this.plane.act(broker, 'kill')
        this.note(run, `${broker}, líder de ${topic} partição 0, morto (SIGKILL)`)
        try { await this.wait(ms) } finally {
          await this.plane.act(broker, 'start')
          this.note(run, `${broker} iniciado de novo`)
        }
      }
    }
  }

  private async wait (ms: number): Promise<void> {
    const end = Date.now() + ms
    while (Date.now() < end && !this.closing) await sleep(Math.min(250, end - Date.now()))
  }

  /**
   * Two records on orders.new that no reader can decode: one naming a schema id the registry does
   * not know, one written with a registered schema the topic's schema cannot read. Waits until
   * orders.dlq holds both (the readers dead-letter what they cannot decode, at once).
   */
  private async badSchema (run: DrillRun): Promise<void> {
    const ctx = this.ctx
    const topic = ctx.topicPrefix + 'orders.new'
    const unknownKey = `caos-${run.id.slice(0, 8)}-schema-desconhecido`
    const wrongKey = `caos-${run.id.slice(0, 8)}-schema-incompativel`
    // Magic byte 0, then a 4-byte schema id far past any the registry handed out.
    const unknown = Buffer.concat([Buffer.from([0]), Buffer.from([0x7f, 0xff, 0xff, 0x00]), Buffer.from('nada')])
    // Only checkout-api may write orders.new: the two records go as `drill`, granted WRITE for this drill alone.
    await withDrillGrant(this.plane.settings.stack, ctx.brokers, topic, run.scene, text => { this.note(run, text) }, async security => {
      await produceOne(ctx.brokers, topic, unknownKey, unknown, security)
      this.note(run, `publicado em ${topic} um registro com schema id ${0x7fffff00} (não registrado)`)
      // The drill's forbidden write: as admin (the control plane's login), the only one the registry lets register a subject outside the catalog.
      const registry = new SchemaRegistry(registryClientArgs(ctx.registryUrl))
      const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify({ type: 'record', name: 'CaosIncompativel', namespace: 'vitrine.caos', fields: [{ name: 'ruido', type: 'int' }] }) }, { subject: `vitrine-caos-incompativel${ctx.schemaSuffix}-value` })
      await produceOne(ctx.brokers, topic, wrongKey, await registry.encode(id, { ruido: 42 }), security)
      this.note(run, `publicado em ${topic} um registro com schema id ${id} (registrado, incompatível com orders.new)`)
    })
    const dlq = ctx.topicPrefix + DLQ_TOPIC
    const deadline = Date.now() + 60_000
    for (;;) {
      const keys = new Set((await readTopicNow(ctx.brokers, dlq).catch(() => [])).map(r => r.key))
      if (keys.has(unknownKey) && keys.has(wrongKey)) {
        this.note(run, `os dois registros chegaram a ${DLQ_TOPIC}: o leitor não os decodifica e os manda para a DLQ, sem travar a partição`)
        return
      }
      if (Date.now() > deadline || this.closing) throw new Error(`the undecodable records did not reach ${dlq} within 60 s`)
      await sleep(1000)
    }
  }
}

/** How long after a pause's planned end its watchdog resumes the group anyway. */
const PAUSE_GRACE_MS = 10_000

/** Process groups this process stopped and has not resumed yet, with their watchdogs. */
const paused = new Map<number, ChildProcess>()
let exitHooked = false

/**
 * SIGSTOP to the process group `pid` leads, resumed (SIGCONT) by resume(), by this process's exit
 * (normal, or after SIGINT/SIGTERM handlers call process.exit), and — should this process be
 * killed outright or hang — by a detached watchdog (`sh`, sleeping `maxMs`) that outlives it.
 */
export function pauseGroup (pid: number, maxMs: number): { resume: () => void, watchdog: number | undefined } {
  if (!exitHooked) {
    exitHooked = true
    process.once('exit', resumeAllGroups)
  }
  const seconds = Math.max(1, Math.ceil(maxMs / 1000))
  // `kill -s CONT -- -pid` signals the group; the watchdog is its own session, so killing ours spares it.
  const watchdog = spawn('sh', ['-c', `sleep ${seconds}; kill -s CONT -- -${pid}`], { detached: true, stdio: 'ignore' })
  watchdog.on('error', () => {})
  watchdog.unref()
  paused.set(pid, watchdog)
  try {
    process.kill(-pid, 'SIGSTOP')
  } catch (err) {
    resumeGroup(pid)
    throw err
  }
  return { resume: () => { resumeGroup(pid) }, watchdog: watchdog.pid }
}

function resumeGroup (pid: number): void {
  const watchdog = paused.get(pid)
  paused.delete(pid)
  try { process.kill(-pid, 'SIGCONT') } catch { /* the group is gone: nothing left frozen */ }
  // The watchdog's own group (detached), so its sleep goes too.
  if (watchdog?.pid !== undefined) try { process.kill(-watchdog.pid, 'SIGKILL') } catch { /* already ended */ }
}

/** Resumes every group still paused (synchronous: safe in an 'exit' handler). */
export function resumeAllGroups (): void {
  for (const pid of [...paused.keys()]) resumeGroup(pid)
}

/** PUT /faults on a service (kit's fault toggles): change only the named toggles. */
async function putFaults (ctx: ExerciseContext, service: string, change: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${ctx.serviceUrl(service)}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json', ...toolAuthHeaders(ctx.plane.settings.stack.stateDir, 'chaos') }, body: JSON.stringify(change), signal: AbortSignal.timeout(5000) })
  if (!res.ok) throw new Error(`${service} PUT /faults answered ${res.status}: its fault toggles are missing or refused ${JSON.stringify(change)}`)
}

/**
 * The demo's traffic generator (checkout-api's /traffic), paused for a drill: its orders would keep
 * the lag and the pending orders that recovery waits on from ever reaching 0, and would not be the
 * drill's. Returns its settings, to start it again after; undefined when it was not running.
 */
async function pauseDemoTraffic (ctx: ExerciseContext): Promise<Record<string, unknown> | undefined> {
  const url = `${ctx.serviceUrl('checkout-api')}/traffic`
  const headers = toolAuthHeaders(ctx.plane.settings.stack.stateDir, 'chaos')
  const now = await fetch(url, { headers, signal: AbortSignal.timeout(5000) }).then(async r => await r.json() as { running?: boolean, rate?: number, mode?: string, failPaymentShare?: number, outOfStockShare?: number }).catch(() => undefined)
  if (now?.running !== true || (now.rate ?? 0) <= 0) return undefined
  const res = await fetch(url, { method: 'DELETE', headers, signal: AbortSignal.timeout(5000) })
  if (!res.ok) throw new Error(`checkout-api DELETE /traffic answered ${res.status}: the demo's traffic generator could not be paused for the drill`)
  return { rate: now.rate, mode: now.mode, failPaymentShare: now.failPaymentShare, outOfStockShare: now.outOfStockShare }
}

async function resumeDemoTraffic (ctx: ExerciseContext, settings: Record<string, unknown>): Promise<void> {
  await fetch(`${ctx.serviceUrl('checkout-api')}/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json', ...toolAuthHeaders(ctx.plane.settings.stack.stateDir, 'chaos') }, body: JSON.stringify(settings), signal: AbortSignal.timeout(5000) })
}

/** A trickle of orders while the drill runs (its refusals count as errors in the timeline). */
class Traffic {
  refused = 0
  private stopped = false
  private loop: Promise<void> | undefined

  constructor (private readonly ctx: ExerciseContext, private readonly perSec: number) {}

  async start (): Promise<void> {
    if (this.perSec <= 0) return
    const productId = await productWithStock(this.ctx, 1)
    let i = 0
    this.loop = (async () => {
      while (!this.stopped) {
        const at = Date.now()
        // Not awaited one by one: a stalled checkout-api must not slow the clock of the others.
        placeOrder(this.ctx, { customerId: `caos-${i++}-pay-ok`, items: [{ productId, quantity: 1 }], mode: 'choreography' }).catch(() => { this.refused++ })
        await sleep(Math.max(0, 1000 / this.perSec - (Date.now() - at)))
      }
    })()
  }

  stop (): void { this.stopped = true }

  async done (): Promise<void> { await this.loop }
}

/** Every sampleMs: the shop's lag and its errors per second since the previous sample. */
class Sampler {
  private timer: NodeJS.Timeout | undefined
  private pending: Promise<void> | undefined
  private readonly last = new Map<string, number>()
  private readonly seen = new Map<string, DrillAlert>()
  private lastAt = 0
  private lastRefused = 0
  private stopped = false

  constructor (private readonly ctx: ExerciseContext, private readonly admin: Admin, private readonly services: string[], private readonly run: DrillRun, private readonly everyMs: number, private readonly refused: () => number, private readonly note: (text: string) => void) {}

  start (): void {
    const tick = (): void => {
      this.pending = this.sample().catch(() => {}).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.everyMs)
      })
    }
    tick()
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.pending
  }

  private async sample (): Promise<void> {
    const now = Date.now()
    const [lagRows, texts] = await Promise.all([
      shopLag(this.ctx, this.services, this.admin).catch(() => undefined),
      Promise.all(this.services.map(async s => [s, await metricsOf(this.ctx, s)] as const)),
      this.alerts().catch(() => {})
    ])
    let failures = 0
    for (const [service, text] of texts) {
      if (text === undefined) continue
      const total = failuresIn(text)
      const before = this.last.get(service)
      // A restarted service starts its counters again from 0.
      if (before !== undefined) failures += total >= before ? total - before : total
      this.last.set(service, total)
    }
    const refused = this.refused()
    failures += refused - this.lastRefused
    this.lastRefused = refused
    const seconds = this.lastAt === 0 ? 0 : (now - this.lastAt) / 1000
    this.lastAt = now
    const previous = this.run.samples.at(-1)
    this.run.samples.push({
      at: new Date(now).toISOString(),
      // A broker that does not answer: the last lag known, not a false 0.
      lag: lagRows === undefined ? (previous?.lag ?? 0) : lagRows.reduce((s, g) => s + g.lag, 0),
      errorsPerSec: seconds === 0 ? 0 : Math.round(failures / seconds * 10) / 10
    })
  }

  /** Prometheus's pending and firing alerts, each added to the run when first seen (one per alert name and labels). */
  private async alerts (): Promise<void> {
    const url = this.run.alertsFrom
    if (url === null) return
    const res = await fetch(`${url}/api/v1/alerts`, { signal: AbortSignal.timeout(Math.max(500, this.everyMs)) })
    if (!res.ok) return
    const body = await res.json() as { data?: { alerts?: Array<{ labels: Record<string, string>, annotations?: Record<string, string>, state: string, activeAt?: string }> } }
    const at = new Date().toISOString()
    for (const a of body.data?.alerts ?? []) {
      if (a.state !== 'pending' && a.state !== 'firing') continue
      const key = JSON.stringify(Object.entries(a.labels).sort(([x], [y]) => x.localeCompare(y)))
      let alert = this.seen.get(key)
      if (!alert) {
        alert = { name: a.labels.alertname ?? '?', severity: a.labels.severity ?? null, summary: a.annotations?.summary ?? null, state: a.state, activeAt: a.activeAt ?? null, firstSeenAt: at, firingAt: null }
        this.seen.set(key, alert)
        this.run.alerts.push(alert)
      }
      alert.state = a.state
      if (a.state === 'firing' && alert.firingAt === null) {
        alert.firingAt = at
        // One already active when the drill began is context, not the drill's doing: said so.
        const before = alert.activeAt !== null && Date.parse(alert.activeAt) < Date.parse(this.run.startedAt)
        this.note(`alerta ${alert.name} ${before ? 'já disparava antes da simulação' : 'disparando'}${alert.summary === null ? '' : `: ${alert.summary}`}`)
      }
    }
  }
}
