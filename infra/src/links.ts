import type { Server, Socket } from 'node:net'
import { createConnection, createServer } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { StackSettings } from './settings.ts'
import { brokerPorts } from './settings.ts'
import { isAlive, nodeTs, portInUse, readPid, sleep, spawnDetached, stopGroup } from './proc.ts'

// Broker-link faults: latency and a full partition between ONE service and Kafka.
//
// A proxy in front of the bootstrap address alone isolates nothing: a client asks it for metadata,
// then connects to each broker's advertised address directly. So every broker has one more listener
// per service (LINK_<SERVICE>, PLAINTEXT) whose ADVERTISED address is that service's proxy port:
// a client that bootstraps through its proxy is told, for every broker, an address that is again
// its proxy, and every connection it makes to the cluster goes through it. The proxies (this file,
// run as the supervised `links` process) forward normally, delay each chunk when told to, and during
// a partition cut every connection of that service and refuse new ones until it heals.
//
// Ports, for broker i (client port P = KAFKA_PORT + 100·i): the broker's listener of service k at
// P + 10 + k, its proxy at P + 30 + k; the proxies' HTTP control at KAFKA_PORT + 50.

/** The services that get a link of their own (a slot each: the order fixes the ports). */
export const LINK_SERVICES = ['checkout-api', 'payment', 'inventory', 'notification', 'orchestrator', 'sales-counter'] as const

export function linkListenerName (service: string): string {
  return `LINK_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/** Broker i's listener for `service` and the proxy port advertised for it; undefined for a service without a link. */
export function linkPorts (s: Pick<StackSettings, 'kafkaPort'>, broker: number, service: string): { listener: number, proxy: number } | undefined {
  const k = (LINK_SERVICES as readonly string[]).indexOf(service)
  if (k < 0) return undefined
  const client = brokerPorts(s as StackSettings, broker).client
  return { listener: client + 10 + k, proxy: client + 30 + k }
}

export function linksControlPort (s: Pick<StackSettings, 'kafkaPort'>): number {
  return s.kafkaPort + 50
}

/** What broker i adds to its listeners, advertised listeners and protocol map (kafka-node.ts). */
export function linkListeners (s: Pick<StackSettings, 'kafkaPort'>, broker: number): { listeners: string[], advertised: string[], protocols: string[] } {
  const out = { listeners: [] as string[], advertised: [] as string[], protocols: [] as string[] }
  for (const service of LINK_SERVICES) {
    const p = linkPorts(s, broker, service)!
    const name = linkListenerName(service)
    out.listeners.push(`${name}://localhost:${p.listener}`)
    out.advertised.push(`${name}://localhost:${p.proxy}`)
    out.protocols.push(`${name}:PLAINTEXT`)
  }
  return out
}

/** The proxy bootstrap of `service`: every broker's proxy port. */
export function linkBootstrap (s: Pick<StackSettings, 'kafkaPort' | 'brokers'>, service: string): string | undefined {
  if (linkPorts(s, 0, service) === undefined) return undefined
  return Array.from({ length: s.brokers }, (_, i) => `localhost:${linkPorts(s, i, service)!.proxy}`).join(',')
}

export interface LinkFault { latencyMs: number, partitioned: boolean }
export interface LinkState extends LinkFault { service: string, connections: number, since: string | null }

interface Route { service: string, listen: number, target: number }

/** The proxies of every service to every broker, in this process. */
export class LinkProxies {
  private readonly servers: Server[] = []
  private readonly faults = new Map<string, LinkFault & { since: string | null }>()
  private readonly sockets = new Map<string, Set<Socket>>()

  constructor (private readonly routes: Route[]) {
    for (const service of new Set(routes.map(r => r.service))) {
      this.faults.set(service, { latencyMs: 0, partitioned: false, since: null })
      this.sockets.set(service, new Set())
    }
  }

