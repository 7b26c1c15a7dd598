import type { Server } from 'node:http'
import pino from 'pino'
import { HEADERS, TopicSerde, registryAuthHeaders } from '@vitrine/contracts'
import { EventProducer, readTopicNow } from '@vitrine/service-kit'
import type { StoredRecord } from '@vitrine/service-kit'
import { sleep } from '@vitrine/service-kit/time'
import { bootstrapServers, createAdmin, createRegistryProxy, databaseUrl, freePort, isAlive, loadSettings, readPid, removePid, stopGroup, stopSignal, up } from '@vitrine/infra'
import type { StackSettings } from '@vitrine/infra'
import { freeBrokerBase, isolatedSettings, openProducer, produceAll } from '@vitrine/infra/testing'
import type { AfterHook } from '@vitrine/infra/testing'
import { groupCaughtUp, readTopic, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import type { TestEnv } from '@vitrine/infra/testing/saga'
import { Saga, orderBody } from './harness.ts'
import type { SagaOptions, ServiceId } from './harness.ts'
import { WITH_ORCHESTRATOR } from './orchestration.ts'
import { settleInvariants } from '@vitrine/infra/chaos/invariants'
import { LinkProxies, linkBootstrap } from '@vitrine/infra/links'
import { sagaTarget } from './invariants.ts'

// The fault matrix (issue 14): one row per fault. Each row causes its fault while orders flow,
// heals it, and ends with the saga's invariant check over the orders it got a 202 for: every one
// terminal (none lost), no effect applied twice, stock never negative. The suite prints the rows as
// one pt-BR table. test/integration/fault-matrix.test.ts runs a fast subset (make test),
// test/full/fault-matrix.test.ts every row (make test-full, make chaos).

/** What a row's fault did: the orders it sent and got a 202 for, and when the fault was healed. */
export interface RowRun {
  saga: Saga
  sent: number
  accepted: string[]
  /** Date.now() when the fault ended (restart done, server back, partition healed). */
  healedAt: number
  /** What this fault must also hold besides the saga invariants (e.g. writes refused); violations, empty when fine. */
  extra?: string[]
  /** Facts worth a line in the output (the step a kill hit, the error a write got). */
  notes?: string[]
}

export interface RowEnv {
  /** The shared saga of the rows that need nothing of their own (started on first use). */
  shared: () => Promise<Saga>
  /**
   * Cleanup of what the row started (a private stack, its saga), run when the test ends, last
   * registered first (infra testing's cleanup), so a saga closes before the private stack under it stops.
   */
  t: AfterHook
  note: (line: string) => void
}

export interface MatrixRow {
  id: string
  /** The fault as the table names it, in pt-BR. */
  falha: string
  run: (env: RowEnv) => Promise<RowRun>
  /** A row that cannot run yet (its mechanism is missing): shown as "pendente" with this reason, never faked. */
  pending?: string
}

export interface RowResult {
  id: string
  falha: string
  enviados: number
  aceitos: number
  terminais: number
  perdidos: number
  duplicados: number
  /** From the heal to every accepted order terminal, in ms; null when they never all got there. */
  recuperacaoMs: number | null
  violacoes: string[]
  notas: string[]
  duracaoMs: number
  pendente?: string
}

// Saga violations that are an effect applied more than once (the rest are wrong outcomes).
const DUPLICATE = /\(at most one\)|\(at most once\)|records on|commanded \d+ times/

/**
 * Runs one row: the fault, then waits for its orders to end and runs infra's invariant check (the
 * drills' one): every order terminal, the saga's outcomes, one charge, stock never negative and the
 * ledger adding up, refunds and releases once, the groups' lag back to 0.
 */
export async function runRow (row: MatrixRow, env: RowEnv, timeoutMs = 120_000): Promise<RowResult> {
  const started = Date.now()
  if (row.pending !== undefined) {
    return { id: row.id, falha: row.falha, enviados: 0, aceitos: 0, terminais: 0, perdidos: 0, duplicados: 0, recuperacaoMs: null, violacoes: [], notas: [], duracaoMs: 0, pendente: row.pending }
  }
  const run = await row.run(env)
  const { saga, accepted } = run
  let recoveredAt: number | null = null
  try {
    await saga.waitTerminal(accepted, timeoutMs)
    recoveredAt = Date.now()
  } catch {}
  const statuses = await saga.orderStatuses(accepted)
  const terminal = [...statuses.values()].filter(s => s.status !== 'pending').length
  // Every row is a fault (a database, broker or link lost included): an outbox row may be sent again
  // with its eventId, which is no second effect; a second eventId still is.
  saga.interrupted = true
  const report = await settleInvariants(sagaTarget(saga), accepted, { checkTopics: true, lagServices: [...saga.running.keys()], timeoutMs: 30_000 })
  const redelivered = await redeliveries(saga, report.checks.flatMap(c => c.problems))
  const failed = report.checks.filter(c => !c.ok)
  const problems = failed.flatMap(c => c.problems.filter(p => !redelivered.has(p)).map(p => `${c.label}: ${p}`))
  const duplicates = report.checks.filter(c => c.name === 'one-charge' || c.name === 'once').reduce((n, c) => n + c.problems.length + c.more, 0) +
    (report.checks.find(c => c.name === 'saga')?.problems.filter(p => DUPLICATE.test(p) && !redelivered.has(p)).length ?? 0)
  return {
    id: row.id,
    falha: row.falha,
    enviados: run.sent,
    aceitos: accepted.length,
    terminais: terminal,
    perdidos: accepted.length - terminal,
    duplicados: duplicates,
    recuperacaoMs: recoveredAt === null ? null : Math.max(0, recoveredAt - run.healedAt),
    violacoes: [...problems, ...(run.extra ?? [])],
    notas: [...(run.notes ?? []), ...[...redelivered].map(p => `reentrega do mesmo evento (outbox: ao menos uma vez; consumidores idempotentes): ${p}`)],
    duracaoMs: Date.now() - started
  }
}

const REPEATED = /^(\S+): \d+ records on (\S+) \(at most one\)$/

/**
 * The "N records on a topic" problems whose records all carry one eventId: the outbox sent an event,
 * could not mark it published (the database went away, the relay was killed) and sent it again. That
 * is the outbox's at-least-once, which the consumers' processed-event ids absorb, not a second effect.
 * Records of one order with different eventIds stay a violation.
 */
async function redeliveries (saga: Saga, problems: string[]): Promise<Set<string>> {
  const out = new Set<string>()
  const serde = new TopicSerde(saga.env.registryUrl, saga.env.prefix)
  const byTopic = new Map<string, StoredRecord[]>()
  for (const p of problems) {
    const m = REPEATED.exec(p)
    if (!m) continue
    const [, key, topic] = m as unknown as [string, string, string]
    if (!byTopic.has(topic)) byTopic.set(topic, await readTopicNow(saga.env.brokers, saga.env.prefix + topic))
    const ids = new Set<string>()
    for (const rec of byTopic.get(topic)!) {
      if (rec.key === key && rec.value) ids.add((await serde.decode(rec.value) as { eventId: string }).eventId)
    }
    if (ids.size === 1) out.add(p)
  }
  return out
}

const seconds = (ms: number | null): string => ms === null ? 'não recuperou' : `${(ms / 1000).toFixed(1).replace('.', ',')} s`

/** The matrix as a pt-BR table (plain text, columns aligned). */
export function matrixTable (results: RowResult[]): string {
  const head = ['falha', 'pedidos enviados', 'aceitos (202)', 'terminais', 'perdidos', 'efeitos duplicados', 'tempo de recuperação', 'resultado']
  const rows = results.map(r => r.pendente !== undefined
    ? [r.falha, '-', '-', '-', '-', '-', '-', 'pendente']
    : [r.falha, String(r.enviados), String(r.aceitos), String(r.terminais), String(r.perdidos), String(r.duplicados), seconds(r.recuperacaoMs), r.violacoes.length === 0 ? 'ok' : `FALHOU (${r.violacoes.length})`])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)))
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  const out = [line(head), '|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)]
  for (const r of results) {
    if (r.pendente !== undefined) out.push(`pendente — ${r.falha}: ${r.pendente}`)
    for (const v of r.violacoes.slice(0, 10)) out.push(`violação — ${r.falha}: ${v}`)
  }
  return out.join('\n')
}

