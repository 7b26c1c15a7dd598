import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import routes from '../../../src/routes/traffic.ts'
import { TrafficGenerator } from '../../../src/plugins/app/traffic.ts'
import type { CheckoutConfigType } from '../../../src/config.ts'
import { fieldRules, routesOnEmptyDb } from '@vitrine/infra/testing/openapi'

// The generator is real but never sends: no test here starts it at a rate above 0.
function generator (): TrafficGenerator {
  return new TrafficGenerator({} as FastifyInstance, { SAGA_MODE_DEFAULT: 'orchestration' } as CheckoutConfigType)
}

test('PUT /traffic: a rate out of range, an unknown mode or field, a share above 1 are 400s naming each', async t => {
  const traffic = generator()
  const app = await routesOnEmptyDb(t, routes, {}, { traffic })
  const cases: Array<{ payload: object, errors: string[][] }> = [
    { payload: {}, errors: [['body.rate', 'required']] },
    { payload: { rate: 501 }, errors: [['body.rate', 'maximum']] },
    { payload: { rate: '5' }, errors: [['body.rate', 'type']] },
    { payload: { rate: 1, mode: 'both', failPaymentShare: 2, burst: true }, errors: [['body.burst', 'additionalProperties'], ['body.failPaymentShare', 'maximum'], ['body.mode', 'enum']] }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'PUT', url: '/traffic', payload: c.payload })
    assert.equal(res.statusCode, 400, res.body)
    assert.equal(res.json().code, 'SHOP_ERR_VALIDATION')
    assert.deepEqual(fieldRules(res.json()).sort(), c.errors, res.body)
  }
  assert.equal(traffic.running, false, 'a refused request changed nothing')
})

test('GET, PUT (rate 0) and DELETE /traffic answer the generator state', async t => {
  const app = await routesOnEmptyDb(t, routes, {}, { traffic: generator() })
  const initial = await app.inject({ method: 'GET', url: '/traffic' })
  assert.equal(initial.statusCode, 200)
  assert.deepEqual(initial.json(), { running: false, rate: 0, mode: 'orchestration', failPaymentShare: 0, outOfStockShare: 0, sent: 0, errors: 0 })
  const put = await app.inject({ method: 'PUT', url: '/traffic', payload: { rate: 0, mode: 'mixed', outOfStockShare: 0.5 } })
  assert.equal(put.statusCode, 200, put.body)
  assert.deepEqual(put.json(), { running: false, rate: 0, mode: 'mixed', failPaymentShare: 0, outOfStockShare: 0.5, sent: 0, errors: 0 })
  const del = await app.inject({ method: 'DELETE', url: '/traffic' })
  assert.equal(del.json().running, false)
})
