import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildRoutes } from '@vitrine/service-kit'
import { startControlApi, startExerciseShop } from '@vitrine/infra/testing'
import instances from '../../src/routes/api/instances.ts'
import type { GatewayConfigType } from '../../src/config.ts'

// /api/instances over the real control plane, on a test shop running inventory: its second copy is
// listed, started (it answers on its own port, in the same group) and stopped again; a service that
// has no copy is the gateway's 400 naming params.service. The group's rebalance itself:
// infra/test/integration/control/plane.test.ts.

const config = (url: string): GatewayConfigType => ({ CONTROL_URL: url, CONTROL_TIMEOUT_MS: 2000, KAFKA_GROUP_SUFFIX: '-tgw' }) as GatewayConfigType

test('/api/instances: inventory\'s second copy listed, started and stopped through the control plane; bad input named', async t => {
  const shop = await startExerciseShop({ services: ['inventory'] })
  t.after(async () => { await shop.close() })
  const control = await startControlApi(shop.plane)
  t.after(async () => { await control.close() })
  const app = await buildRoutes(instances, { config: config(control.url) }, [])
  t.after(async () => {
    await app.inject({ method: 'POST', url: '/instances/inventory/stop' })
    await app.close()
  })

  const listed = await app.inject({ method: 'GET', url: '/instances' })
  assert.equal(listed.statusCode, 200, listed.body)
  assert.deepEqual(listed.json().copies.map((c: { name: string, running: boolean }) => [c.name, c.running]), [['inventory-2', false]])

  const started = await app.inject({ method: 'POST', url: '/instances/inventory/start' })
  assert.equal(started.statusCode, 200, started.body)
  const copy = started.json() as { service: string, name: string, group: string, running: boolean, port: number }
  assert.deepEqual([copy.service, copy.name, copy.group, copy.running], ['inventory', 'inventory-2', 'inventory-tgw', true])
  const health = await fetch(`http://127.0.0.1:${copy.port}/health`)
  assert.equal(health.status, 200, 'the copy answers on its own port')

  const stopped = await app.inject({ method: 'POST', url: '/instances/inventory/stop' })
  assert.equal(stopped.statusCode, 200, stopped.body)
  assert.equal(stopped.json().running, false)

  const bad = await app.inject({ method: 'POST', url: '/instances/gateway/start' })
  assert.equal(bad.statusCode, 400)
  assert.ok(bad.json().errors.some((e: { field: string }) => e.field === 'params.service'), bad.body)
  // A saga service this shop does not run has no copy to start: the control plane's 404 passes through.
  const absent = await app.inject({ method: 'POST', url: '/instances/payment/start' })
  assert.equal(absent.statusCode, 404, absent.body)
  assert.equal(absent.json().code, 'SHOP_ERR_COMPONENT_NOT_FOUND')
})