// ---------------------------------------------------------------------------------------------
// Load and the helpers the rows share.

export interface Load { sent: number, accepted: string[], refused: Map<number, number>, stop: () => Promise<void> }

/**
 * Clients placing orders until stopped; a refused order (not 202) or a failed request is counted,
 * not thrown: while the fault lasts refusals are expected, only what got a 202 must end.
 */
export function startLoad (saga: Saga, body: (n: number) => unknown, clients = 4, pauseMs = 20, t?: AfterHook): Load {
  const state = { on: true }
  const load: Load = { sent: 0, accepted: [], refused: new Map(), stop: async () => {} }
  const workers = Array.from({ length: clients }, async () => {
    while (state.on) {
      const n = load.sent++
      try {
        // A request the fault leaves hanging is abandoned after 10 s (counted as unanswered), so the load can stop.
        const res = await Promise.race([saga.placeOrder(body(n)), sleep(10_000).then(() => { throw new Error('no answer in 10 s') })])
        if (res.status === 202) load.accepted.push(res.body.orderId)
        else load.refused.set(res.status, (load.refused.get(res.status) ?? 0) + 1)
      } catch {
        load.refused.set(0, (load.refused.get(0) ?? 0) + 1)
      }
      await sleep(pauseMs)
    }
  })
  load.stop = async () => { state.on = false; await Promise.all(workers) }
  // A row that fails or times out half-way must not leave its clients placing orders into the next rows.
  t?.after(async () => { await load.stop() })
  return load
}

