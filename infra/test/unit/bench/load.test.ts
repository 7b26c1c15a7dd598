import assert from 'node:assert/strict'
import { test } from 'node:test'
import { kindAt, orderBody, parseLoopDelay } from '../../../src/bench/load.ts'

test('order kinds come in the proportions asked, spread evenly', () => {
  const kinds = Array.from({ length: 100 }, (_, i) => kindAt(i, { failPayment: 0.1, outOfStock: 0.1 }))
  const count = (kind: string, of = kinds): number => of.filter(k => k === kind).length
  assert.ok(Math.abs(count('fail-payment') - 10) <= 1 && Math.abs(count('out-of-stock') - 10) <= 1, JSON.stringify(kinds))
  assert.ok(count('fail-payment', kinds.slice(0, 20)) >= 1 && count('out-of-stock', kinds.slice(0, 20)) >= 1, 'spread, not bunched at the end')
  assert.deepEqual([...new Set(Array.from({ length: 50 }, (_, i) => kindAt(i, { failPayment: 0, outOfStock: 0 })))], ['ok'])
})

test('order bodies use the payment trigger and the product without stock', () => {
  const catalog = { products: ['a', 'b'], outOfStock: 'none' }
  assert.deepEqual(orderBody('ok', 3, catalog), { customerId: 'bench-3-pay-ok', items: [{ productId: 'b', quantity: 1 }] })
  assert.match(String(orderBody('fail-payment', 1, catalog).customerId), /fail-payment/)
  assert.equal((orderBody('out-of-stock', 1, catalog).items as Array<{ productId: string }>)[0]!.productId, 'none')
})

test('event loop delay from prom-client: the 10 ms sampling interval is taken off', () => {
  const metrics = [
    '# HELP vitrine_nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.',
    '# TYPE vitrine_nodejs_eventloop_lag_p99_seconds gauge',
    'vitrine_nodejs_eventloop_lag_p99_seconds{service="checkout-api"} 0.012345',
    'vitrine_nodejs_eventloop_lag_max_seconds{service="checkout-api"} 0.045',
    'vitrine_nodejs_eventloop_lag_min_seconds{service="checkout-api"} 0.0091'
  ].join('\n')
  assert.deepEqual(parseLoopDelay(metrics, 'checkout-api', 10), { p99Ms: 2.35, maxMs: 35 })
  assert.deepEqual(parseLoopDelay('vitrine_nodejs_eventloop_lag_p99_seconds{service="checkout-api"} 0.009\nvitrine_nodejs_eventloop_lag_max_seconds{service="checkout-api"} 0.0101\n', 'checkout-api', 10), { p99Ms: 0, maxMs: 0.1 })
  assert.equal(parseLoopDelay(metrics, 'payment', 10), undefined)
})
