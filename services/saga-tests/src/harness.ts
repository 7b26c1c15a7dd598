import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { freePort } from '@vitrine/infra'
import { testInstructorHeaders } from '@vitrine/infra/testing'
import type { TestEnv } from '@vitrine/infra/testing/saga'
import { createCatalogTopics, deleteTestTopics, serviceEnv, serviceKafkaLogin, testEnv, waitFor } from '@vitrine/infra/testing/saga'
import { buildApp, loadConfig } from '@vitrine/service-kit'
import checkoutApp from '@vitrine/checkout-api'
import { CheckoutConfig } from '@vitrine/checkout-api/config'
import paymentApp from '@vitrine/payment'
import { PaymentConfig } from '@vitrine/payment/config'
import inventoryApp from '@vitrine/inventory'
import { InventoryConfig } from '@vitrine/inventory/config'
import notificationApp from '@vitrine/notification'
import { NotificationConfig } from '@vitrine/notification/config'

export type ServiceId = 'checkout-api' | 'payment' | 'inventory' | 'notification' | 'orchestrator'

export interface Response { status: number, headers: Record<string, string>, body: any }

const SERVICES_DIR = fileURLToPath(new URL('../../', import.meta.url))
const DB_SCHEMA: Record<ServiceId, string> = { 'checkout-api': 'checkout', payment: 'payment', inventory: 'inventory', notification: 'notification', orchestrator: 'orchestrator' }

