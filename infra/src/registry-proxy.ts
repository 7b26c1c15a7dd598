import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer, request } from 'node:http'
import { pathToFileURL } from 'node:url'
import { kafkaCredentials } from './security/kafka-auth.ts'
import { authorizeRegistry, basicCredentials, checkLogin, classifyRegistryRequest } from './security/registry-access.ts'

// Apicurio Registry serves the Confluent Schema Registry API under /apis/ccompat/v7.
// Confluent clients (and @kafkajs/confluent-schema-registry) expect it at the root of the URL,
// so this thin proxy on :8081 rewrites those paths and passes everything else (Apicurio's own UI and API) through.

const CONFLUENT_ROOTS = ['/subjects', '/schemas', '/config', '/compatibility', '/mode', '/contexts', '/exporters']
export const CCOMPAT_PREFIX = '/apis/ccompat/v7'

/** The backend path for a request path: Confluent API roots move under the ccompat prefix, the rest passes as is. */
export function rewrite (url: string): string {
  const path = url.split('?')[0]!
  // The root itself maps to the ccompat root (no trailing slash), keeping any query string.
  if (path === '/') return CCOMPAT_PREFIX + url.slice(1)
  if (CONFLUENT_ROOTS.some(root => path === root || path.startsWith(root + '/'))) return CCOMPAT_PREFIX + url
  return url
}

/**
 * With KAFKA_AUTH=scram the registry's doors follow Kafka's: a write (register, delete, a subject's
 * rule) needs HTTP Basic credentials of a Kafka principal, and only the writer of a subject's topic
 * (or the admin) may change it (security/registry-access.ts). The passwords are the stack's
 * (<state>/secrets/kafka-users.json), read on each check, so a rotation (make kafka-senha) holds at once.
 *
 * Reads without credentials stay open on this loopback port: the schemas are the system's public
 * contract (every record carries its schema's id, and the UI shows them), reading one forges nothing,
 * and the runbooks' `curl -s localhost:8081/...` lines keep working. A read that does send
 * credentials has them checked, so a wrong password never looks like a working one.
 */
export type ProxyAuth = { kafkaAuth: 'none' } | { kafkaAuth: 'scram', stateDir: string, onDecision?: (d: RegistryDecision) => void }

/** Who did what, for every write and every refusal (never a password): the program logs them; tests read them. */
export interface RegistryDecision { principal: string | null, method: string, path: string, subject: string | null, status: 'allowed' | 401 | 403 }

const REALM = 'Basic realm="vitrine-schema-registry", charset="UTF-8"'

function refuse (res: ServerResponse, status: 401 | 403, message: string): void {
  // The registry API's own error shape (Confluent: error_code = HTTP status and a detail digit).
  res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json', ...(status === 401 ? { 'www-authenticate': REALM } : {}) })
  res.end(JSON.stringify({ error_code: status === 401 ? 40101 : 40301, message }))
}

/** Whether the request may go on; when not, the refusal has been sent. */
function admit (auth: ProxyAuth, req: IncomingMessage, res: ServerResponse): boolean {
  if (auth.kafkaAuth === 'none') return true
  const method = req.method ?? 'GET'
  const path = (req.url ?? '/').split('?')[0]!
  const access = classifyRegistryRequest(method, req.url ?? '/')
  const login = basicCredentials(req.headers.authorization)
  const decide = (principal: string | null, status: RegistryDecision['status']): void => {
    if (status !== 'allowed' || access.kind !== 'read') auth.onDecision?.({ principal, method, path, subject: access.kind === 'subject' ? access.subject : null, status })
  }
  let principal: string | null = null
  if (login === null) {
    decide(null, 401)
    refuse(res, 401, 'malformed Authorization header: HTTP Basic with a Kafka principal and its password is expected')
    return false
  }
  if (login !== undefined) {
    if (!checkLogin(kafkaCredentials(auth.stateDir), login.username, login.password)) {
      decide(login.username, 401)
      refuse(res, 401, `wrong user or password for ${JSON.stringify(login.username)}: the registry takes the Kafka principals' SCRAM passwords`)
      return false
    }
    principal = login.username
  }
  const verdict = authorizeRegistry(principal, access)
  if (verdict === 'unauthenticated') {
    decide(null, 401)
    refuse(res, 401, 'writing to the schema registry needs credentials (HTTP Basic: a Kafka principal and its password)')
    return false
  }
  if (verdict === 'forbidden') {
    decide(principal, 403)
    const what = access.kind === 'subject' ? `subject ${access.subject}: only the writer of its topic (or admin) may change it` : `${access.kind === 'admin' ? access.what : 'this'}: only admin may do it`
    refuse(res, 403, `User ${principal ?? ''} is denied operation on ${what}`)
    return false
  }
  decide(principal, 'allowed')
  return true
}

export function createProxy (backendPort: number, auth: ProxyAuth = { kafkaAuth: 'none' }): Server {
  const server = createServer((req, res) => {
    if (!admit(auth, req, res)) {
      req.resume()
      return
    }
    // The password stops here: Apicurio has no use for it, and its logs need not see it.
    const headers = { ...req.headers }
    delete headers.authorization
    delete headers['x-http-method-override']
    const upstream = request({ host: '127.0.0.1', port: backendPort, method: req.method, path: rewrite(req.url ?? '/'), headers }, up => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    upstream.on('error', err => {
      res.writeHead(503, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error_code: 50301, message: `schema registry backend unavailable: ${err.message}` }))
    })
    req.pipe(upstream)
  })
  server.keepAliveTimeout = 65_000
  return server
}

// Run as a program by the supervisor (`registry-proxy.ts <listenPort> <backendPort> [<stateDir>]`: a
// state folder means KAFKA_AUTH=scram, its secrets the passwords); imported by tests for rewrite().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [listenPort, backendPort] = process.argv.slice(2, 4).map(Number)
  const stateDir = process.argv[4]
  if (!listenPort || !backendPort) {
    console.error('usage: registry-proxy <listenPort> <backendPort> [<stateDir> (KAFKA_AUTH=scram)]')
    process.exit(2)
  }
  // One line per write and per refusal: who changed which subject is in the registry's log.
  const onDecision = (d: RegistryDecision): void => { console.log(JSON.stringify({ time: new Date().toISOString(), msg: 'registry access', ...d })) }
  const server = createProxy(backendPort, stateDir ? { kafkaAuth: 'scram', stateDir, onDecision } : { kafkaAuth: 'none' })
  server.listen(listenPort, '127.0.0.1', () => console.log(`registry proxy on :${listenPort} -> Apicurio on :${backendPort}${stateDir ? ' (writes need a Kafka principal\'s credentials)' : ''}`))
  const close = (): void => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref() }
  process.on('SIGTERM', close)
  process.on('SIGINT', close)
}
