import { test } from 'node:test'
import assert from 'node:assert/strict'
import routes from '../../../src/routes/catalog.ts'
import { routesOnEmptyDb } from '@vitrine/infra/testing/openapi'

test('GET /catalog with an empty replica is an empty list; a method it does not take is the route-not-found body', async t => {
  const app = await routesOnEmptyDb(t, routes, {})
  const res = await app.inject({ method: 'GET', url: '/catalog' })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(res.json(), { products: [] })
  const post = await app.inject({ method: 'POST', url: '/catalog', payload: {} })
  assert.equal(post.statusCode, 404)
  assert.equal(post.json().code, 'SHOP_ERR_ROUTE_NOT_FOUND')
})