/** A running service: in this process (fast, `inject`) or as its own OS process (so a test can SIGKILL it). */
interface Running {
  /** The app itself, when it runs in this process (its routes, its OpenAPI document). */
  app?: FastifyInstance
  request: (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>
  stop: () => Promise<void>
  kill?: () => Promise<void>
  term?: () => Promise<void>
  /** SIGSTOP / SIGCONT: the process stays, frozen, holding its connections (a stalled service, not a dead one). */
  signal?: (sig: 'SIGSTOP' | 'SIGCONT') => void
}

// Importing the orchestrator lazily keeps these suites usable before it exists.
async function appFor (id: ServiceId): Promise<{ app: any, schema: any }> {
  switch (id) {
    case 'checkout-api': return { app: checkoutApp, schema: CheckoutConfig }
    case 'payment': return { app: paymentApp, schema: PaymentConfig }
    case 'inventory': return { app: inventoryApp, schema: InventoryConfig }
    case 'notification': return { app: notificationApp, schema: NotificationConfig }
    case 'orchestrator': {
      const spec = '@vitrine/orchestrator'
      const m = await import(spec)
      const c = await import(spec + '/config')
      return { app: m.default, schema: c.OrchestratorConfig }
    }
  }
}

async function inProcess (id: ServiceId, env: Record<string, string>): Promise<Running> {
  const { app, schema } = await appFor(id)
  const fastify: FastifyInstance = await buildApp(id, app, loadConfig(schema, env) as never)
  return {
    app: fastify,
    request: async (method, url, body, headers) => {
      const res = await fastify.inject({ method: method as 'GET', url, ...(body !== undefined ? { payload: body as object } : {}), ...(headers ? { headers } : {}) })
      let parsed: unknown = res.body
      try { parsed = res.json() } catch {}
      return { status: res.statusCode, headers: res.headers as Record<string, string>, body: parsed }
    },
    stop: async () => { await fastify.close() }
  }
}

async function asProcess (id: ServiceId, env: Record<string, string>, port: number, logDir?: string): Promise<Running> {
  let child: ChildProcess
  const start = async (): Promise<void> => {
    // Like the supervisor: the service's output appended to <logDir>/<id>.log (the gateway reads an order's lines there).
    const log = logDir === undefined ? undefined : openSync(join(logDir, `${id}.log`), 'a')
    child = spawn(process.execPath, ['--import', 'tsx', `${SERVICES_DIR}${id}/src/server.ts`], {
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', log ?? 'ignore', process.env.TEST_SERVICE_STDERR ? 'inherit' : (log ?? 'ignore')]
    })
    if (log !== undefined) closeSync(log)
    await waitFor(`${id} ready on :${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`${id} exited with ${child.exitCode}`)
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(1000) })
      return res.ok
    }, 60_000, 250)
  }
  await start()
  const exited = async (): Promise<void> => { if (child.exitCode === null && child.signalCode === null) await new Promise(resolve => child.once('exit', resolve)) }
  return {
    request: async (method, url, body, headers) => {
      const res = await fetch(`http://127.0.0.1:${port}${url}`, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
      const text = await res.text()
      let parsed: unknown = text
      try { parsed = JSON.parse(text) } catch {}
      // forEach, not entries(): the web package type-checks this file with the DOM's Headers, which lacks it.
      const answered: Record<string, string> = {}
      res.headers.forEach((value, name) => { answered[name] = value })
      return { status: res.status, headers: answered, body: parsed }
    },
    stop: async () => {
      // A frozen (SIGSTOP) process would never act on the SIGTERM.
      child.kill('SIGCONT')
      child.kill('SIGTERM')
      await exited()
    },
    // SIGKILL: no shutdown hooks, no offset commit, no outbox flush: a real crash.
    kill: async () => {
      child.kill('SIGKILL')
      await exited()
      await start()
    },
    // SIGTERM: the graceful shutdown a supervisor or an operator does; then started again.
    term: async () => {
      child.kill('SIGTERM')
      await exited()
      await start()
    },
    signal: sig => { child.kill(sig) }
  }
}

export interface SagaOptions {
  services?: ServiceId[]
  /** Services to run as separate OS processes (the others run in this process). */
  processes?: ServiceId[]
  env?: Partial<Record<ServiceId, Record<string, string | number>>>
  /** A folder where each process-mode service writes its log (<id>.log), as the supervisor does. */
  logDir?: string
  /** Other servers than the shared stack's (a private broker, database or registry a fault test may stop). */
  stack?: Partial<Pick<TestEnv, 'brokers' | 'registryUrl' | 'databaseUrl'>>
  /**
   * Instances of each service (default: SAGA_INSTANCES, else 1). With 2, each service gets a twin
   * (another port for a process, another app in this process) in the same groups and schema, so
   * each group splits its partitions between them: the scale-out check of issue 12.
   */
  instances?: 1 | 2
}

/** The saga on its own topics, groups and schemas. */
export class Saga {
  readonly running = new Map<ServiceId, Running>()
  /** The second instance of each service when `instances` is 2 (requests go to the first). */
  readonly twins = new Map<ServiceId, Running>()
  /** A service was killed (SIGKILL) or frozen (SIGSTOP): outbox redeliveries (same eventId) are then expected. */
  interrupted = false
  /** Ports of the process-mode services, chosen before any starts so each can be given the others' URLs. */
  private readonly ports = new Map<ServiceId, number>()
  readonly sql: postgres.Sql
  private constructor (readonly env: TestEnv, private readonly opts: SagaOptions) {
    this.sql = postgres(env.databaseUrl, { max: 4, onnotice: () => {} })
  }

  static async start (opts: SagaOptions = {}): Promise<Saga> {
    const saga = new Saga({ ...testEnv(), ...opts.stack }, opts)
    for (const id of opts.processes ?? []) saga.ports.set(id, await freePort())
    await createCatalogTopics(saga.env)
    // Participants first, so nothing the entry point writes waits for a consumer to join.
    const order: ServiceId[] = ['inventory', 'payment', 'notification', 'orchestrator', 'checkout-api']
    const wanted = opts.services ?? ['inventory', 'payment', 'notification', 'checkout-api']
    try {
      for (const id of order.filter(s => wanted.includes(s))) await saga.startService(id)
      await saga.catalogSynced()
    } catch (err) {
      // What did start is stopped and removed: a half-started saga would keep the test process alive.
      await saga.close().catch(() => {})
      throw err
    }
    return saga
  }