const refusedNote = (load: Load): string[] => load.refused.size === 0 ? [] : [`recusados durante a falha: ${[...load.refused].map(([s, n]) => `${n}× ${s === 0 ? 'sem resposta' : s}`).join(', ')}`]

/** A product with plenty of stock, so a row's orders fail only because of its fault. */
const plenty = async (saga: Saga): Promise<string> => await saga.product(1_000_000)

/** Moves every consumer group of `service` in this saga back to offset 0 on every partition it committed: a replay of all it ever read. */
export async function rewindGroups (saga: Saga, service: ServiceId): Promise<string[]> {
  const admin = createAdmin(saga.env.brokers, 'matrix-rewind')
  try {
    const groups = [...(await admin.listGroups()).keys()].filter(g => g.startsWith(service) && g.endsWith(saga.env.groupSuffix))
    for (const group of groups) {
      const [offsets] = await admin.listConsumerGroupOffsets({ groups: [group] })
      const topics = (offsets?.topics ?? []).map(t => ({ name: t.name, partitionOffsets: t.partitions.map(p => ({ partition: p.partitionIndex, offset: 0n })) }))
      if (topics.length > 0) await admin.alterConsumerGroupOffsets({ groupId: group, topics })
    }
    return groups
  } finally {
    await admin.close()
  }
}

/** A registry proxy of our own in front of the shared Apicurio backend: closing it is a registry outage nobody else sees. */
export class PrivateRegistry {
  private server: Server | undefined
  private constructor (readonly port: number, private readonly backendPort: number) {}

  static async start (backendPort = loadSettings().registryBackendPort): Promise<PrivateRegistry> {
    const r = new PrivateRegistry(await freePort(), backendPort)
    await r.up()
    return r
  }

  get url (): string { return `http://127.0.0.1:${this.port}` }

  async up (): Promise<void> {
    if (this.server) return
    const server = createRegistryProxy(this.backendPort)
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(this.port, '127.0.0.1', () => resolve()) })
    this.server = server
  }

  /** Down for real: the port refuses connections and the open keep-alive connections are cut. */
  async down (): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
}

/** An order's saga step, as the databases show it: the point at which a kill is aimed. */
export type SagaStep = 'cobranca' | 'reserva' | 'confirmacao' | 'notificacao'
export const STEPS: SagaStep[] = ['cobranca', 'reserva', 'confirmacao', 'notificacao']

/** How many pending orders are at `step` right now (choreography and orchestration alike). */
export async function ordersAtStep (saga: Saga, step: SagaStep): Promise<number> {
  const o = saga.schema('checkout-api')
  const p = saga.schema('payment')
  const i = saga.schema('inventory')
  const n = saga.schema('notification')
  const query: Record<SagaStep, string> = {
    cobranca: `select count(*)::int as n from ${p}.payments where status = 'requested'`,
    reserva: `select count(*)::int as n from ${p}.payments pa join ${o}.orders ord on ord.id = pa.order_id where pa.status = 'approved' and ord.status = 'pending' and not exists (select 1 from ${i}.reservations r where r.order_id = pa.order_id)`,
    confirmacao: `select count(*)::int as n from ${i}.reservations r join ${o}.orders ord on ord.id = r.order_id where r.status = 'reserved' and ord.status = 'pending'`,
    notificacao: `select count(*)::int as n from ${o}.orders ord where ord.status <> 'pending' and ord.finished_at > now() - interval '30 seconds' and not exists (select 1 from ${n}.notifications x where x.order_id = ord.id)`
  }
  const [row] = await saga.sql.unsafe(query[step])
  return row!.n as number
}

/** The saga on a private stack (or the shared one), closed when the test ends. */
async function ownSaga (env: RowEnv, opts: SagaOptions): Promise<Saga> {
  const saga = await Saga.start(opts)
  env.t.after(async () => { await saga.close() })
  return saga
}

/** Stops (gracefully or with SIGKILL to its process group) or starts one component of a private stack, as the control plane does. */
async function component (stack: StackSettings, name: string, action: 'stop' | 'kill' | 'start'): Promise<void> {
  if (action === 'start') {
    await up(stack, { only: [name], catalog: false })
    return
  }
  const pid = readPid(stack.stateDir, name)
  if (pid === undefined || !isAlive(pid)) return
  if (action === 'stop') await stopGroup(pid, 30_000, stopSignal(name))
  else {
    try { process.kill(-pid, 'SIGKILL') } catch {}
    await waitFor(`${name} to die`, async () => !isAlive(pid), 10_000, 50)
  }
  removePid(stack.stateDir, name)
}

