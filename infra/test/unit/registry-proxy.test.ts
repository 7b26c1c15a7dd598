import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CCOMPAT_PREFIX, rewrite } from '../../src/registry-proxy.ts'

test('Confluent API paths move under the ccompat prefix, with their query strings', () => {
  assert.equal(CCOMPAT_PREFIX, '/apis/ccompat/v7')
  const cases: Array<[string, string]> = [
    ['/subjects', '/apis/ccompat/v7/subjects'],
    ['/subjects/orders.new-value/versions', '/apis/ccompat/v7/subjects/orders.new-value/versions'],
    ['/subjects/orders.new-value?permanent=true', '/apis/ccompat/v7/subjects/orders.new-value?permanent=true'],
    ['/schemas/ids/7', '/apis/ccompat/v7/schemas/ids/7'],
    ['/config', '/apis/ccompat/v7/config'],
    ['/config/orders.new-value', '/apis/ccompat/v7/config/orders.new-value'],
    ['/compatibility/subjects/orders.new-value/versions/latest', '/apis/ccompat/v7/compatibility/subjects/orders.new-value/versions/latest'],
    ['/mode', '/apis/ccompat/v7/mode'],
    ['/contexts', '/apis/ccompat/v7/contexts'],
    ['/subjects?deleted=true', '/apis/ccompat/v7/subjects?deleted=true'],
    ['/', '/apis/ccompat/v7'],
    ['/?x=1', '/apis/ccompat/v7?x=1']
  ]
  for (const [from, to] of cases) assert.equal(rewrite(from), to, from)
})

test('everything else (Apicurio\'s own API and UI) passes through unchanged', () => {
  for (const url of ['/apis/registry/v3/groups', '/apis/ccompat/v7/subjects', '/health/ready', '/ui/', '/subjectsx', '/configs', '/schemasfoo/1', '/q/metrics']) {
    assert.equal(rewrite(url), url, url)
  }
})
