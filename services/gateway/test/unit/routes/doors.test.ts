import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { ShopError, doorsPlugin, errorsPlugin, loadConfig, serverOptions } from '@vitrine/service-kit'
import compareRoutes from '../../../src/routes/api/compare.ts'
import socketPlugin from '../../../src/plugins/external/socket.ts'
import { atMostRunning } from '../../../src/lib/running.ts'
import { GatewayConfig } from '../../../src/config.ts'

// The browser's door closed to other sites (issue 16): socket.io and REST refuse a foreign Origin, the
// feed caps its connections and each one's messages, /compare runs one at a time. No broker needed.

async function gateway (t: { after: (fn: () => Promise<void>) => void }, env: Record<string, string> = {}) {
  const config = loadConfig(GatewayConfig, { LOG_LEVEL: 'silent', ...env })
  const app = Fastify(serverOptions('gateway', config))
  await app.register(errorsPlugin)
  await app.register(doorsPlugin, { config })
  await app.register(socketPlugin, { config })
  // The plugin's cap around a comparison that runs until the test lets it end (then fails like a service that is down).
  const waiting: Array<() => void> = []
  app.decorate('compare', atMostRunning(config.COMPARE_MAX_RUNNING, 'a comparison', async () => {
    await new Promise<void>(resolve => waiting.push(resolve))
    throw new ShopError('SHOP_ERR_UPSTREAM_UNAVAILABLE', 'checkout-api is not reachable (ECONNREFUSED)', 502, { service: 'checkout-api' })
  }))
  await app.register(compareRoutes, { prefix: '/api' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const sockets: Socket[] = []
  t.after(async () => {
    for (const s of sockets) s.close()
    for (const w of waiting) w()
    await app.close()
  })
  const port = (app.server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}`
  /** 'connected', or the client's connect_error message. */
  const attempt = async (headers: Record<string, string>, transport: 'websocket' | 'polling' = 'websocket'): Promise<{ result: string, socket: Socket }> =>
    await new Promise(resolve => {
      const socket = connect(url, { transports: [transport], reconnection: false, timeout: 5000, extraHeaders: headers })
      sockets.push(socket)
      socket.on('connect', () => resolve({ result: 'connected', socket }))
      socket.on('connect_error', err => { socket.close(); resolve({ result: err.message, socket }) })
    })
  return { app, url, port, attempt, waiting }
}

test('socket.io: a page of another site is refused (WebSocket and polling); the UI\'s origin, the gateway\'s own and a non-browser client connect', async t => {
  const g = await gateway(t)
  assert.notEqual((await g.attempt({ origin: 'https://evil.example' })).result, 'connected')
  assert.notEqual((await g.attempt({ origin: 'https://evil.example' }, 'polling')).result, 'connected')
  assert.notEqual((await g.attempt({ origin: 'http://localhost:3000.evil.example' })).result, 'connected')
  // A rebound DNS name reaching the gateway is refused too.
  assert.notEqual((await g.attempt({ host: `rebind.attacker.example:${g.port}` })).result, 'connected')
  assert.equal((await g.attempt({ origin: 'http://localhost:3000' })).result, 'connected')
  assert.equal((await g.attempt({ origin: 'http://localhost:3000' }, 'polling')).result, 'connected')
  assert.equal((await g.attempt({ origin: g.url })).result, 'connected')
  assert.equal((await g.attempt({})).result, 'connected')
})

test('socket.io: one browser more than SOCKET_MAX_CONNECTIONS is refused; one that sends too many messages is disconnected', async t => {
  const g = await gateway(t, { SOCKET_MAX_CONNECTIONS: '2', SOCKET_MAX_MESSAGES_PER_SECOND: '5' })
  const first = await g.attempt({})
  assert.equal(first.result, 'connected')
  assert.equal((await g.attempt({})).result, 'connected')
  assert.notEqual((await g.attempt({})).result, 'connected')
  const closed = new Promise<string>(resolve => first.socket.on('disconnect', reason => resolve(reason)))
  for (let i = 0; i < 20; i++) first.socket.emit('hello', i)
  assert.equal(await closed, 'io server disconnect')
  // Its place is free again.
  await new Promise(resolve => setTimeout(resolve, 100))
  assert.equal((await g.attempt({})).result, 'connected')
})

test('REST: a foreign Origin is a 403; /compare runs one at a time (409 while one runs), and frees its slot when it ends', async t => {
  const g = await gateway(t)
  const body = { customerId: 'turma', items: [{ productId: 'prod_1', quantity: 1 }] }
  const foreign = await fetch(`${g.url}/api/compare`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify(body) })
  assert.equal(foreign.status, 403)
  assert.equal((await foreign.json() as { code: string }).code, 'SHOP_ERR_ORIGIN_NOT_ALLOWED')
  const post = async () => await g.app.inject({ method: 'POST', url: '/api/compare', headers: { origin: 'http://localhost:3000' }, payload: body })
  const running = post()
  while (g.waiting.length === 0) await new Promise(resolve => setTimeout(resolve, 5))
  const busy = await post()
  assert.equal(busy.statusCode, 409)
  assert.equal(busy.json().code, 'SHOP_ERR_BUSY')
  assert.deepEqual(busy.json().errors.map((e: { rule: string }) => e.rule), ['maxRunning'])
  g.waiting.shift()!()
  assert.equal((await running).statusCode, 502)
  // The failed one released its slot: the next one runs (and waits) instead of a 409.
  const next = post()
  while (g.waiting.length === 0) await new Promise(resolve => setTimeout(resolve, 5))
  g.waiting.shift()!()
  assert.equal((await next).statusCode, 502)
})