  static forStack (s: Pick<StackSettings, 'kafkaPort' | 'brokers'>): LinkProxies {
    const routes: Route[] = []
    for (let i = 0; i < s.brokers; i++) {
      for (const service of LINK_SERVICES) {
        const p = linkPorts(s, i, service)!
        routes.push({ service, listen: p.proxy, target: p.listener })
      }
    }
    return new LinkProxies(routes)
  }

  async start (): Promise<void> {
    for (const r of this.routes) {
      const server = createServer(client => { this.accept(r, client) })
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(r.listen, '127.0.0.1', () => { server.off('error', reject); resolve() }) })
      this.servers.push(server)
    }
  }

  async close (): Promise<void> {
    for (const set of this.sockets.values()) for (const sock of set) sock.destroy()
    await Promise.all(this.servers.map(async srv => await new Promise<void>(resolve => srv.close(() => resolve()))))
  }

  services (): string[] {
    return [...this.faults.keys()]
  }

  state (service: string): LinkState | undefined {
    const f = this.faults.get(service)
    if (!f) return undefined
    return { service, latencyMs: f.latencyMs, partitioned: f.partitioned, connections: this.sockets.get(service)!.size, since: f.since }
  }

  set (service: string, change: Partial<LinkFault>): LinkState | undefined {
    const f = this.faults.get(service)
    if (!f) return undefined
    const next = { ...f, ...change }
    const on = next.latencyMs > 0 || next.partitioned
    next.since = on ? (f.since ?? new Date().toISOString()) : null
    this.faults.set(service, next)
    // A partition cuts what is open: the service's clients must reconnect, and cannot.
    if (next.partitioned && !f.partitioned) for (const sock of this.sockets.get(service)!) sock.destroy()
    return this.state(service)
  }

  clear (service: string): LinkState | undefined {
    return this.set(service, { latencyMs: 0, partitioned: false })
  }

  private accept (r: Route, client: Socket): void {
    const open = this.sockets.get(r.service)!
    // Refused while partitioned: the client sees its broker gone, as on the far side of a cut network.
    if (this.faults.get(r.service)!.partitioned) { client.destroy(); return }
    const upstream = createConnection({ host: '127.0.0.1', port: r.target })
    open.add(client)
    open.add(upstream)
    const end = (): void => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', chunk => {
        const ms = this.faults.get(r.service)!.latencyMs
        // Same delay for every chunk of a connection, so timers keep their order.
        if (ms > 0) setTimeout(() => { if (!to.destroyed) to.write(chunk) }, ms)
        else if (!to.destroyed) to.write(chunk)
      })
    }
    forward(client, upstream)
    forward(upstream, client)
  }
}

// The `links` process: started by the supervisor (ensureLinks) the first time a service is started
// through its link, stopped by `make down` like every component with a pid file.

/** Starts the links process of this stack unless it already answers; true when it does. */
export async function ensureLinks (s: StackSettings, stateDir: string): Promise<boolean> {
  const control = linksClient(linksControlPort(s))
  if (await control.up()) {
    // Started for a smaller cluster (BROKERS=3 after a one-broker demo): started again for this one.
    if (await portInUse(linkPorts(s, s.brokers - 1, LINK_SERVICES[0])!.proxy)) return true
    const old = readPid(stateDir, 'links')
    if (old !== undefined) await stopGroup(old, 5000)
  }
  const pid = readPid(stateDir, 'links')
  if (pid === undefined || !isAlive(pid)) {
    const { command, args } = nodeTs(fileURLToPath(import.meta.url), [String(s.kafkaPort), String(s.brokers)])
    spawnDetached(stateDir, 'links', command, args)
  }
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (await control.up()) return true
    await sleep(200)
  }
  return false
}

/**
 * The bootstrap a service started by the supervisor uses: its link. Our brokers are always started
 * with the link listeners (kafka-node.ts), also when one starts after the service (make demo starts
 * both at once); a broker already running from before the links has none: then the direct address.
 */
