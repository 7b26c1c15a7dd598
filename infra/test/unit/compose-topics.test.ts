import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { TOPICS, topic } from '@vitrine/contracts'
import { REGENERATE, TOPICS_SCRIPT, topicsScript } from '../../src/compose-topics.ts'
import { effectiveSpec } from '../../src/topics.ts'

test('compose/topics.sh is what the catalog generates today', () => {
  assert.equal(readFileSync(TOPICS_SCRIPT, 'utf8'), topicsScript(TOPICS), `compose/topics.sh is out of date: run ${REGENERATE}`)
  assert.ok((statSync(TOPICS_SCRIPT).mode & 0o111) !== 0, 'compose/topics.sh is not executable')
})

test('every catalog topic is created in both layouts, with the partitions, replication and configs of effectiveSpec', () => {
  const script = topicsScript(TOPICS)
  const [three, one] = script.split('\nelse\n') as [string, string]
  for (const [block, brokers] of [[three, 3], [one, 1]] as const) {
    const lines = block.split('\n').filter(l => l.startsWith('  create '))
    assert.equal(lines.length, TOPICS.length, `${brokers} broker(s)`)
    for (const spec of TOPICS) {
      const want = effectiveSpec(spec, brokers)
      const configs = Object.entries(want.config).map(([k, v]) => ` --config ${k}=${v}`).join('')
      assert.ok(lines.includes(`  create ${spec.name} ${want.partitions} ${want.replicationFactor}${configs}`), `${spec.name} on ${brokers} broker(s)`)
    }
  }
})

test('the shell passes each argument through intact, quoting where needed', { skip: process.platform === 'win32' }, t => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-topics-sh-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // A stand-in for kafka-topics.sh that prints its arguments, one per line.
  const stub = join(dir, 'kafka-topics.sh')
  writeFileSync(stub, '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\nprintf \'%s\\n\' ---\n')
  chmodSync(stub, 0o755)
  const spec = { ...topic('orders.dlq'), name: 'test.quoting', config: { 'cleanup.policy': 'compact,delete', 'message.timestamp.type': "it's $HOME" } }
  const script = join(dir, 'topics.sh')
  writeFileSync(script, topicsScript([spec]))
  const r = spawnSync('sh', [script], { env: { PATH: process.env.PATH, KAFKA_TOPICS: stub, BOOTSTRAP: 'localhost:1', BROKERS: '1' }, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.deepEqual(r.stdout.split('---\n')[0]!.trimEnd().split('\n'), [
    '--bootstrap-server', 'localhost:1', '--create', '--if-not-exists',
    '--topic', 'test.quoting', '--partitions', '1', '--replication-factor', '1',
    '--config', 'cleanup.policy=compact,delete', '--config', "message.timestamp.type=it's $HOME"
  ])
})

test('an invalid catalog generates no script', () => {
  assert.throws(() => topicsScript([{ ...topic('orders.new'), partitions: 0 }]), /topic "orders\.new": partitions/)
})
