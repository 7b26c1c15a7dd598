import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer, request } from 'node:http'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { composeEnvCredentials } from './compose-secrets.ts'
import { SECRETS_COMMAND } from './compose-security.ts'
import { kafkaCredentials } from './security/kafka-auth.ts'
import { authorizeRegistry, basicCredentials, checkLogin, classifyRegistryRequest } from './security/registry-access.ts'

// Apicurio Registry serves the Confluent Schema Registry API under /apis/ccompat/v7.
// Confluent clients (and @kafkajs/confluent-schema-registry) expect it at the root of the URL,
// so this thin proxy on :8081 rewrites those paths and passes everything else (Apicurio's own UI and API) through.
// compose/ puts the same proxy before Confluent's own registry, which serves that API at its root: no rewrite.

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

/** Where the proxy forwards: Apicurio (`make up`, Confluent paths rewritten under ccompat) or a registry that serves the Confluent API at its root (compose's cp-schema-registry). */
export interface RegistryBackend { host: string, port: number, api: 'apicurio' | 'confluent' }

/** The path a request goes to on `backend`. */
export function backendPath (backend: Pick<RegistryBackend, 'api'>, url: string): string {
  return backend.api === 'apicurio' ? rewrite(url) : url
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
export type ProxyAuth = { kafkaAuth: 'none' } | ({ kafkaAuth: 'scram', onDecision?: (d: RegistryDecision) => void } & PasswordSource)

/** The passwords a login is checked against: a state folder's kafka-users.json (`make up`), or given (compose/.env's, through the container's environment). */
type PasswordSource = { stateDir: string } | { credentials: () => Record<string, string> }

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
    const known = 'stateDir' in auth ? kafkaCredentials(auth.stateDir) : auth.credentials()
    if (!checkLogin(known, login.username, login.password)) {
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

/** `backend`: a port is Apicurio on 127.0.0.1 (the local stack's). */
export function createProxy (backend: number | RegistryBackend, auth: ProxyAuth = { kafkaAuth: 'none' }): Server {
  const to: RegistryBackend = typeof backend === 'number' ? { host: '127.0.0.1', port: backend, api: 'apicurio' } : backend
  const server = createServer((req, res) => {
    if (!admit(auth, req, res)) {
      req.resume()
      return
    }
    // The password stops here: the backend has no use for it, and its logs need not see it.
    const headers = { ...req.headers }
    delete headers.authorization
    delete headers['x-http-method-override']
    const upstream = request({ host: to.host, port: to.port, method: req.method, path: backendPath(to, req.url ?? '/'), headers }, up => {
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

export class ProxyConfigError extends Error {
  code = 'SHOP_ERR_REGISTRY_PROXY_CONFIG'
}

export const PROXY_USAGE = 'usage: registry-proxy <listenPort> <backendPort> [<stateDir> (KAFKA_AUTH=scram)]\n' +
  '  [--listen-host <addr>] [--backend-host <host>] [--backend-api apicurio|confluent] [--passwords-from-env]'

export interface ProxyOptions { listenHost: string, listenPort: number, backend: RegistryBackend, passwords: 'none' | PasswordSource }

/**
 * The program's arguments. The supervisor passes `<listenPort> <backendPort> [<stateDir>]` (Apicurio on
 * 127.0.0.1; a state folder means KAFKA_AUTH=scram, its secrets the passwords). compose/ runs it in a
 * container before cp-schema-registry: listening on every interface of the container (the host publishes
 * it on 127.0.0.1), no ccompat rewrite, and the passwords of compose/.env, which Compose hands the
 * container as VITRINE_KAFKA_PASSWORD_* variables (--passwords-from-env).
 */
export function proxyOptions (argv: string[], env: NodeJS.ProcessEnv = process.env): ProxyOptions {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'listen-host': { type: 'string', default: '127.0.0.1' },
        'backend-host': { type: 'string', default: '127.0.0.1' },
        'backend-api': { type: 'string', default: 'apicurio' },
        'passwords-from-env': { type: 'boolean', default: false }
      }
    })
  } catch (err) {
    throw new ProxyConfigError(`${(err as Error).message}\n${PROXY_USAGE}`)
  }
  const { values, positionals } = parsed
  const [listenPort, backendPort] = positionals.slice(0, 2).map(Number)
  const stateDir = positionals[2]
  const api = values['backend-api']
  if (!listenPort || !backendPort || positionals.length > 3 || (api !== 'apicurio' && api !== 'confluent')) throw new ProxyConfigError(PROXY_USAGE)
  if (stateDir !== undefined && values['passwords-from-env']) throw new ProxyConfigError(`a state folder or --passwords-from-env, not both\n${PROXY_USAGE}`)
  let passwords: ProxyOptions['passwords'] = 'none'
  if (stateDir !== undefined) passwords = { stateDir }
  if (values['passwords-from-env']) {
    const { credentials, missing } = composeEnvCredentials(env)
    // As kafka-start.sh: without every principal's password some service could never log in.
    if (missing.length > 0) throw new ProxyConfigError(`Faltam senhas do Kafka em compose/.env: ${missing.join(' ')}. Na raiz do repositório rode: ${SECRETS_COMMAND}`)
    passwords = { credentials: () => credentials }
  }
  return { listenHost: values['listen-host'], listenPort, backend: { host: values['backend-host'], port: backendPort, api }, passwords }
}

// Run as a program by the supervisor and by compose/ (proxyOptions); imported by tests.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let options: ProxyOptions
  try {
    options = proxyOptions(process.argv.slice(2))
  } catch (err) {
    console.error((err as Error).message)
    process.exit(2)
  }
  const { listenHost, listenPort, backend, passwords } = options
  // One line per write and per refusal: who changed which subject is in the registry's log.
  const onDecision = (d: RegistryDecision): void => { console.log(JSON.stringify({ time: new Date().toISOString(), msg: 'registry access', ...d })) }
  const server = createProxy(backend, passwords === 'none' ? { kafkaAuth: 'none' } : { kafkaAuth: 'scram', onDecision, ...passwords })
  const target = backend.api === 'apicurio' ? `Apicurio on :${backend.port}` : `the Confluent registry on ${backend.host}:${backend.port}`
  server.listen(listenPort, listenHost, () => console.log(`registry proxy on ${listenHost}:${listenPort} -> ${target}${passwords === 'none' ? '' : ' (writes need a Kafka principal\'s credentials)'}`))
  const close = (): void => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref() }
  process.on('SIGTERM', close)
  process.on('SIGINT', close)
}
