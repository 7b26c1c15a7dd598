import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { test } from 'node:test'
import { ROOT, bootstrapServers, brokerPorts } from '../../src/settings.ts'
import { readPid, sleep, stopGroup } from '../../src/proc.ts'
import { up } from '../../src/stack.ts'
import { createAdmin } from '../../src/topics.ts'
import { cleanup, consumeAndCommit, freeBrokerBase, isolatedSettings, openProducer, produceAll, uniqueName, waitFor } from '../../src/testing/index.ts'
import { observabilityAvailable, startObservability } from '../../src/testing/prometheus.ts'

// A private broker with the JMX exporter (infra/prometheus/jmx-kafka.yml) and a private Prometheus
// and Alertmanager with our rules: the broker's metrics the dashboards and rules use really appear,
// every Kafka panel returns a series while records flow, and a stopped broker fires BrokerDown all
// the way to a webhook. The shared stack is never touched.

interface Panel { title: string, targets: Array<{ expr: string }> }
const kafkaDashboard = JSON.parse(readFileSync(join(ROOT, 'infra/grafana/dashboards/kafka-cluster.json'), 'utf8')) as { panels: Panel[] }
const kafkaRules = ['alerts.yml', 'recording.yml'].map(f => readFileSync(join(ROOT, 'infra/prometheus/rules', f), 'utf8')).join('\n')

/** The kafka_* metric names a text uses (recording rules' names have colons, so they are left out). */
function kafkaMetrics (text: string): string[] {
  return [...new Set(text.match(/(?<![:\w])kafka_[a-z0-9_]+(?![:\w])/g) ?? [])]
}

test('a broker\'s JMX exporter: every metric the Kafka dashboard and rules use appears, every Kafka panel returns a series, and a stopped broker fires BrokerDown to the webhook', { timeout: 180_000 }, async t => {
  if (!observabilityAvailable(t)) return
  const s = isolatedSettings(t, await freeBrokerBase())
  await up(s, { only: ['kafka-1'], catalog: false })
  const bootstrap = bootstrapServers(s)
  const jmx = brokerPorts(s, 0).jmx

  // Alertmanager's one receiver, standing in for the gateway's webhook.
  const notifications: Array<{ status: string, alerts: Array<{ status: string, labels: Record<string, string> }> }> = []
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', chunk => { body += String(chunk) })
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/alerts/webhook') notifications.push(JSON.parse(body))
      res.writeHead(200).end()
    })
  })
  await new Promise<void>(resolve => receiver.listen(0, '127.0.0.1', resolve))
  cleanup(t, async () => { await new Promise(resolve => receiver.close(resolve)) })
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/api/alerts/webhook`

  const obs = await startObservability(t, { targets: { jmx: [jmx], webhookUrl } })

  // Records in and out, on a topic of the test's own.
  const admin = createAdmin(bootstrap, uniqueName('test-admin'))
  cleanup(t, async () => { await admin.close().catch(() => {}) })
  const topic = uniqueName('test-jmx')
  await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
  const producer = await openProducer(t, bootstrap)
  await produceAll(producer, topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `record ${i}` })))
  await consumeAndCommit(bootstrap, uniqueName('test-group'), topic, 30)

  await waitFor('the broker\'s exporter scraped and up', async () => (await obs.query('up{job="kafka",broker="1"} == 1')).length === 1, 30_000)
  // A topic's counters appear with its first records: a rate needs records after that first scrape.
  await waitFor(`${topic}'s counters scraped`, async () => (await obs.query(`kafka_server_brokertopicmetrics_messagesin_total{topic="${topic}"}`)).length === 1, 30_000)
  await produceAll(producer, topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `again ${i}` })))
  await consumeAndCommit(bootstrap, uniqueName('test-group'), topic, 60)
  await waitFor(`messages in for ${topic}`, async () => (await obs.query(`topic:kafka_server_brokertopicmetrics_messagesin:rate1m{topic="${topic}"} > 0`)).length === 1, 30_000)

  for (const name of kafkaMetrics(JSON.stringify(kafkaDashboard) + kafkaRules)) {
    const found = await obs.query(`count({__name__="${name}",job="kafka"})`)
    assert.equal(found.length, 1, `the exporter never exported ${name} (infra/prometheus/jmx-kafka.yml)`)
  }
  for (const panel of kafkaDashboard.panels) {
    for (const { expr } of panel.targets) {
      assert.ok((await obs.query(expr)).length > 0, `panel "${panel.title}" returns no series: ${expr}`)
    }
  }
  assert.ok(Number((await obs.query('max(kafka_controller_kafkacontroller_activebrokercount)'))[0]!.value[1]) === 1, 'one active broker')
  const bytesIn = await obs.query('sum(kafka_server_brokertopicmetrics_bytesin_total{topic=""})')
  assert.ok(Number(bytesIn[0]!.value[1]) > 0, 'bytes in moved away from zero')

  // The broker stops: the exporter goes with it, BrokerDown fires after its 15 s and reaches the webhook.
  await stopGroup(readPid(s.stateDir, 'kafka-1')!, 30_000)
  const fired = await waitFor('BrokerDown at the webhook', async () => notifications.find(n => n.status === 'firing' && n.alerts.some(a => a.labels.alertname === 'BrokerDown' && a.labels.broker === '1')), 60_000, 500)
  assert.equal(fired.alerts.find(a => a.labels.alertname === 'BrokerDown')?.labels.severity, 'critical')
  assert.ok((await obs.alertmanagerAlerts()).some(a => a.labels.alertname === 'BrokerDown' && a.status.state === 'active'))
  // Nothing else fired on the way (a stray rule would show up here).
  await sleep(1000)
  assert.deepEqual([...new Set(notifications.flatMap(n => n.alerts.map(a => a.labels.alertname)))], ['BrokerDown'])
})
