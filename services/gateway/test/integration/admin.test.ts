import { test } from 'node:test'
import assert from 'node:assert/strict'
import admin from '../../src/routes/api/admin.ts'
import { routesOverControl, routesWithoutControl } from './helper.ts'

// /api/admin/reset relays the control plane's reset. Behind it: the real control plane over a test
// shop of its own (its own topic prefix, group suffix and schema suffix, no service running), so the
// reset empties this test's tables only, never the shared stack's shop.

test('/api/admin/reset: without the confirmation word a 400 naming body.confirm (nothing reset); with it the control plane empties the shop\'s tables and answers its report', async t => {
  const { app, shop } = await routesOverControl(t, admin)

  // A table of this test's checkout schema with a row: what a reset must empty.
  const sql = shop.ctx.sql
  const schema = `checkout${shop.env.schemaSuffix}`
  await sql.unsafe(`create schema if not exists "${schema}"`)
  await sql.unsafe(`create table "${schema}".orders (id text primary key)`)
  await sql.unsafe(`insert into "${schema}".orders values ('o-1')`)
  const rows = async (): Promise<number> => (await sql.unsafe(`select count(*)::int as n from "${schema}".orders`))[0]!.n as number

  // No body, no word, another word, an extra field: each refused, naming what broke.
  const refused: Array<[unknown, RegExp]> = [[undefined, /body/], [{}, /body\.confirm/], [{ confirm: 'sim' }, /body\.confirm/], [{ confirm: 'reset', extra: 1 }, /body(\.extra)?"/]]
  for (const [payload, field] of refused) {
    const res = await app.inject({ method: 'POST', url: '/admin/reset', ...(payload !== undefined ? { payload: payload as object } : {}) })
    assert.equal(res.statusCode, 400, `${JSON.stringify(payload)} → ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.match(JSON.stringify(res.json().errors.map((e: { field: string }) => e.field)), field)
  }
  assert.equal(await rows(), 1, 'a refused reset empties nothing')

  const res = await app.inject({ method: 'POST', url: '/admin/reset', payload: { confirm: 'reset' } })
  assert.equal(res.statusCode, 200, res.body)
  const report = res.json() as { tables: Array<{ schema: string, table: string, rows: number }>, stopped: string[], trafficRate: number }
  assert.deepEqual(report.tables.filter(r => r.schema === schema), [{ schema, table: 'orders', rows: 1 }])
  assert.deepEqual(report.stopped, [])
  assert.equal(await rows(), 0, 'the reset emptied the table')
})

test('/api/admin/reset without the control plane: 502 whose hint says how to start it, never its address', async t => {
  const { app, url } = await routesWithoutControl(t, admin)
  const res = await app.inject({ method: 'POST', url: '/admin/reset', payload: { confirm: 'reset' } })
  assert.equal(res.statusCode, 502)
  assert.equal(res.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
  assert.match(res.json().details.hint, /make demo/)
  assert.ok(!res.body.includes(url), 'the address stays inside the gateway')
})