export async function serviceBootstrap (s: StackSettings, stateDir: string, service: string): Promise<string | undefined> {
  if (linkPorts(s, 0, service) === undefined) return undefined
  for (let i = 0; i < s.brokers; i++) {
    if (await portInUse(brokerPorts(s, i).client) && !(await portInUse(linkPorts(s, i, service)!.listener))) return undefined
  }
  return (await ensureLinks(s, stateDir)) ? linkBootstrap(s, service) : undefined
}

export interface LinksClient {
  url: string
  up: () => Promise<boolean>
  list: () => Promise<LinkState[]>
  set: (service: string, change: Partial<LinkFault>) => Promise<LinkState | undefined>
  clear: (service: string) => Promise<LinkState | undefined>
}

export function linksClient (port: number): LinksClient {
  const url = `http://127.0.0.1:${port}`
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T | undefined> => {
    const res = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(3000), ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) })
    if (res.status === 404) return undefined
    if (!res.ok) throw new Error(`links ${method} ${path} answered ${res.status}`)
    return await res.json() as T
  }
  return {
    url,
    up: async () => {
      try {
        return (await fetch(`${url}/links`, { signal: AbortSignal.timeout(1000) })).ok
      } catch {
        return false
      }
    },
    list: async () => (await call<{ links: LinkState[] }>('GET', '/links'))?.links ?? [],
    set: async (service, change) => await call<LinkState>('PUT', `/links/${encodeURIComponent(service)}`, change),
    clear: async (service) => await call<LinkState>('DELETE', `/links/${encodeURIComponent(service)}`)
  }
}

/** The links process's HTTP control, on 127.0.0.1 only (the control plane validates what it forwards). */
export function linksControl (proxies: LinkProxies): ReturnType<typeof createHttpServer> {
  return createHttpServer((req, res) => {
    const send = (status: number, body: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)) }
    const m = /^\/links(?:\/([^/?]+))?$/.exec(req.url?.split('?')[0] ?? '')
    if (!m) return send(404, { message: 'no route' })
    const service = m[1] !== undefined ? decodeURIComponent(m[1]) : undefined
    if (service === undefined) {
      if (req.method === 'GET') return send(200, { links: proxies.services().map(n => proxies.state(n)) })
      return send(405, { message: 'method not allowed' })
    }
    if (req.method === 'DELETE') {
      const st = proxies.clear(service)
      return st ? send(200, st) : send(404, { message: `no link for ${service}` })
    }
    if (req.method === 'PUT') {
      let raw = ''
      req.on('data', (c: Buffer) => { raw += c.toString() })
      req.on('end', () => {
        let change: Partial<LinkFault>
        try { change = JSON.parse(raw) as Partial<LinkFault> } catch { return send(400, { message: 'invalid JSON' }) }
        const picked: Partial<LinkFault> = {}
        if (typeof change.latencyMs === 'number') picked.latencyMs = change.latencyMs
        if (typeof change.partitioned === 'boolean') picked.partitioned = change.partitioned
        const st = proxies.set(service, picked)
        return st ? send(200, st) : send(404, { message: `no link for ${service}` })
      })
      return
    }
    if (req.method === 'GET') {
      const st = proxies.state(service)
      return st ? send(200, st) : send(404, { message: `no link for ${service}` })
    }
    return send(405, { message: 'method not allowed' })
  })
}

// Run as a program by the supervisor: `links.ts <kafkaPort> <brokers>`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [kafkaPort, brokers] = process.argv.slice(2).map(Number)
  if (!kafkaPort || !brokers) {
    console.error('usage: links <kafkaPort> <brokers>')
    process.exit(2)
  }
  const proxies = LinkProxies.forStack({ kafkaPort, brokers })
  const control = linksControl(proxies)
  await proxies.start()
  control.listen(linksControlPort({ kafkaPort }), '127.0.0.1', () => console.log(`broker links for ${LINK_SERVICES.join(', ')} on ${brokers} broker(s); control on :${linksControlPort({ kafkaPort })}`))
  const close = (): void => { control.close(); proxies.close().then(() => process.exit(0), () => process.exit(1)); setTimeout(() => process.exit(0), 2000).unref() }
  process.on('SIGTERM', close)
  process.on('SIGINT', close)
}