  /**
   * Waits until checkout-api's replica of products.catalog holds every inventory product at its
   * current version: orders are priced from the replica, which follows inventory a moment later.
   * Without both services running there is nothing to wait for.
   */
  async catalogSynced (timeoutMs = 30_000): Promise<void> {
    if (!this.running.has('inventory') || !this.running.has('checkout-api')) return
    await waitFor('checkout-api\'s catalog replica to catch up with inventory', async () => {
      const [r] = await this.sql.unsafe(`select count(*)::int as behind from ${this.schema('inventory')}.products p
        left join ${this.schema('checkout-api')}.catalog_products c on c.product_id = p.id
        where c.version is null or c.version < p.version`)
      return r!.behind === 0
    }, timeoutMs, 100)
  }

  envFor (id: ServiceId): Record<string, string> {
    // Each service logs in as its own principal on a KAFKA_AUTH=scram stack (test/full/scram.test.ts).
    return serviceEnv(this.env, { ...serviceKafkaLogin(id), PAYMENT_DELAY_MIN_MS: 0, PAYMENT_DELAY_MAX_MS: 0, PAYMENT_FAILURE_RATE: 0, DECISION_POLL_MS: 50, DEADLINE_SWEEP_MS: 200, ORDER_DEADLINE_MS: 60_000, ...this.urls(), ...this.opts.env?.[id] })
  }

  private logDir (): string | undefined {
    if (this.opts.logDir !== undefined) mkdirSync(this.opts.logDir, { recursive: true })
    return this.opts.logDir
  }

  /** The HTTP address of a service running as a process (in-process services do not listen). */
  url (id: ServiceId): string {
    const port = this.ports.get(id)
    if (port === undefined) throw new Error(`${id} is not running as a process, so it has no URL`)
    return `http://127.0.0.1:${port}`
  }

  // Services that call others over HTTP (the orchestrator's /compare) reach this test's processes, not a demo on the default ports.
  private urls (): Record<string, string> {
    const out: Record<string, string> = {}
    const names: Array<[ServiceId, string]> = [['checkout-api', 'CHECKOUT_URL'], ['payment', 'PAYMENT_URL'], ['inventory', 'INVENTORY_URL']]
    for (const [id, variable] of names) if (this.ports.has(id)) out[variable] = this.url(id)
    return out
  }

  async startService (id: ServiceId): Promise<void> {
    const run = this.opts.processes?.includes(id) ? await asProcess(id, this.envFor(id), this.ports.get(id)!, this.logDir()) : await inProcess(id, this.envFor(id))
    this.running.set(id, run)
    if ((this.opts.instances ?? (process.env.SAGA_INSTANCES === '2' ? 2 : 1)) === 2) {
      this.twins.set(id, this.opts.processes?.includes(id) ? await asProcess(id, this.envFor(id), await freePort(), this.logDir()) : await inProcess(id, this.envFor(id)))
    }
  }

  async stopService (id: ServiceId): Promise<void> {
    await this.twins.get(id)?.stop()
    this.twins.delete(id)
    await this.running.get(id)?.stop()
    this.running.delete(id)
  }

  /** SIGTERM a process-mode service, wait for its graceful exit, and start it again. */
  async terminate (id: ServiceId): Promise<void> {
    const run = this.running.get(id)
    if (!run?.term) throw new Error(`${id} is not running as a process`)
    await run.term()
  }

  /** SIGKILL a process-mode service and start it again. */
  async crash (id: ServiceId): Promise<void> {
    const run = this.running.get(id)
    if (!run?.kill) throw new Error(`${id} is not running as a process`)
    this.interrupted = true
    await run.kill()
  }

  /** SIGSTOP (frozen) or SIGCONT (thawed) a process-mode service. */
  signal (id: ServiceId, sig: 'SIGSTOP' | 'SIGCONT'): void {
    const run = this.running.get(id)
    if (!run?.signal) throw new Error(`${id} is not running as a process`)
    this.interrupted = true
    run.signal(sig)
  }

