import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ROOT } from '../../../src/settings.ts'
import { fileOf, formatProfile, ownerOf, summarizeProfile } from '../../../src/bench/profile.ts'

test('code owners: packages, node internals, this repository, tsx data: URLs', () => {
  assert.equal(ownerOf('file:///x/node_modules/.pnpm/postgres@3.4.7/node_modules/postgres/src/connection.js', 'build'), 'postgres')
  assert.equal(ownerOf('file:///x/node_modules/@kafkajs/confluent-schema-registry/dist/a.js', 'f'), '@kafkajs/confluent-schema-registry')
  assert.equal(ownerOf('node:internal/streams/writable', 'write'), 'node (internos)')
  assert.equal(ownerOf('', '(garbage collector)'), '(garbage collector)')
  assert.equal(ownerOf('', 'writeBuffer'), '(nativo)')
  assert.equal(ownerOf(`file://${ROOT}/services/kit/src/kafka/consumer.ts`, 'drain'), 'services/kit')
  const data = `data:text/javascript,${encodeURIComponent(`__filename="${ROOT}/services/payment/src/app.ts";(()=>{})`)}`
  assert.equal(fileOf(data), `${ROOT}/services/payment/src/app.ts`)
  assert.equal(ownerOf(data, 'handler'), 'services/payment')
})

test('self time by owner and function, idle apart, and only inside the window when one is given', () => {
  const profile = {
    startTime: 1000,
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
      { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 3, callFrame: { functionName: 'query', url: 'file:///x/node_modules/postgres/src/q.js', lineNumber: 9 } },
      { id: 4, callFrame: { functionName: 'produce', url: 'file:///x/node_modules/node-rdkafka/lib/producer.js', lineNumber: 0 } }
    ],
    // Sample i takes the gap to sample i+1.
    samples: [3, 3, 4, 2, 3],
    timeDeltas: [0, 1000, 1000, 2000, 1000]
  }
  const all = summarizeProfile(profile)
  assert.equal(all.busyMs, 4)
  assert.equal(all.idleMs, 1)
  assert.deepEqual(all.owners.map(o => [o.name, o.ms, o.share]), [['postgres', 2, 0.5], ['node-rdkafka', 2, 0.5]])
  assert.match(all.functions[0]!.name, /^query postgres:q\.js:10$/)
  const windowed = summarizeProfile(profile, 8, { fromUs: 2500, toUs: 4500 })
  assert.equal(windowed.busyMs, 2, 'the sample at 2000 and the one at 5000 fall outside')
  assert.match(formatProfile('payment', all), /^payment: 4 ms de CPU \(1 ms ocioso\)/)
})
