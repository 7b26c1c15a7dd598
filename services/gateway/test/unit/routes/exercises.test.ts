import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { io as connect } from 'socket.io-client'
import { buildRoutes, errorsPlugin } from '@vitrine/service-kit'
import exercises from '../../../src/routes/api/exercises.ts'
import exercisesPlugin from '../../../src/plugins/app/exercises.ts'
import socketPlugin from '../../../src/plugins/external/socket.ts'
import type { GatewayConfigType } from '../../../src/config.ts'

// /api/exercises relays the control plane's exercises and checkers; here the control plane is either
// absent (a port nobody listens on) or a small HTTP server answering in its shape, so what the
// gateway adds is tested alone: validation, the 502 without an address, the 404, the socket push.
// The real control plane behind it: web/test/e2e/exercises.test.ts.

// As the control plane's board answers (infra/src/control/schemas.ts): the verdict beside the exercise's fields.
type Raw = { n: number, slug: string, title: string, concepts: string[], page: string, done: boolean, doneAt: string | null, checkedAt: string | null, setupAt: string | null, missing: string[], seen: string[], unavailable: string | null }
type View = Omit<Raw, 'done' | 'doneAt' | 'checkedAt' | 'setupAt' | 'missing' | 'seen' | 'unavailable'> & { status: Pick<Raw, 'done' | 'doneAt' | 'checkedAt' | 'setupAt' | 'missing' | 'seen' | 'unavailable'> }

const raw = (n: number, done: boolean): Raw => ({
  n,
  slug: `0${n}-teste`,
  title: `Exercício ${n}`,
  concepts: ['topicos'],
  page: `runbooks/exercicios/0${n}-teste.md`,
  done,
  doneAt: done ? '2026-11-30T11:00:00.000Z' : null,
  checkedAt: new Date().toISOString(),
  setupAt: '2026-11-30T10:00:00.000Z',
  missing: done ? [] : ['falta produzir'],
  seen: [],
  unavailable: null
})

/** A stand-in control plane: GET /exercises answers `state`, POST /exercises/:n/check marks n done. */
async function controlPlane (state: Raw[]): Promise<{ url: string, server: Server }> {
  const server = createServer((req, res) => {
    const check = /^\/exercises\/(\d+)\/check$/.exec(req.url ?? '')
    res.setHeader('content-type', 'application/json')
    if (req.method === 'GET' && req.url === '/exercises') return res.end(JSON.stringify({ exercises: state }))
    if (req.method === 'POST' && check) {
      const i = state.findIndex(e => e.n === Number(check[1]))
      if (i < 0) {
        res.statusCode = 404
        return res.end(JSON.stringify({ code: 'SHOP_ERR_NOT_FOUND', message: 'no such exercise' }))
      }
      state[i] = raw(state[i]!.n, true)
      return res.end(JSON.stringify(state[i]))
    }
    res.statusCode = 404
    res.end(JSON.stringify({ code: 'SHOP_ERR_ROUTE_NOT_FOUND', message: 'no route' }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

async function deadUrl (): Promise<string> {
  const { url, server } = await controlPlane([])
  await new Promise<void>(resolve => server.close(() => resolve()))
  return url
}

const config = (url: string): GatewayConfigType => ({ CONTROL_URL: url, CONTROL_TIMEOUT_MS: 2000, EXERCISES_POLL_MS: 250 }) as GatewayConfigType

test('the control plane not there: a 502 that says how to start it, without its address', async t => {
  const app = await buildRoutes(exercises, { config: config(await deadUrl()) }, ['exercises'])
  t.after(async () => { await app.close() })
  for (const [method, url] of [['GET', '/exercises'], ['POST', '/exercises/3/check']] as const) {
    const res = await app.inject({ method, url })
    assert.equal(res.statusCode, 502, `${method} ${url} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
    assert.match(res.json().details.hint, /suba com make demo/)
    assert.doesNotMatch(res.body, /127\.0\.0\.1|http:/, 'no internal URL in the error body')
  }
})

test('POST /exercises/:n/check: a number out of range or not a number is a 400 naming params.n; an exercise the course lacks is a 404', async t => {
  const cp = await controlPlane([raw(1, false)])
  t.after(() => { cp.server.close() })
  const app = await buildRoutes(exercises, { config: config(cp.url) }, [], { exercises: { seen: () => {}, latest: () => undefined } })
  t.after(async () => { await app.close() })
  for (const url of ['/exercises/abc/check', '/exercises/0/check', '/exercises/100/check']) {
    const res = await app.inject({ method: 'POST', url })
    assert.equal(res.statusCode, 400, `${url} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().errors[0].field, 'params.n', res.body)
  }
  const missing = await app.inject({ method: 'POST', url: '/exercises/42/check' })
  assert.equal(missing.statusCode, 404, missing.body)
  assert.equal(missing.json().code, 'SHOP_ERR_NOT_FOUND')
  const list = await app.inject({ method: 'GET', url: '/exercises' })
  assert.equal(list.statusCode, 200, list.body)
  assert.deepEqual(list.json().exercises.map((e: View) => [e.n, e.status.done, e.status.missing]), [[1, false, ['falta produzir']]])
})

test('while a browser is connected, a status that changes is pushed as `exercises`; one that does not is not pushed again', async t => {
  const state = [raw(1, false), raw(2, false)]
  const cp = await controlPlane(state)
  t.after(() => { cp.server.close() })
  const app = Fastify({ logger: false })
  await app.register(errorsPlugin)
  await app.register(socketPlugin, { config: config(cp.url) })
  await app.register(exercisesPlugin, { config: config(cp.url) })
  await app.register(exercises, { prefix: '/api', config: config(cp.url) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.after(async () => { await app.close() })

  const socket = connect(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, { transports: ['websocket'] })
  t.after(() => { socket.close() })
  const pushes: View[][] = []
  socket.on('exercises', (m: { exercises: View[] }) => { pushes.push(m.exercises) })
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    const deadline = Date.now() + 5000
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(pushes)}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  await until('the first push', () => pushes.length === 1)
  assert.deepEqual(pushes[0]!.map(e => e.status.done), [false, false])
  // Several polls with nothing changed (checkedAt moves, which is not a change): no push.
  await new Promise(resolve => setTimeout(resolve, 800))
  assert.equal(pushes.length, 1)

  // The student's work, seen by the control plane: the next poll pushes it.
  state[1] = raw(2, true)
  await until('exercise 2 done', () => pushes.length === 2)
  assert.deepEqual(pushes[1]!.map(e => [e.n, e.status.done, e.status.doneAt]), [[1, false, null], [2, true, '2026-11-30T11:00:00.000Z']])

  // "verificar agora" answers with the exercise and pushes the change at once.
  const res = await app.inject({ method: 'POST', url: '/api/exercises/1/check' })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().status.done, true)
  await until('exercise 1 done', () => pushes.length === 3)
  assert.deepEqual(pushes[2]!.map(e => e.status.done), [true, true])
})