  async request (id: ServiceId, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Response> {
    const run = this.running.get(id)
    if (!run) throw new Error(`${id} is not running`)
    // Signed as the instructor unless the test sets its own Authorization (ignored while HTTP_AUTH=none): the suites then run either way.
    return await run.request(method, url, body, headers !== undefined && 'authorization' in headers ? headers : { ...testInstructorHeaders(), ...headers })
  }

  schema (id: ServiceId): string {
    return `"${DB_SCHEMA[id]}${this.env.schemaSuffix}"`
  }

  /** A product only this test orders from. */
  async product (stock: number, priceCents = 1000): Promise<string> {
    const id = `p-${this.env.id}-${Math.random().toString(36).slice(2, 8)}`
    const res = await this.request('inventory', 'POST', '/products', { id, name: `Produto de teste ${id}`, priceCents, stock })
    if (res.status !== 201) throw new Error(`creating product failed: ${res.status} ${JSON.stringify(res.body)}`)
    await this.catalogSynced()
    return id
  }

  async placeOrder (body: unknown, headers?: Record<string, string>): Promise<Response> {
    return await this.request('checkout-api', 'POST', '/orders', body, headers)
  }

  /** Places orders `concurrency` at a time; returns their ids (throws on any non-202). */
  async placeOrders (bodies: unknown[], concurrency = 20): Promise<string[]> {
    const ids: string[] = new Array(bodies.length)
    let next = 0
    await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, async () => {
      while (next < bodies.length) {
        const i = next++
        const res = await this.placeOrder(bodies[i])
        if (res.status !== 202) throw new Error(`order ${i} answered ${res.status}: ${JSON.stringify(res.body)}`)
        ids[i] = res.body.orderId
      }
    }))
    return ids
  }

  async orderStatuses (ids: string[]): Promise<Map<string, { status: string, reason: string | null }>> {
    const rows = await this.sql.unsafe(`select id, status, reason from ${this.schema('checkout-api')}.orders where id = any($1)`, [ids])
    return new Map(rows.map(r => [r.id as string, { status: r.status as string, reason: r.reason as string | null }]))
  }

  async waitTerminal (ids: string[], timeoutMs = 60_000): Promise<Map<string, { status: string, reason: string | null }>> {
    return await waitFor(`${ids.length} orders to finish`, async () => {
      const s = await this.orderStatuses(ids)
      return s.size === ids.length && [...s.values()].every(o => o.status !== 'pending') ? s : undefined
    }, timeoutMs, 250)
  }

  /**
   * Waits until a slow charge of `orderId` is past the time it would have been made (its created_at
   * plus `slowMs`, by the database's clock) and is no longer pending: the point after which "it was
   * never charged" means something. A condition, not a sleep guessed long enough.
   */
  async paymentPastDue (orderId: string, slowMs: number, timeoutMs = 30_000): Promise<{ status: string }> {
    return await waitFor(`the charge of ${orderId} to be past its due time and settled`, async () => {
      const [p] = await this.sql.unsafe(`select status, now() >= created_at + make_interval(secs => $2::float8 / 1000) as past_due from ${this.schema('payment')}.payments where order_id = $1`, [orderId, slowMs])
      return p && p.past_due === true && p.status !== 'requested' ? { status: p.status as string } : undefined
    }, timeoutMs, 100)
  }

  async close (): Promise<void> {
    for (const id of [...this.running.keys()].reverse()) await this.stopService(id).catch(() => {})
    for (const id of Object.keys(DB_SCHEMA) as ServiceId[]) await this.sql.unsafe(`drop schema if exists ${this.schema(id)} cascade`).catch(() => {})
    await this.sql.end()
    await deleteTestTopics(this.env).catch(() => {})
  }
}

/** An order as a client sends it: products and quantities; the price is the catalog's. */
export function orderBody (customerId: string, items: Array<{ productId: string, quantity: number }>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { customerId, items: items.map(i => ({ productId: i.productId, quantity: i.quantity })), ...extra }
}
