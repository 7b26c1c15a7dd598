import type { Server } from 'node:http'
import { createServer, request } from 'node:http'
import { pathToFileURL } from 'node:url'

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

export function createProxy (backendPort: number): Server {
  const server = createServer((req, res) => {
    const upstream = request({ host: '127.0.0.1', port: backendPort, method: req.method, path: rewrite(req.url ?? '/'), headers: req.headers }, up => {
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

// Run as a program by the supervisor (`registry-proxy.ts <listenPort> <backendPort>`); imported by tests for rewrite().
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [listenPort, backendPort] = process.argv.slice(2).map(Number)
  if (!listenPort || !backendPort) {
    console.error('usage: registry-proxy <listenPort> <backendPort>')
    process.exit(2)
  }
  const server = createProxy(backendPort)
  server.listen(listenPort, '127.0.0.1', () => console.log(`registry proxy on :${listenPort} -> Apicurio on :${backendPort}`))
  const close = (): void => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref() }
  process.on('SIGTERM', close)
  process.on('SIGINT', close)
}
