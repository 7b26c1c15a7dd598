import { test } from 'node:test'
import assert from 'node:assert/strict'
import chaos from '../../src/routes/api/chaos.ts'
import { routesOverControl, routesWithoutControl } from './helper.ts'

// /api/chaos relays the control plane's drills. Behind it here: the real control plane's routes over
// a test shop that runs no service (nothing is started, so every drill is unavailable), enough for what
// the gateway adds: its own validation, the control plane's 400/404/409 passed through, and the 502
// without an address when the control plane is not there. A drill running end to end through the
// gateway and the page: web/test/full/chaos.test.ts (make test-full).

test('/api/chaos over the control plane: the scenes, an unknown scene is a 400 naming body.scene, a bad length is the gateway\'s own 400, an unavailable drill a 409 with its reason, an unknown run a 404', async t => {
  const { app } = await routesOverControl(t, chaos)

  const scenes = await app.inject({ method: 'GET', url: '/chaos/scenes' })
  assert.equal(scenes.statusCode, 200)
  const list = scenes.json().scenes as Array<{ name: string, unavailable: string | null }>
  assert.ok(list.some(s => s.name === 'pagamento-parado'))
  assert.ok(list.every(s => s.unavailable !== null), 'no service runs, so no drill can')

  const unknown = await app.inject({ method: 'POST', url: '/chaos/drills', payload: { scene: 'apagao' } })
  assert.equal(unknown.statusCode, 400, unknown.body)
  assert.equal(unknown.json().code, 'SHOP_ERR_VALIDATION')
  assert.equal(unknown.json().errors[0].field, 'body.scene')
  assert.match(unknown.json().errors[0].message, /pagamento-parado/)

  const short = await app.inject({ method: 'POST', url: '/chaos/drills', payload: { scene: 'pagamento-parado', seconds: 0 } })
  assert.equal(short.statusCode, 400)
  assert.match(JSON.stringify(short.json().errors), /body\.seconds/)
  const odd = await app.inject({ method: 'POST', url: '/chaos/drills', payload: { scene: 'Pagamento Parado' } })
  assert.equal(odd.statusCode, 400)
  assert.match(JSON.stringify(odd.json().errors), /body\.scene/)

  const unavailable = await app.inject({ method: 'POST', url: '/chaos/drills', payload: { scene: 'pagamento-parado', seconds: 1 } })
  assert.equal(unavailable.statusCode, 409, unavailable.body)
  assert.equal(unavailable.json().code, 'SHOP_ERR_DRILL_UNAVAILABLE')
  assert.match(unavailable.json().details.reason, /payment/)

  assert.equal((await app.inject({ method: 'GET', url: '/chaos/drills/nao-existe' })).statusCode, 404)
  assert.deepEqual((await app.inject({ method: 'GET', url: '/chaos/drills' })).json(), { runs: [] })

  // The fault toggles (the control plane's /faults): no service runs here, so each is listed as stopped, and "limpar tudo" answers the list.
  for (const method of ['GET', 'DELETE'] as const) {
    const faults = await app.inject({ method, url: '/chaos/faults' })
    assert.equal(faults.statusCode, 200, faults.body)
    assert.ok(Array.isArray(faults.json().services))
    assert.ok(faults.json().services.every((s: { running: boolean }) => !s.running))
  }
})

test('the control plane not there: a 502 that says how to start it, without its address', async t => {
  const { app } = await routesWithoutControl(t, chaos)
  for (const [method, url, payload] of [['GET', '/chaos/scenes', undefined], ['GET', '/chaos/drills', undefined], ['POST', '/chaos/drills', { scene: 'rajada' }]] as const) {
    const res = await app.inject({ method, url, ...(payload ? { payload } : {}) })
    assert.equal(res.statusCode, 502, `${method} ${url} → ${res.statusCode} ${res.body}`)
    assert.equal(res.json().code, 'SHOP_ERR_UPSTREAM_UNAVAILABLE')
    assert.match(res.json().details.hint, /make demo/)
    assert.doesNotMatch(res.body, /127\.0\.0\.1|http:/, 'no internal URL in the error body')
  }
})