/**
 * Tries a private stack's start twice: on a busy machine a port picked free can be taken before it binds.
 * The servers it does not replace stay the ones the environment names (read before isolatedSettings
 * hides DATABASE_URL, KAFKA_BROKERS and SCHEMA_REGISTRY_URL for the test).
 */
async function privateStack (env: RowEnv, brokers: number, only: string[]): Promise<{ stack: StackSettings, outside: Pick<TestEnv, 'brokers' | 'registryUrl' | 'databaseUrl'> }> {
  const { brokers: kafka, registryUrl, databaseUrl } = testEnv()
  const start = async (): Promise<StackSettings> => {
    const stack = isolatedSettings(env.t as never, await freeBrokerBase(brokers), { brokers, kafkaHeapMb: 384 })
    await up(stack, { only, catalog: false })
    return stack
  }
  const stack = await start().catch(async (err: Error) => {
    env.note(`a pilha privada não subiu (${err.message}); mais uma tentativa em outras portas`)
    return await start()
  })
  return { stack, outside: { brokers: kafka, registryUrl, databaseUrl } }
}

// ---------------------------------------------------------------------------------------------
// The rows.

/** SIGKILL of a process-mode service while orders are in flight, then restarted at once. */
function sigkillMidSaga (victim: ServiceId): MatrixRow {
  return {
    id: `sigkill-${victim}`,
    falha: `SIGKILL do ${victim} no meio da saga`,
    run: async env => {
      const saga = await env.shared()
      const p = await plenty(saga)
      const load = startLoad(saga, n => orderBody(`kill-${victim}-${n}`, [{ productId: p, quantity: 1 }]), 2, 50, env.t)
      // Kill only once orders are really mid-saga, or the row proves nothing.
      const inFlight = await waitFor('orders mid-saga', async () => (await ordersAtStep(saga, 'cobranca')) + (await ordersAtStep(saga, 'reserva')) + (await ordersAtStep(saga, 'confirmacao')) || undefined, 30_000, 20)
      // The orders placed while it is down and starting again wait for it on the topics.
      await saga.crash(victim)
      const healedAt = Date.now()
      await load.stop()
      return { saga, sent: load.sent, accepted: load.accepted, healedAt, notes: [`${inFlight} pedido(s) no meio da saga no SIGKILL`, ...refusedNote(load)] }
    }
  }
}

/** SIGKILL of `victim` once at each saga step, under load, on a saga whose every service is a process. */
export function sigkillEachStep (victim: ServiceId, sagaOf: () => Promise<Saga>): MatrixRow {
  return {
    id: `sigkill-${victim}-passos`,
    falha: `SIGKILL do ${victim} em cada passo da saga`,
    run: async env => {
      const saga = await sagaOf()
      const p = await plenty(saga)
      const load = startLoad(saga, n => orderBody(`passo-${victim}-${n}`, [{ productId: p, quantity: 1 }], { mode: n % 2 === 0 ? 'choreography' : 'orchestration' }), 4, 20, env.t)
      const notes: string[] = []
      try {
        for (const step of STEPS) {
          const at = await waitFor(`an order at step ${step}`, async () => await ordersAtStep(saga, step) || undefined, 15_000, 10).catch(() => 0)
          // A restart of checkout-api refuses orders meanwhile: counted by the load, expected.
          await saga.crash(victim)
          notes.push(`${step}: ${at === 0 ? 'nenhum pedido visto no passo (morto assim mesmo)' : `${at} pedido(s) no passo`}`)
        }
      } finally {
        await sleep(500)
        await load.stop()
      }
      return { saga, sent: load.sent, accepted: load.accepted, healedAt: Date.now(), notes: [...notes, ...refusedNote(load)] }
    }
  }
}

