import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { testEnv } from '@vitrine/infra/testing/saga'
import { compensate, connect, createRegistry, kitMetrics, migrate } from '../../src/index.ts'
import type { CompensationCause, CompensationHost, CompensationSteps, Db, OutboxEvent, Tx } from '../../src/index.ts'

// The compensation skeleton against PostgreSQL (no broker): dedup, find, undo once, outbox event,
// all in one transaction, and vitrine_compensations_total counting only what was undone and committed.
// A stand-in aggregate: one charge per order, 'held' until refunded.

const env = testEnv()
const schema = `compensation_test${env.schemaSuffix}`
let sql: Db

interface Held { order_id: string, status: 'held' | 'refunded' | 'cancelled' }

before(async () => {
  sql = connect(env.databaseUrl, schema, 2)
  await migrate(sql, schema, undefined)
  await sql`create table held (order_id text primary key, status text not null)`
})

after(async () => {
  await sql?.unsafe(`drop schema if exists "${schema}" cascade`)
  await sql?.end({ timeout: 5 })
})

const refunded = (orderId: string): OutboxEvent<'payments.refunded'> => ({
  topic: 'payments.refunded',
  value: { eventId: randomUUID(), orderId, paymentId: 'p', customerId: 'c', amountCents: 100, reason: 'test', occurredAt: Date.now() },
  headers: {}
})

function steps (orderId: string, calls: string[], opts: { failUndo?: boolean } = {}): CompensationSteps<Held> {
  return {
    find: async (tx: Tx) => (await tx<Held[]>`select order_id, status from held where order_id = ${orderId} for update`)[0],
    markCancelled: async tx => {
      calls.push('markCancelled')
      await tx`insert into held (order_id, status) values (${orderId}, 'cancelled')`
      return []
    },
    undoable: row => row.status === 'held',
    undo: async (tx, row) => {
      calls.push('undo')
      await tx`update held set status = 'refunded' where order_id = ${row.order_id}`
      if (opts.failUndo) throw new Error('injected: undo failed after its update')
      return [refunded(orderId)]
    },
    settled: row => { calls.push(`settled:${row.status}`); return [] }
  }
}

/** A service's transaction and metrics, as a Fastify app with kit's plugins gives them. */
function host (): CompensationHost & { counted: (mode: string) => Promise<number> } {
  const registry = createRegistry('payment')
  const metrics = { kit: kitMetrics(registry) }
  return {
    tx: async fn => await sql.begin(fn) as never,
    metrics,
    counted: async mode => (await metrics.kit.compensations.get()).values.find(v => v.labels.kind === 'refund' && v.labels.mode === mode)?.value ?? 0
  }
}

const cause = (topic: string, mode: CompensationCause['mode'] = 'choreography'): CompensationCause => ({ eventId: randomUUID(), topic, mode })

const outboxFor = async (orderId: string): Promise<number> => (await sql`select 1 from outbox where key = ${orderId}`).length

test('undoes once: the same cause again is a duplicate, a new cause finds it settled; one outbox event, counted once under its mode', async () => {
  const orderId = randomUUID()
  await sql`insert into held (order_id, status) values (${orderId}, 'held')`
  const calls: string[] = []
  const h = host()
  const first = cause('orders.failed')
  assert.equal(await compensate(h, 'refund', first, steps(orderId, calls)), 'undone')
  assert.equal(await compensate(h, 'refund', first, steps(orderId, calls)), 'duplicate')
  assert.equal(await compensate(h, 'refund', cause('payments.commands', 'orchestration'), steps(orderId, calls)), 'settled')
  assert.deepEqual(calls, ['undo', 'settled:refunded'])
  assert.equal(await outboxFor(orderId), 1)
  assert.equal(await h.counted('choreography'), 1)
  assert.equal(await h.counted('orchestration'), 0, 'nothing left to undo is not a compensation')
})

test('orchestration mode: the undo is counted under mode="orchestration"', async () => {
  const orderId = randomUUID()
  await sql`insert into held (order_id, status) values (${orderId}, 'held')`
  const h = host()
  assert.equal(await compensate(h, 'refund', cause('payments.commands', 'orchestration'), steps(orderId, [])), 'undone')
  assert.equal(await h.counted('orchestration'), 1)
  assert.equal(await h.counted('choreography'), 0)
})

test('nothing held yet: a cancelled marker is left, and a later compensation finds it settled', async () => {
  const orderId = randomUUID()
  const calls: string[] = []
  const h = host()
  assert.equal(await compensate(h, 'refund', cause('orders.failed'), steps(orderId, calls)), 'cancelled')
  const [row] = await sql`select status from held where order_id = ${orderId}`
  assert.equal(row?.status, 'cancelled')
  assert.equal(await compensate(h, 'refund', cause('orders.failed'), steps(orderId, calls)), 'settled')
  assert.deepEqual(calls, ['markCancelled', 'settled:cancelled'])
  assert.equal(await h.counted('choreography'), 0, 'a cancelled marker undoes nothing')
})

test('an undo that throws leaves nothing behind: not undone, not marked seen, so the retry applies it', async () => {
  const orderId = randomUUID()
  await sql`insert into held (order_id, status) values (${orderId}, 'held')`
  const calls: string[] = []
  const h = host()
  const again = cause('orders.failed')
  await assert.rejects(compensate(h, 'refund', again, steps(orderId, calls, { failUndo: true })), /injected/)
  assert.equal((await sql`select status from held where order_id = ${orderId}`)[0]?.status, 'held')
  assert.equal(await h.counted('choreography'), 0, 'a rolled-back undo is not counted')
  assert.equal(await compensate(h, 'refund', again, steps(orderId, calls)), 'undone')
  assert.equal(await outboxFor(orderId), 1)
  assert.equal(await h.counted('choreography'), 1)
})

test('an event the topic schema refuses fails the compensation as a whole (the undo is rolled back)', async () => {
  const orderId = randomUUID()
  await sql`insert into held (order_id, status) values (${orderId}, 'held')`
  const broken = steps(orderId, [])
  const bad = { ...broken, undo: async (tx: Tx, row: Held) => { await broken.undo(tx, row); return [{ ...refunded(orderId), value: { orderId } }] as never } }
  await assert.rejects(compensate(host(), 'refund', cause('orders.failed'), bad))
  assert.equal((await sql`select status from held where order_id = ${orderId}`)[0]?.status, 'held')
  assert.equal(await outboxFor(orderId), 0)
})
