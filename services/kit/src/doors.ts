import type { IncomingHttpHeaders } from 'node:http'

// Closed doors (issue 16), the rules every HTTP server of Vitrine applies before any route (plugins/doors.ts)
// and the gateway's socket.io applies to each browser: which Host and Origin headers it answers, and who is local.

/** Host names every server answers: the machine itself, and Docker's name for it (compose's Prometheus scrapes host.docker.internal). */
export const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]', 'host.docker.internal']

export interface DoorRules {
  /** Extra host names (no port) beyond LOCAL_HOSTS; '*' answers any (behind a proxy that checks it). */
  hosts: string[]
  /** Browser origins (scheme://host:port) allowed besides the page's own; '*' allows any. */
  origins: string[]
}

export function list (csv: string): string[] {
  return csv.split(',').map(s => s.trim()).filter(s => s !== '')
}

export function doorRules (config: { ALLOWED_HOSTS?: string, ALLOWED_ORIGINS?: string }): DoorRules {
  return {
    hosts: list(config.ALLOWED_HOSTS ?? '').map(h => h.toLowerCase()),
    origins: list(config.ALLOWED_ORIGINS ?? '').map(o => o === '*' ? o : normalizeOrigin(o) ?? o)
  }
}

/** The host name of a Host header, without its port: `[::1]:3010` → `[::1]`, `Localhost:80` → `localhost`. */
export function hostName (host: string): string {
  const h = host.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1)
  const colon = h.lastIndexOf(':')
  return colon === -1 ? h : h.slice(0, colon)
}

/**
 * Whether a request naming `host` is answered. A DNS-rebinding page reaches 127.0.0.1 under its own
 * name, which the browser sends as Host; only names the attacker cannot own pass. A request without
 * Host (HTTP/1.0 tools) comes from no browser.
 */
export function hostAllowed (host: string | undefined, rules: DoorRules): boolean {
  if (host === undefined || host === '') return true
  if (rules.hosts.includes('*')) return true
  const name = hostName(host)
  return LOCAL_HOSTS.includes(name) || rules.hosts.includes(name)
}

function normalizeOrigin (origin: string): string | undefined {
  try {
    const u = new URL(origin)
    return u.origin === 'null' ? undefined : u.origin
  } catch {
    return undefined
  }
}

/**
 * Whether a browser at `origin` may call: no Origin (not a browser's cross-site call), the page's own
 * origin (the same host:port as the Host header, already checked), or one of the allow-list.
 */
export function originAllowed (origin: string | undefined, host: string | undefined, rules: DoorRules): boolean {
  if (origin === undefined) return true
  if (rules.origins.includes('*')) return true
  const o = normalizeOrigin(origin)
  if (o === undefined) return false
  if (host !== undefined && new URL(o).host === host.trim().toLowerCase()) return true
  return rules.origins.includes(o)
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/

export function isLoopback (address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address)
}

function forwardedFor (headers: IncomingHttpHeaders): string[] {
  const raw = headers['x-forwarded-for']
  return (Array.isArray(raw) ? raw.join(',') : raw ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
}

/**
 * The client a limit counts: the peer, or, when the peer is a proxy on this machine (the web app's
 * vite server, with xfwd), the address it says it forwards for. A remote peer's X-Forwarded-For is not believed.
 */
export function clientAddress (peer: string | undefined, headers: IncomingHttpHeaders): string {
  const hops = forwardedFor(headers)
  if (isLoopback(peer) && hops.length > 0) return hops[hops.length - 1]!
  return peer ?? 'unknown'
}

/** A client on this machine: a loopback peer that forwards for nobody, or only for loopback. */
export function isLocalClient (peer: string | undefined, headers: IncomingHttpHeaders): boolean {
  return isLoopback(peer) && forwardedFor(headers).every(isLoopback)
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)\]]+/gi

/** Text without URLs or connection strings (an error body may not tell where the services, database or registry live). */
export function withoutUrls (text: string): string {
  return text.replace(URL_IN_TEXT, '<internal address>')
}

/** A connection string with its password hidden: `postgres://vitrine:secret@h/db` → `postgres://vitrine:***@h/db`. */
export function withoutPasswords (text: string): string {
  return text.replace(/(\/\/[^:/?#@\s"]*):[^@\s"]*@/g, '$1:***@')
}