/** Bytes that are no Avro at all on orders.new (every partition): dead-lettered, the orders behind them still end. */
const poisonBytes: MatrixRow = {
  id: 'veneno',
  falha: 'bytes venenosos em orders.new',
  run: async env => {
    const saga = await env.shared()
    const p = await plenty(saga)
    const raw = new EventProducer(saga.env.brokers, 'matrix-poison', pino({ level: 'silent' }))
    await raw.connect()
    const keys = [0, 1, 2].map(n => `veneno-${saga.env.id}-${n}-${Date.now()}`)
    try {
      for (const key of keys) await raw.send({ topic: saga.env.prefix + 'orders.new', key, value: Buffer.from(`{"not":"avro ${key}"}`), headers: { [HEADERS.sagaMode]: 'choreography' } })
    } finally {
      await raw.close()
    }
    const healedAt = Date.now()
    const accepted = await saga.placeOrders(Array.from({ length: 12 }, (_, i) => orderBody(`apos-veneno-${i}`, [{ productId: p, quantity: 1 }])))
    const dlq = await readTopic(saga.env.brokers, saga.env.prefix + 'orders.dlq', rs => keys.every(k => rs.some(r => r.key === k)), 30_000).catch(() => [])
    const missing = keys.filter(k => !dlq.some(r => r.key === k))
    return { saga, sent: accepted.length, accepted, healedAt, extra: missing.map(k => `poison ${k} is not in orders.dlq`), notes: [`${keys.length - missing.length} de ${keys.length} registros venenosos na orders.dlq`] }
  }
}

/**
 * A record whose schema id the registry does not know (as a producer of another cluster's registry,
 * or a wrong serializer, would write), and an incompatible new version of orders.new's schema: the
 * registry refuses the schema (409), the record goes to the DLQ, the orders behind it end.
 */
