import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { ROOT, bootstrapServers, brokerPorts, loadSettings, portTable } from '../../src/settings.ts'
import { defaultSettings } from '../../src/testing/stack-env.ts'

test('defaults: one broker on 9092, PostgreSQL on 5433 (not 5432), the registry on 8081 in front of 8085, state in .vitrine', () => {
  const s = defaultSettings()
  assert.equal(s.brokers, 1)
  assert.equal(s.kafkaPort, 9092)
  assert.equal(s.pgPort, 5433)
  assert.equal(s.registryPort, 8081)
  assert.equal(s.registryBackendPort, 8085)
  assert.equal(s.stateDir, join(ROOT, '.vitrine'))
  assert.equal(bootstrapServers(s), 'localhost:9092')
})

test('broker i listens 100 ports above broker 0, its controller one above that, its JMX exporter two above', () => {
  const s = loadSettings({ brokers: 3, kafkaPort: 19092 })
  assert.deepEqual([0, 1, 2].map(i => brokerPorts(s, i)), [
    { client: 19092, controller: 19093, jmx: 19094 },
    { client: 19192, controller: 19193, jmx: 19194 },
    { client: 19292, controller: 19293, jmx: 19294 }
  ])
  assert.equal(bootstrapServers(s), 'localhost:19092,localhost:19192,localhost:19292')
})

test('bad settings are refused with the variable named', () => {
  assert.throws(() => loadSettings({ brokers: 2 }), /BROKERS deve ser 1 ou 3, mas veio 2/)
  const saved = process.env.PG_PORT
  process.env.PG_PORT = 'abc'
  try {
    assert.throws(() => loadSettings(), /PG_PORT deve ser um inteiro positivo.*"abc"/)
  } finally {
    if (saved === undefined) delete process.env.PG_PORT
    else process.env.PG_PORT = saved
  }
})

test('the port table: every port of the stack is distinct, none is a default that collides (8081 registry, 8083, 3000, 9090, 9093), and the README lists the defaults', () => {
  const s = defaultSettings()
  const rows = portTable(s)
  const all = rows.flatMap(r => r.ports)
  assert.equal(new Set(all).size, all.length, `a port appears twice: ${JSON.stringify(rows)}`)
  assert.deepEqual(rows.filter(r => !r.component.startsWith('Schema Registry')).flatMap(r => r.ports).filter(p => [8081, 8083, 3000, 9090].includes(p)), [])
  for (const [port, what] of [[s.flinkGatewayPort, 'Flink SQL Gateway'], [s.flinkUiPort, 'Flink'], [s.connectPort, 'Kafka Connect']] as const) {
    assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), new RegExp(`\\| ${what}[^|]*\\| [^|]*:${port}\\b`), `README's table has no ${what} on ${port}`)
  }
  assert.match(readFileSync(join(ROOT, '.env.example'), 'utf8'), /^FLINK_SQL_GATEWAY_PORT=8183$/m)
})
