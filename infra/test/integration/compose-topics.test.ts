import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigResourceTypes } from '@platformatic/kafka'
import type { TopicSpec } from '@vitrine/contracts'
import { topic } from '@vitrine/contracts'
import { topicsScript } from '../../src/compose-topics.ts'
import { javaBin, kafkaClasspath, writeToolsLog4j } from '../../src/kafka-node.ts'
import { bootstrapServers } from '../../src/settings.ts'
import { effectiveSpec } from '../../src/topics.ts'
import { cleanup, deleteTopicsIfPresent, sharedSettings, testAdmin, uniqueName } from '../../src/testing/stack-env.ts'

// The script compose's topic-init runs, run here with Kafka's real kafka-topics (TopicCommand)
// against the dev broker, on a catalog of two throw-away topics.

test('the generated topics script creates the catalog\'s topics with their configs, and a second run changes nothing', { timeout: 120_000, skip: process.platform === 'win32' }, async t => {
  const s = sharedSettings()
  const admin = testAdmin(t, s)
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-topics-sh-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const catalog: TopicSpec[] = [
    { ...topic('orders.new'), name: uniqueName('test-compose') },
    { ...topic('orders.dlq'), name: uniqueName('test-compose') }
  ]
  cleanup(t, async () => { await deleteTopicsIfPresent(admin, catalog.map(c => c.name)) })

  writeToolsLog4j(s)
  // kafka-topics.sh in the apache/kafka image runs this same class.
  const kafkaTopics = join(dir, 'kafka-topics.sh')
  writeFileSync(kafkaTopics, `#!/bin/sh\nexec '${javaBin(s)}' -Xmx256m -cp '${kafkaClasspath()}' -Dlog4j2.configurationFile='${join(s.stateDir, 'tools-log4j2.xml')}' org.apache.kafka.tools.TopicCommand "$@"\n`)
  chmodSync(kafkaTopics, 0o755)
  const script = join(dir, 'topics.sh')
  writeFileSync(script, topicsScript(catalog))
  const run = (): ReturnType<typeof spawnSync> => spawnSync('sh', [script], {
    env: { PATH: process.env.PATH, KAFKA_TOPICS: kafkaTopics, BOOTSTRAP: process.env.KAFKA_BROKERS ?? bootstrapServers(s), BROKERS: String(s.brokers) },
    encoding: 'utf8',
    timeout: 60_000
  })

  const first = run()
  assert.equal(first.status, 0, String(first.stderr))
  const meta = await admin.metadata({ topics: catalog.map(c => c.name), forceUpdate: true })
  const described = await admin.describeConfigs({ resources: catalog.map(c => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: c.name })) })
  for (const spec of catalog) {
    const want = effectiveSpec(spec, s.brokers)
    assert.equal(meta.topics.get(spec.name)?.partitionsCount, want.partitions, spec.name)
    assert.equal(meta.topics.get(spec.name)?.partitions[0]?.replicas.length, want.replicationFactor, spec.name)
    const configs = new Map((described.find(d => d.resourceName === spec.name)?.configs ?? []).map(c => [c.name, c.value]))
    for (const [key, value] of Object.entries(want.config)) assert.equal(configs.get(key), value, `${spec.name} ${key}`)
  }

  const second = run()
  assert.equal(second.status, 0, String(second.stderr))
})
