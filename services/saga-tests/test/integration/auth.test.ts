import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { assertJwtMatrix, jwtTestConfig, matrixTokens, waitFor } from '@vitrine/infra/testing'
import { signToken } from '@vitrine/service-kit'
import { Saga, orderBody } from '../../src/index.ts'
import type { ServiceId } from '../../src/harness.ts'

// HTTP_AUTH=jwt on the shop's services (issue 16): the JWT matrix on every route each one
// registered, and a customer's token sees only its own orders and sagas.
const auth = jwtTestConfig()
const SERVICES: ServiceId[] = ['inventory', 'orchestrator', 'checkout-api']
let saga: Saga
before(async () => {
  saga = await Saga.start({ services: SERVICES, env: Object.fromEntries(SERVICES.map(s => [s, { ...auth }])) })
})
after(async () => { await saga?.close() })

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })
const ana = signToken(auth, { sub: 'ana-jwt', role: 'customer' })
const bruno = signToken(auth, { sub: 'bruno-jwt', role: 'customer' })
const instructor = matrixTokens(auth).instructor!

for (const id of SERVICES) {
  test(`the JWT matrix holds on every ${id} route, and the refusals are in its OpenAPI document`, async () => {
    const app = saga.running.get(id)!.app!
    const { checked } = await assertJwtMatrix(app, auth)
    assert.ok(checked >= 1, `${id}: closed routes checked`)
  })
}

test('a customer orders only as itself, reads only its own orders (another\'s is a 404) and its own list; the instructor reads all', async () => {
  const refused = await saga.placeOrder(orderBody('bruno-jwt', [{ productId: 'prod_1', quantity: 1 }]), bearer(ana))
  assert.equal(refused.status, 403)
  assert.equal(refused.body.code, 'SHOP_ERR_FORBIDDEN')
  assert.equal((await saga.placeOrder(orderBody('ana-jwt', [{ productId: 'prod_1', quantity: 1 }]), { authorization: '' })).status, 401, 'no token')

  const placed = await saga.placeOrder(orderBody('ana-jwt', [{ productId: 'prod_1', quantity: 1 }], { mode: 'orchestration' }), bearer(ana))
  assert.equal(placed.status, 202, JSON.stringify(placed.body))
  const orderId = placed.body.orderId as string

  assert.equal((await saga.request('checkout-api', 'GET', `/orders/${orderId}`, undefined, bearer(ana))).status, 200)
  const other = await saga.request('checkout-api', 'GET', `/orders/${orderId}`, undefined, bearer(bruno))
  assert.equal(other.status, 404)
  assert.equal(other.body.code, 'SHOP_ERR_NOT_FOUND')
  assert.equal((await saga.request('checkout-api', 'GET', `/orders/${orderId}`, undefined, bearer(instructor))).status, 200)

  const mine = await saga.request('checkout-api', 'GET', '/orders?limit=500', undefined, bearer(ana))
  assert.ok(mine.body.orders.some((o: { orderId: string }) => o.orderId === orderId))
  const theirs = await saga.request('checkout-api', 'GET', '/orders?limit=500', undefined, bearer(bruno))
  assert.deepEqual(theirs.body.orders, [], 'bruno has no orders: the list shows none of ana\'s')
  assert.deepEqual(theirs.body.counts, {})
  const all = await saga.request('checkout-api', 'GET', '/orders?limit=500', undefined, bearer(instructor))
  assert.ok(all.body.orders.some((o: { orderId: string }) => o.orderId === orderId))

  // The orchestrated saga: its customer's, and the instructor's; another customer gets a 404.
  await waitFor('the orchestrator to start the saga', async () => (await saga.request('orchestrator', 'GET', `/sagas/${orderId}`, undefined, bearer(ana))).status === 200)
  assert.equal((await saga.request('orchestrator', 'GET', `/sagas/${orderId}`, undefined, bearer(bruno))).status, 404)
  assert.equal((await saga.request('orchestrator', 'GET', `/sagas/${orderId}`, undefined, bearer(instructor))).status, 200)
  assert.equal((await saga.request('orchestrator', 'GET', '/sagas', undefined, bearer(ana))).status, 403)
})
