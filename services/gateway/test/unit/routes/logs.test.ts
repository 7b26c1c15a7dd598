import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildRoutes } from '@vitrine/service-kit'
import logs from '../../../src/routes/api/logs.ts'

// GET /orders/:orderId/logs on a fixture log folder: pino JSON lines as the services write them,
// plus what a log file also holds (non-JSON output, other orders, lines before the tail).

const ORDER = '0193a5c2-7d1e-7c3a-9f00-3b2f0c1d9e11'
const OTHER = '0193a5c2-7d1e-7c3a-9f00-3b2f0c1d9e99'

const line = (service: string, time: string, msg: string, extra: Record<string, unknown> = {}, level = 30): string =>
  JSON.stringify({ level, time, pid: 1, hostname: 'h', service, ...extra, msg })

function fixture (t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-logs-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function build (t: { after: (fn: () => Promise<void>) => void }, config: { LOG_DIR: string, LOG_TAIL_BYTES?: number, LOG_MAX_LINES?: number }): Promise<FastifyInstance> {
  const app = await buildRoutes(logs, { config: { LOG_TAIL_BYTES: 1024 * 1024, LOG_MAX_LINES: 500, ...config } }, [])
  t.after(async () => { await app.close() })
  return app
}

test('every service\'s lines of the order, merged in time order; non-JSON lines and other orders\' lines are left out', async t => {
  const dir = fixture(t)
  writeFileSync(join(dir, 'checkout-api.log'), [
    'tsx: starting checkout-api',
    line('checkout-api', '2026-11-30T11:20:03.100Z', 'order accepted', { orderId: ORDER, reqId: 'req-1', mode: 'choreography' }),
    line('checkout-api', '2026-11-30T11:20:03.101Z', 'order accepted', { orderId: OTHER }),
    `{"broken": "${ORDER}"`,
    line('checkout-api', '2026-11-30T11:20:03.400Z', 'order finished', { orderId: ORDER, topic: 'inventory.reserved', outcome: 'confirm' })
  ].join('\n') + '\n')
  writeFileSync(join(dir, 'payment.log'), [
    line('payment', '2026-11-30T11:20:03.150Z', 'charge requested', { orderId: ORDER, topic: 'orders.new', partition: 2, offset: 41, eventId: 'e-1' }),
    line('payment', '2026-11-30T11:20:03.200Z', 'handler failed, retrying', { orderId: ORDER, err: { type: 'Error', message: 'db down', stack: 'Error: db down\n at x' }, attempt: 1, sent: ['a', 'b'], nested: { no: 1 } }, 40)
  ].join('\n') + '\n')
  writeFileSync(join(dir, 'inventory.log'), line('inventory', '2026-11-30T11:20:03.170Z', 'stock reserved', { orderId: ORDER, items: 2 }) + '\n')
  // Not a service's log: the broker's (same folder), a bench copy's, anything else.
  for (const other of ['notes.txt', 'kafka-1-broker.log', 'bench-payment.log']) writeFileSync(join(dir, other), line('x', '2026-11-30T11:20:03.000Z', 'not a service log', { orderId: ORDER }) + '\n')
  const app = await build(t, { LOG_DIR: dir })
  const res = await app.inject({ method: 'GET', url: `/orders/${ORDER}/logs` })
  assert.equal(res.statusCode, 200, res.body)
  const body = res.json()
  assert.equal(body.orderId, ORDER)
  assert.deepEqual(body.lines.map((l: { service: string, msg: string }) => `${l.service}: ${l.msg}`), [
    'checkout-api: order accepted',
    'payment: charge requested',
    'inventory: stock reserved',
    'payment: handler failed, retrying',
    'checkout-api: order finished'
  ])
  assert.deepEqual(body.lines[1], { time: '2026-11-30T11:20:03.150Z', service: 'payment', level: 'info', msg: 'charge requested', fields: { topic: 'orders.new', partition: 2, offset: 41, eventId: 'e-1' } })
  // The error's message, not its stack; arrays of scalars kept, objects left out.
  assert.deepEqual(body.lines[3].fields, { attempt: 1, sent: ['a', 'b'], error: 'db down' })
  assert.equal(body.lines[3].level, 'warn')
  assert.equal(body.truncated, false)
  assert.deepEqual(body.logDir, { path: dir, exists: true })
  assert.equal(body.hint, null)
})

test('only the tail of each file is read, and at most LOG_MAX_LINES lines are kept (the most recent)', async t => {
  const dir = fixture(t)
  const early = line('payment', '2026-11-30T11:00:00.000Z', 'early line', { orderId: ORDER })
  const filler = Array.from({ length: 200 }, (_, i) => line('payment', '2026-11-30T11:10:00.000Z', `other ${i}`, { orderId: OTHER }))
  const late = Array.from({ length: 5 }, (_, i) => line('payment', `2026-11-30T11:20:0${i}.000Z`, `late ${i}`, { orderId: ORDER }))
  writeFileSync(join(dir, 'payment.log'), [early, ...filler, ...late].join('\n') + '\n')
  const tail = 2048
  assert.ok(late.join('\n').length + 1 < tail && early.length + filler.join('\n').length > tail, 'the early line is outside the tail, the late ones inside')
  const app = await build(t, { LOG_DIR: dir, LOG_TAIL_BYTES: tail })
  const all = (await app.inject({ method: 'GET', url: `/orders/${ORDER}/logs` })).json()
  assert.deepEqual(all.lines.map((l: { msg: string }) => l.msg), ['late 0', 'late 1', 'late 2', 'late 3', 'late 4'])
  assert.equal(all.truncated, false)

  const capped = await build(t, { LOG_DIR: dir, LOG_TAIL_BYTES: tail, LOG_MAX_LINES: 3 })
  const few = (await capped.inject({ method: 'GET', url: `/orders/${ORDER}/logs` })).json()
  assert.deepEqual(few.lines.map((l: { msg: string }) => l.msg), ['late 2', 'late 3', 'late 4'])
  assert.equal(few.truncated, true)
})

test('a file read in many chunks: every line of the order is found, also those across a chunk boundary, and the last line without its newline', async t => {
  const dir = fixture(t)
  const all = Array.from({ length: 6000 }, (_, i) => line('inventory', new Date(Date.UTC(2026, 10, 30, 11) + i).toISOString(), `line ${i}`, { orderId: i % 7 === 0 ? ORDER : OTHER, pad: 'x'.repeat(i % 97) }))
  writeFileSync(join(dir, 'inventory.log'), all.join('\n'))
  assert.ok(all.join('\n').length > 4 * 256 * 1024, 'several read chunks')
  const app = await build(t, { LOG_DIR: dir, LOG_TAIL_BYTES: 10 * 1024 * 1024, LOG_MAX_LINES: 10_000 })
  const body = (await app.inject({ method: 'GET', url: `/orders/${ORDER}/logs` })).json()
  const want = Array.from({ length: 6000 }, (_, i) => i).filter(i => i % 7 === 0).map(i => `line ${i}`)
  assert.equal(want.at(-1), 'line 5999', 'the last line, without a newline, is one of the order\'s')
  assert.deepEqual(body.lines.map((l: { msg: string }) => l.msg), want)
})

test('no line: 200 with an empty list, and a hint when the log folder does not exist', async t => {
  const dir = fixture(t)
  writeFileSync(join(dir, 'payment.log'), line('payment', '2026-11-30T11:20:00.000Z', 'charge requested', { orderId: OTHER }) + '\n')
  const app = await build(t, { LOG_DIR: dir })
  const none = await app.inject({ method: 'GET', url: `/orders/${ORDER}/logs` })
  assert.equal(none.statusCode, 200)
  assert.deepEqual(none.json().lines, [])
  assert.equal(none.json().logDir.exists, true)

  const missing = await build(t, { LOG_DIR: join(dir, 'nowhere') })
  const res = await missing.inject({ method: 'GET', url: `/orders/${ORDER}/logs` })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json().lines, [])
  assert.deepEqual(res.json().logDir, { path: join(dir, 'nowhere'), exists: false })
  assert.match(res.json().hint, /does not exist/)
})

test('a bad order id is a 400 naming params.orderId and the rule', async t => {
  const app = await build(t, { LOG_DIR: fixture(t) })
  for (const [id, rule] of [['a%20b', 'pattern'], ['..%2F..%2Fetc', 'pattern'], ['x'.repeat(65), 'maxLength']] as const) {
    const res = await app.inject({ method: 'GET', url: `/orders/${id}/logs` })
    assert.equal(res.statusCode, 400, `${id} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.ok(res.json().errors.some((e: { field: string, rule: string }) => e.field === 'params.orderId' && e.rule === rule), res.body)
  }
})
