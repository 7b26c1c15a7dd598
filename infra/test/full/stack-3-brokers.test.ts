import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigResourceTypes } from '@platformatic/kafka'
import { bootstrapServers, brokerPorts } from '../../src/settings.ts'
import { isRunning, portInUse, readPid, sleep } from '../../src/proc.ts'
import { down, up } from '../../src/stack.ts'
import { createAdmin } from '../../src/topics.ts'
import { isolatedSettings, openProducer, produceAll, uniqueName } from '../../src/testing/stack-env.ts'

// A private 3-broker cluster on its own ports and state folder (test-full: make test's exercise 7
// already stops a broker under acks=all writes; this one kills the leader and watches the ISR).

test('3 brokers: RF 3 has 3 in-sync replicas; with one broker killed acks=all still succeeds and the ISR shrinks to 2; restarted, it returns to 3', { timeout: 300_000, skip: process.platform === 'win32' }, async t => {
  const s = isolatedSettings(t, 21092, { brokers: 3, kafkaHeapMb: 384 })
  const brokers = ['kafka-1', 'kafka-2', 'kafka-3']
  // The registry and PostgreSQL play no part in replication.
  await up(s, { only: brokers, catalog: false })
  const bootstrap = bootstrapServers(s)
  const admin = createAdmin(bootstrap, uniqueName('test-admin'))
  try {
    const topic = uniqueName('test-replicated')
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 3, configs: [{ name: 'min.insync.replicas', value: '2' }] })
    const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['min.insync.replicas'] }] })
    assert.equal(described?.configs.find(c => c.name === 'min.insync.replicas')?.value, '2')

    const isr = async (): Promise<{ leader: number, isr: number[] }> => {
      const meta = await admin.metadata({ topics: [topic], forceUpdate: true })
      const p = meta.topics.get(topic)!.partitions[0]!
      return { leader: p.leader, isr: [...p.isr].sort() }
    }
    const waitFor = async (what: string, ok: (state: { leader: number, isr: number[] }) => boolean, timeoutMs = 60_000): Promise<{ leader: number, isr: number[] }> => {
      const deadline = Date.now() + timeoutMs
      let last: { leader: number, isr: number[] } | undefined
      while (Date.now() < deadline) {
        last = await isr().catch(() => last)
        if (last && ok(last)) return last
        await sleep(500)
      }
      assert.fail(`${what} within ${timeoutMs}ms; last seen: ${JSON.stringify(last)}`)
    }

    const before = await waitFor('3 replicas in sync', st => st.isr.length === 3)
    assert.deepEqual(before.isr, [1, 2, 3])

    const producer = await openProducer(t, bootstrap)
    const first = await produceAll(producer, topic, [{ key: 'order-1', value: 'before the failure' }])
    assert.equal(first[0]!.offset, 0)

    // Kill the partition's leader outright, as a crash would: SIGKILL to its whole process group.
    const victimId = before.leader
    const victim = `kafka-${victimId}`
    const pid = readPid(s.stateDir, victim)!
    process.kill(-pid, 'SIGKILL')
    // A JVM's threads die after its main one: the port closes when the last of them is gone.
    const victimPort = brokerPorts(s, victimId - 1).client
    const killedAt = Date.now()
    while ((isRunning(pid) || await portInUse(victimPort)) && Date.now() - killedAt < 10_000) await sleep(50)
    assert.equal(await portInUse(victimPort), false, `port ${victimPort} still listens after SIGKILL`)

    const during = await produceAll(producer, topic, [{ key: 'order-2', value: 'one broker down' }], 60_000)
    assert.equal(during[0]!.offset, 1, 'acks=all produce with one broker down')
    const shrunk = await waitFor('the ISR to shrink to 2', st => st.isr.length === 2)
    assert.ok(!shrunk.isr.includes(victimId), `ISR ${shrunk.isr.join(',')} still lists the killed broker ${victimId}`)
    assert.notEqual(shrunk.leader, victimId)

    await up(s, { only: [victim], catalog: false })
    const healed = await waitFor('the restarted broker to rejoin the ISR', st => st.isr.length === 3, 90_000)
    assert.deepEqual(healed.isr, [1, 2, 3])
    const after = await produceAll(producer, topic, [{ key: 'order-3', value: 'healed' }])
    assert.equal(after[0]!.offset, 2)
  } finally {
    await admin.close().catch(() => {})
  }
  assert.deepEqual(await down(s), [])
})