const incompatibleSchema: MatrixRow = {
  id: 'esquema-incompativel',
  falha: 'esquema incompatível / id de esquema desconhecido',
  run: async env => {
    const saga = await env.shared()
    const p = await plenty(saga)
    const extra: string[] = []
    // An incompatible version (a required field added, no default) under orders.new's subject: BACKWARD refuses it.
    const subject = `${saga.env.prefix}orders.new-value`
    const bad = { type: 'record', name: 'OrderCreated', namespace: 'vitrine.orders', fields: [{ name: 'eventId', type: 'string' }, { name: 'campoNovoObrigatorio', type: 'long' }] }
    const reg = await fetch(`${saga.env.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...registryAuthHeaders() }, body: JSON.stringify({ schema: JSON.stringify(bad) }) })
    if (reg.status !== 409) extra.push(`an incompatible schema for ${subject} answered ${reg.status}, not 409`)
    // Confluent's framing (magic byte 0, a 4-byte schema id) with an id no registry issued.
    const framed = Buffer.concat([Buffer.from([0]), Buffer.from([0x7f, 0xff, 0xff, 0x00]), Buffer.from('dados num esquema que ninguém registrou')])
    const key = `esquema-${saga.env.id}-${Date.now()}`
    const raw = new EventProducer(saga.env.brokers, 'matrix-schema', pino({ level: 'silent' }))
    await raw.connect()
    try {
      await raw.send({ topic: saga.env.prefix + 'orders.new', key, value: framed, headers: { [HEADERS.sagaMode]: 'choreography' } })
    } finally {
      await raw.close()
    }
    const healedAt = Date.now()
    const accepted = await saga.placeOrders(Array.from({ length: 8 }, (_, i) => orderBody(`apos-esquema-${i}`, [{ productId: p, quantity: 1 }])))
    const dlq = await readTopic(saga.env.brokers, saga.env.prefix + 'orders.dlq', rs => rs.some(r => r.key === key), 60_000).catch(() => [])
    if (!dlq.some(r => r.key === key)) extra.push('the record with an unknown schema id is not in orders.dlq')
    return { saga, sent: accepted.length, accepted, healedAt, extra, notes: [`registro do esquema incompatível: HTTP ${reg.status}`] }
  }
}

/**
 * Duplicate delivery: payment, inventory and notification stopped, their groups rewound to offset 0
 * (every event they ever consumed delivered again), started again. Idempotent consumers change nothing.
 */
const offsetReplay: MatrixRow = {
  id: 'replay',
  falha: 'entrega duplicada (offsets voltados ao início)',
  run: async env => {
    const saga = await env.shared()
    const p = await plenty(saga)
    const accepted = await saga.placeOrders(Array.from({ length: 10 }, (_, i) => orderBody(`replay-${i}`, [{ productId: p, quantity: 1 }])))
    await saga.waitTerminal(accepted, 60_000)
    const stockBefore = (await saga.request('inventory', 'GET', `/products/${p}`)).body.stock as number
    const victims: ServiceId[] = ['payment', 'inventory', 'notification']
    const rewound: string[] = []
    for (const id of victims) await saga.stopService(id)
    for (const id of victims) rewound.push(...await rewindGroups(saga, id))
    for (const id of victims) await saga.startService(id)
    const healedAt = Date.now()
    // Replayed to the end: every rewound group caught up on orders.new / payments.approved / orders.confirmed.
    const topics: Record<string, string> = { payment: 'orders.new', inventory: 'payments.approved', notification: 'orders.confirmed' }
    for (const id of victims) await waitFor(`${id} to replay`, async () => await groupCaughtUp(saga.env.brokers, `${id}${saga.env.groupSuffix}`, saga.env.prefix + topics[id]!), 60_000, 500)
    const stockAfter = (await saga.request('inventory', 'GET', `/products/${p}`)).body.stock as number
    const extra = stockAfter === stockBefore ? [] : [`stock moved from ${stockBefore} to ${stockAfter} on replay (sold twice)`]
    return { saga, sent: accepted.length, accepted, healedAt, extra, notes: [`grupos rebobinados: ${rewound.join(', ')}`] }
  }
}

/** Many orders at once for the last units: exactly the stock is sold, never below zero, the rest fail. */
const lastUnits: MatrixRow = {
  id: 'ultimas-unidades',
  falha: 'disputa pelas últimas unidades',
  run: async env => {
    const saga = await env.shared()
    const units = 5
    const p = await saga.product(units)
    const healedAt = Date.now()
    const accepted = await saga.placeOrders(Array.from({ length: 25 }, (_, i) => orderBody(`disputa-${i}`, [{ productId: p, quantity: 1 }])), 25)
    const statuses = await saga.waitTerminal(accepted, 60_000)
    const confirmed = [...statuses.values()].filter(s => s.status === 'confirmed').length
    const stock = (await saga.request('inventory', 'GET', `/products/${p}`)).body.stock as number
    const extra: string[] = []
    if (confirmed !== units) extra.push(`${confirmed} orders confirmed for ${units} units`)
    if (stock !== 0) extra.push(`stock ended at ${stock}, not 0`)
    return { saga, sent: accepted.length, accepted, healedAt, extra, notes: [`${confirmed} confirmados para ${units} unidades, estoque final ${stock}`] }
  }
}

/** The saga's registry (a private proxy to the shared backend) down for a while under load, then back. */
function registryDown (registry: () => PrivateRegistry, outageMs = 5000): MatrixRow {
  return {
    id: 'registro-fora',
    falha: 'Schema Registry fora do ar',
    run: async env => {
      const saga = await env.shared()
      const p = await plenty(saga)
      const load = startLoad(saga, n => orderBody(`sem-registro-${n}`, [{ productId: p, quantity: 1 }]), 2, 100, env.t)
      await sleep(500)
      await registry().down()
      await sleep(outageMs)
      await registry().up()
      const healedAt = Date.now()
      await sleep(500)
      await load.stop()
      return { saga, sent: load.sent, accepted: load.accepted, healedAt, notes: [`registro fora por ${outageMs / 1000} s`, ...refusedNote(load)] }
    }
  }
}

/** A process-mode payment frozen (SIGSTOP) past the orders' deadline, then thawed: the orders fail by deadline, nothing kept. */
const sigstopPastDeadline: MatrixRow = {
  id: 'sigstop-payment',
  falha: 'SIGSTOP do payment além do prazo',
  run: async env => {
    const deadlineMs = 3000
    const saga = await ownSaga(env, { processes: ['payment'], env: { 'checkout-api': { ORDER_DEADLINE_MS: deadlineMs } } })
    const p = await plenty(saga)
    saga.signal('payment', 'SIGSTOP')
    let accepted: string[] = []
    try {
      accepted = await saga.placeOrders(Array.from({ length: 10 }, (_, i) => orderBody(`congelado-${i}`, [{ productId: p, quantity: 1 }])))
      // Past the deadline while payment is still frozen: checkout-api fails them on its own.
      await saga.waitTerminal(accepted, deadlineMs + 30_000)
    } finally {
      saga.signal('payment', 'SIGCONT')
    }
    const healedAt = Date.now()
    const statuses = await saga.orderStatuses(accepted)
    const byDeadline = [...statuses.values()].filter(s => s.reason === 'deadline_exceeded').length
    // Thawed, payment reads the orders (and their orders.failed): whatever it charges it refunds, once.
    await waitFor('payment to catch up after the thaw', async () => await groupCaughtUp(saga.env.brokers, `payment${saga.env.groupSuffix}`, saga.env.prefix + 'orders.failed'), 60_000, 500)
    const extra = byDeadline === accepted.length ? [] : [`${accepted.length - byDeadline} of ${accepted.length} orders did not fail by deadline`]
    return { saga, sent: accepted.length, accepted, healedAt, extra, notes: [`${byDeadline} pedido(s) falharam por prazo (deadline_exceeded)`] }
  }
}

/** A private PostgreSQL stopped under load and started again (the shared broker and registry stay). */
const postgresRestart: MatrixRow = {
  id: 'postgres',
  falha: 'reinício do PostgreSQL sob carga',
  run: async env => {
    const { stack, outside } = await privateStack(env, 1, ['postgres'])
    const saga = await ownSaga(env, { stack: { ...outside, databaseUrl: databaseUrl(stack) } })
    const p = await plenty(saga)
    const load = startLoad(saga, n => orderBody(`pg-${n}`, [{ productId: p, quantity: 1 }]), 2, 50, env.t)
    await sleep(1500)
    await component(stack, 'postgres', 'stop')
    await sleep(3000)
    await component(stack, 'postgres', 'start')
    const healedAt = Date.now()
    await sleep(1500)
    await load.stop()
    return { saga, sent: load.sent, accepted: load.accepted, healedAt, notes: refusedNote(load) }
  }
}

/** A private single broker stopped under load and started again (the shared PostgreSQL and registry stay). */
const brokerRestart: MatrixRow = {
  id: 'broker',
  falha: 'reinício do broker sob carga',
  run: async env => {
    const { stack, outside } = await privateStack(env, 1, ['kafka-1'])
    const saga = await ownSaga(env, { stack: { ...outside, brokers: bootstrapServers(stack) } })
    const p = await plenty(saga)
    const load = startLoad(saga, n => orderBody(`broker-${n}`, [{ productId: p, quantity: 1 }]), 2, 50, env.t)
    await sleep(1500)
    await component(stack, 'kafka-1', 'stop')
    await component(stack, 'kafka-1', 'start')
    const healedAt = Date.now()
    await sleep(1500)
    await load.stop()
    return { saga, sent: load.sent, accepted: load.accepted, healedAt, notes: refusedNote(load) }
  }
}

/** Produces one record with acks=all and no retries: the broker's refusal, or null when acknowledged. */
async function probeWrite (env: RowEnv, brokers: string, topic: string): Promise<string | null> {
  const producer = await openProducer(env.t as never, brokers, { 'enable.idempotence': false, 'message.send.max.retries': 0 })
  try {
    await produceAll(producer, topic, [{ key: 'sonda', value: 'sonda' }], 15_000)
    return null
  } catch (err) {
    return (err as Error).message
  }
}

/**
 * A private 3-broker cluster (replication 3, min.insync.replicas=2): the leader of orders.new's
 * partition 0 killed under load (writes go on with 2 in sync), then a second broker stopped (writes
 * refused, NOT_ENOUGH_REPLICAS: checkout-api keeps accepting into its outbox, nothing acknowledged
 * by Kafka is lost), then both started again.
 */
const twoOfThreeDown: MatrixRow = {
  id: 'dois-de-tres',
  falha: 'líder morto e 2 de 3 brokers fora (min.insync.replicas=2)',
  run: async env => {
    const { stack, outside } = await privateStack(env, 3, ['kafka-1', 'kafka-2', 'kafka-3'])
    const brokers = bootstrapServers(stack)
    // The orders' deadline beyond the outage: this row is about acks and the ISR, and two broker starts
    // on a busy machine outlast the harness's 60 s (deadlines under a frozen service: the SIGSTOP row).
    const saga = await ownSaga(env, { stack: { ...outside, brokers }, env: { 'checkout-api': { ORDER_DEADLINE_MS: 600_000 } } })
    const p = await plenty(saga)
    const topic = saga.env.prefix + 'orders.new'
    const admin = createAdmin(brokers, 'matrix-leader')
    let leader: number
    try {
      leader = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)!.partitions[0]!.leader
    } finally {
      await admin.close()
    }
    const notes: string[] = [`líder de orders.new/0: kafka-${leader}`]
    const extra: string[] = []
    // A light load: the orders accepted during the outage wait in checkout-api's outbox, and a busy
    // machine restarts brokers slowly; the load stops before they are started again.
    const load = startLoad(saga, n => orderBody(`isr-${n}`, [{ productId: p, quantity: 1 }]), 1, 200, env.t)
    await sleep(1500)
    await component(stack, `kafka-${leader}`, 'kill')
    env.note(`kafka-${leader} (líder) morto`)
    const withTwo = await probeWrite(env, brokers, topic)
    env.note(`escrita com 2 de 3 brokers: ${withTwo ?? 'aceita'}`)
    if (withTwo !== null) extra.push(`with 2 of 3 brokers a write with acks=all failed: ${withTwo}`)
    const second = [1, 2, 3].find(b => b !== leader)!
    await component(stack, `kafka-${second}`, 'stop')
    const withOne = await probeWrite(env, brokers, topic)
    notes.push(`escrita com 1 de 3 brokers: ${withOne ?? 'aceita'}`)
    env.note(notes[notes.length - 1]!)
    if (withOne === null || !/not enough in-sync replicas|NOT_ENOUGH_REPLICAS/i.test(withOne)) extra.push(`with 1 of 3 brokers a write with acks=all was not refused with NOT_ENOUGH_REPLICAS (${withOne ?? 'acknowledged'})`)
    await sleep(2000)
    await load.stop()
    await component(stack, `kafka-${second}`, 'start')
    await component(stack, `kafka-${leader}`, 'start')
    env.note('os dois brokers de volta')
    const healedAt = Date.now()
    return { saga, sent: load.sent, accepted: load.accepted, healedAt, extra, notes: [...notes, ...refusedNote(load)] }
  }
}

/**
 * A network partition between payment and the broker, healed: a private broker (its per-service
 * link listeners, infra/src/links.ts) with the link proxies in this process; payment (a process)
 * reaches Kafka only through its link, whose connections are cut and refused for a while under load,
 * then let through again. The other services and the database stay connected.
 */
function linkPartition (victim: ServiceId = 'payment', cutMs = 8000): MatrixRow {
  return {
    id: 'particao',
    falha: `partição de rede entre ${victim} e o broker, curada`,
    run: async env => {
      const { stack, outside } = await privateStack(env, 1, ['kafka-1'])
      const links = LinkProxies.forStack(stack)
      await links.start()
      env.t.after(async () => { await links.close() })
      const saga = await ownSaga(env, { processes: [victim], stack: { ...outside, brokers: bootstrapServers(stack) }, env: { [victim]: { KAFKA_BROKERS: linkBootstrap(stack, victim)! } } })
      const p = await plenty(saga)
      const load = startLoad(saga, n => orderBody(`particao-${n}`, [{ productId: p, quantity: 1 }]), 2, 50, env.t)
      await sleep(1500)
      const before = links.state(victim)!.connections
      links.set(victim, { partitioned: true })
      await sleep(cutMs)
      const during = links.state(victim)!.connections
      links.clear(victim)
      const healedAt = Date.now()
      await sleep(1500)
      await load.stop()
      const extra: string[] = []
      if (before === 0) extra.push(`${victim} had no connection through its link before the cut: the partition isolated nothing`)
      if (during !== 0) extra.push(`${during} connection(s) of ${victim} open during the partition`)
      return { saga, sent: load.sent, accepted: load.accepted, healedAt, extra, notes: [`${before} conexão(ões) do ${victim} pelo link antes do corte, ${during} durante; corte de ${cutMs / 1000} s`, ...refusedNote(load)] }
    }
  }
}

/**
 * The shared saga of the subset: payment as a process (so it can be SIGKILLed), the registry behind a
 * private proxy. Its cleanup is registered now, on `t` (call this at a file's top level, with the
 * file's own after hook): registered from inside a test, node:test would run it when that test ends.
 */
export interface Shared { get: () => Promise<Saga>, registry: () => PrivateRegistry, /** The file-level cleanup the shared sagas close on. */ hook: AfterHook }

export function sharedSaga (t: AfterHook): Shared {
  let registry: PrivateRegistry | undefined
  let saga: Promise<Saga> | undefined
  t.after(async () => {
    const s = await saga?.catch(() => undefined)
    await s?.close()
    await registry?.down()
  })
  const get = async (): Promise<Saga> => {
    saga ??= (async () => {
      registry = await PrivateRegistry.start()
      return await Saga.start({ processes: ['payment'], stack: { registryUrl: registry.url }, env: { payment: { PAYMENT_DELAY_MIN_MS: 20, PAYMENT_DELAY_MAX_MS: 200 } } })
    })()
    return await saga
  }
  return { get, hook: t, registry: () => { if (!registry) throw new Error('the shared saga is not started'); return registry } }
}

/** The bounded subset for make test: fast rows that each tell something (about a minute together). */
export function subsetRows (shared: Shared): MatrixRow[] {
  return [sigkillMidSaga('payment'), poisonBytes, offsetReplay, lastUnits, registryDown(shared.registry)]
}

/** Every row: the subset, then the heavy ones (private stacks, every service at every step). */
export function allRows (shared: Shared): MatrixRow[] {
  // One saga whose every service is a process, for the five SIGKILL-at-each-step rows, closed with the file.
  let everyProcess: Promise<Saga> | undefined
  shared.hook.after(async () => { await (await everyProcess?.catch(() => undefined))?.close() })
  const processSaga = async (): Promise<Saga> => {
    everyProcess ??= Saga.start({ services: WITH_ORCHESTRATOR, processes: WITH_ORCHESTRATOR, env: { payment: { PAYMENT_DELAY_MIN_MS: 100, PAYMENT_DELAY_MAX_MS: 400 } } })
    return await everyProcess
  }
  return [
    ...subsetRows(shared),
    incompatibleSchema,
    ...WITH_ORCHESTRATOR.map(id => sigkillEachStep(id, processSaga)),
    sigstopPastDeadline,
    postgresRestart,
    brokerRestart,
    twoOfThreeDown,
    linkPartition()
  ]
}
